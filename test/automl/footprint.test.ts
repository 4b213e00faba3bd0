import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesUnder } from '../../src/runtime/disk.js';
import { sciml } from '../helpers/cli.js';
import { writeFixture } from '../tabular-task/fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-footprint-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('automl records the saved model size and the peak RSS of predicting with it (run.json, metrics, summary, text); compact deploy is several times smaller than bagged', () => {
  const table = join(dir, 't.csv');
  writeFixture(table, 300, 6);
  const run = join(dir, 'run');
  const r = sciml([
    '--json',
    'automl',
    table,
    '--target',
    'y',
    '--max-trials',
    '2',
    '--workers',
    '1',
    '--time-limit',
    '120',
    '--out',
    run,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
  const f = info.model_footprint;
  assert.equal(f.model_bytes, bytesUnder(join(run, 'model')), 'the bytes of model/ as they are on disk');
  assert.equal(f.predict_rows, 300, 'predicted every row of the input');
  // A node process that loaded the model and predicted: more than node alone, far less than 2 GiB.
  assert.ok(
    f.predict_peak_rss_bytes > 30e6 && f.predict_peak_rss_bytes < 2 ** 31,
    `peak RSS ${f.predict_peak_rss_bytes}`,
  );
  assert.deepEqual(JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')).model_footprint, f);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.model_bytes, f.model_bytes);
  assert.equal(summary.predict_peak_rss_bytes, f.predict_peak_rss_bytes);
  // Compact (the default): the members refitted once on all rows; their holdout still far beats predicting the mean.
  assert.equal(summary.deploy, 'compact');
  assert.ok(summary.metrics.r2 > 0.8, `compact holdout r2 ${summary.metrics.r2}`);
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  assert.ok(
    metrics.refitted_members.length > 0 && metrics.bagged_members.length === 0,
    'with time to spare every member is refitted',
  );
  // The same search deployed bagged keeps every fold's model (5 folds): several times the bytes.
  const bagged = join(dir, 'run-bagged');
  const text = sciml([
    'automl',
    table,
    '--target',
    'y',
    '--max-trials',
    '2',
    '--workers',
    '1',
    '--deploy',
    'bagged',
    '--out',
    bagged,
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^model: [\d.]+ (KiB|MiB) on disk; predict peak RSS [\d.]+ MiB \(300 rows\)$/m);
  assert.match(text.stdout, /^deploy: bagged/m);
  const baggedBytes = bytesUnder(join(bagged, 'model'));
  assert.ok(f.model_bytes * 2.5 < baggedBytes, `compact ${f.model_bytes} bytes vs bagged ${baggedBytes}`);
});
