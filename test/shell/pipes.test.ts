import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { tableFromIPC } from 'apache-arrow';
import { bin, root, sciml, scimlBatch } from '../helpers/cli.js';
import { parseOverride } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-pipes-'));

function generate(kind: string, n: number, ...set: string[]): Buffer {
  const r = spawnSync(
    process.execPath,
    [bin, 'data', 'generate', kind, '-n', String(n), '--seed', '5', ...set.flatMap((s) => ['--set', s]), '-o', '-'],
    { env: { ...process.env, CI: 'true' }, maxBuffer: 1 << 28 },
  );
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout;
}

test("--set data.train_path=- is the string '-'", () => {
  assert.deepEqual(parseOverride('data.train_path=-').value, '-');
  assert.deepEqual(parseOverride('model.filters=[8, 8]').value, [8, 8]);
});

test('the denoiser trains on Arrow traces from stdin', () => {
  const traces = generate('radio', 240, 'length=128');
  const out = join(dir, 'denoiser-stdin');
  const r = sciml(
    [
      '--json',
      'train',
      join(root, 'configs', 'quick', 'denoiser-measured.yaml'),
      '--set',
      'data.train_path=-',
      '--set',
      'data.test_count=60',
      '--set',
      'training.epochs=1',
      '--out',
      out,
    ],
    { input: traces },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(parse(readFileSync(join(out, 'config.yaml'), 'utf8')).data.train_path, '-');
  assert.equal(JSON.parse(r.stdout).test_count, 60);
  // 500-sample traces on stdin set the model's length: the 128-sample simulated test set then cannot match.
  const long = sciml(
    [
      'train',
      join(root, 'configs', 'quick', 'denoiser-measured.yaml'),
      '--set',
      'data.train_path=-',
      '--set',
      'training.epochs=1',
      '--out',
      join(dir, 'long'),
    ],
    { input: generate('radio', 40) },
  );
  assert.equal(long.code, 2);
  assert.match(long.stderr, /expected traces of 500 samples \(the model's input length\), got 128/);
});

test('knots train on CSV from stdin (sniffed: not Arrow)', () => {
  const table = tableFromIPC(generate('knots', 1500));
  const names = table.schema.fields.map((f) => f.name);
  const lines = [names.join(',')];
  for (let i = 0; i < table.numRows; i++) lines.push(names.map((n) => String(table.getChild(n)!.get(i))).join(','));
  writeFileSync(
    join(dir, 'knots.yaml'),
    'task: knots\nseed: 1\ntraining:\n  max_epochs: 3\n  patience: 3\nsalience:\n  steps: 4\n  examples: 100\n',
  );
  const out = join(dir, 'knots-stdin');
  const r = sciml(['--json', 'train', join(dir, 'knots.yaml'), '--set', 'data.path=-', '--out', out], {
    input: lines.join('\n') + '\n',
  });
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.synthetic, false, 'a CSV carries no synthetic marker');
  const data = JSON.parse(readFileSync(join(out, 'model', 'data.json'), 'utf8'));
  assert.equal(data.path, '-');
  assert.equal(data.rows, 1500);
});

test('writing into a closed pipe (| head) ends with status 0 and nothing on stderr', () => {
  const r = spawnSync(
    'bash',
    [
      '-c',
      `set -o pipefail; "${process.execPath}" "${bin}" data generate radio -n 4000 -o - | head -c 100 > /dev/null`,
    ],
    { env: { ...process.env, CI: 'true' } },
  );
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stderr.toString(), '');
  const runs = spawnSync(
    'bash',
    ['-c', `set -o pipefail; "${process.execPath}" "${bin}" config docs | head -n 1 > /dev/null`],
    { env: { ...process.env, CI: 'true' } },
  );
  assert.equal(runs.status, 0, runs.stderr.toString());
  assert.equal(runs.stderr.toString(), '');
});

test('data inspect describes CSV, Arrow and stdin tables', () => {
  writeFileSync(join(dir, 't.csv'), 'x,label,y\n1,cat,\n3,dog,2.5\n,cat,4\n');
  const arrow = generate('radio', 30);
  writeFileSync(join(dir, 'r.arrow'), arrow);
  const [csvRun, arrowRun, missing] = scimlBatch([
    ['data', 'inspect', join(dir, 't.csv'), '--json'],
    ['data', 'inspect', join(dir, 'r.arrow'), '--json'],
    ['data', 'inspect', join(dir, 'missing.csv')],
  ]);
  const csv = JSON.parse(csvRun.stdout);
  assert.equal(csv.format, 'csv');
  assert.equal(csv.rows, 3);
  assert.deepEqual(csv.columns[0], { name: 'x', type: 'number', missing: 1, min: 1, max: 3, mean: 2 });
  assert.deepEqual(csv.columns[1].top, [
    { value: 'cat', count: 2 },
    { value: 'dog', count: 1 },
  ]);
  assert.equal(csv.columns[2].missing, 1);

  const a = JSON.parse(arrowRun.stdout);
  assert.equal(a.format, 'arrow');
  assert.equal(a.rows, 30);
  assert.match(a.columns.find((c: any) => c.name === 'noisy').type, /FixedSizeList\[500\]<Float32>/);
  assert.deepEqual(
    a.columns.find((c: any) => c.name === 'id'),
    { name: 'id', type: 'Int32', missing: 0, min: 0, max: 29, mean: 14.5 },
  );

  const piped = sciml(['data', 'inspect', '-'], { input: arrow });
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout, /^-: arrow, 30 rows, 8 columns\n/);
  const csvPiped = JSON.parse(
    sciml(['data', 'inspect', '-', '--json'], { input: readFileSync(join(dir, 't.csv')) }).stdout,
  );
  assert.equal(csvPiped.format, 'csv');
  assert.equal(missing.code, 2);
});

test('a config needing more memory than the machine has exits 2 with the estimated bytes and the field', () => {
  writeFileSync(join(dir, 'huge.yaml'), 'task: denoiser\ndata:\n  train_count: 2000000000\n');
  writeFileSync(join(dir, 'huge-knots.yaml'), 'task: knots\ndata:\n  synthetic_rows: 2000000000\n');
  const [r, k, g] = scimlBatch([
    ['train', join(dir, 'huge.yaml'), '--out', join(dir, 'huge')],
    ['train', join(dir, 'huge-knots.yaml'), '--out', join(dir, 'huge-knots')],
    ['data', 'generate', 'radio', '-n', '2000000000', '-o', join(dir, 'huge.arrow')],
  ]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /data\.train_count: 2000000000 traces of 500 samples need an estimated [\d.]+ TiB \([\d.]+e\+\d+ bytes\) of memory; this machine has/,
  );
  assert.doesNotMatch(r.stderr, /RangeError|at /);
  assert.equal(k.code, 2);
  assert.match(k.stderr, /data\.synthetic_rows: 2000000000 synthetic knots need an estimated/);
  assert.equal(g.code, 2);
  assert.match(g.stderr, /-n: 2000000000 traces of 500 samples need an estimated/);
});
