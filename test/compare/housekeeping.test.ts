import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { scimlBatch } from '../helpers/cli.js';
import { writeFixture } from '../tabular-task/fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-housekeeping-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A run directory as the session writes it: run.json, config.yaml, metrics.json (and a model file for size). */
function fakeRun(
  root: string,
  name: string,
  o: {
    task: string;
    status: string;
    minute: number;
    config?: Record<string, unknown>;
    metrics?: Record<string, number>;
    tags?: Record<string, string>;
    bytes?: number;
  },
) {
  const path = join(root, name);
  mkdirSync(join(path, 'model'), { recursive: true });
  const started = new Date(Date.UTC(2026, 0, 1, 12, o.minute)).toISOString();
  writeFileSync(
    join(path, 'run.json'),
    JSON.stringify({ status: o.status, started_at: started, duration_s: 3, ...(o.tags ? { tags: o.tags } : {}) }),
  );
  writeFileSync(join(path, 'config.yaml'), stringify({ task: o.task, seed: 1, ...(o.config ?? {}) }));
  if (o.status === 'completed')
    writeFileSync(join(path, 'metrics.json'), JSON.stringify({ task: o.task, metrics: o.metrics ?? {}, baseline: {} }));
  writeFileSync(join(path, 'model', 'weights.bin'), Buffer.alloc(o.bytes ?? 1000));
  return path;
}

function fixture(root: string) {
  fakeRun(root, 'auto-1', {
    task: 'automl',
    status: 'completed',
    minute: 1,
    config: { search: { time_limit_s: 60 } },
    metrics: { rmse: 1.5, r2: 0.9 },
    tags: { exp: 'base' },
  });
  fakeRun(root, 'knots-1', {
    task: 'knots',
    status: 'completed',
    minute: 2,
    config: { model: { width: 32 } },
    metrics: { accuracy: 0.81, mse: 0.2 },
  });
  fakeRun(root, 'auto-2', {
    task: 'automl',
    status: 'failed',
    minute: 3,
    config: { search: { time_limit_s: 120 } },
    tags: { exp: 'long' },
    bytes: 5000,
  });
  fakeRun(root, 'knots-2', {
    task: 'knots',
    status: 'completed',
    minute: 4,
    config: { model: { width: 64 } },
    metrics: { accuracy: 0.84, mse: 0.18 },
  });
  fakeRun(root, 'auto-3', {
    task: 'automl',
    status: 'failed',
    minute: 5,
    config: { search: { time_limit_s: 60 } },
    bytes: 7000,
  });
  fakeRun(root, 'auto-4', {
    task: 'automl',
    status: 'interrupted',
    minute: 6,
    config: { search: { time_limit_s: 60 } },
  });
  fakeRun(root, 'auto-5', { task: 'automl', status: 'running', minute: 7, config: { search: { time_limit_s: 60 } } });
}

const names = (stdout: string) => (JSON.parse(stdout) as { name: string }[]).map((r) => r.name);

test('runs with several tasks: each row shows its own headline metrics and the params that differ from the first run of its task', () => {
  const root = join(dir, 'mixed');
  fixture(root);
  const [r, jsonRun] = scimlBatch([
    ['runs', '--dir', root],
    ['runs', '--dir', root, '--json'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(
    lines[0],
    /^run\s+task\s+started\s+duration\s+status\s+metrics\s+tags\s+params vs first run of its task$/,
  );
  const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))!;
  assert.match(row('knots-1'), /accuracy=0\.81\d* mse=0\.2/);
  assert.match(row('knots-2'), /accuracy=0\.84\d* mse=0\.18.* model\.width=64$/);
  assert.match(row('auto-1'), /rmse=1\.5 r2=0\.9 +exp=base/);
  assert.match(row('auto-2'), /failed .* exp=long +search\.time_limit_s=120$/);
  assert.doesNotMatch(
    r.stdout,
    /model\.width=\S+ .*search|search\.\S+ .*model\.width/,
    'no automl run is compared with a knots run',
  );
  assert.match(row('auto-3'), /failed\s+-\s+-\s*$/, 'same params as auto-1: nothing listed');
  const json = JSON.parse(jsonRun.stdout);
  const knots2 = json.find((x: { name: string }) => x.name === 'knots-2');
  assert.equal(knots2.compared_with, 'knots-1');
  assert.deepEqual(knots2.changed_params, { 'model.width': 64 });
  assert.deepEqual(json.find((x: { name: string }) => x.name === 'auto-1').tags, { exp: 'base' });
});

test('runs --status, --task, --tag and --limit filter; a bad status exits 2', () => {
  const root = join(dir, 'filters');
  fixture(root);
  const selections = [
    ['--status', 'failed'],
    ['--status', 'interrupted'],
    ['--task', 'knots', '--status', 'completed'],
    ['--tag', 'exp'],
    ['--tag', 'exp=long'],
    ['--limit', '2'],
    ['--limit', '1', '--task', 'knots'],
  ];
  const [failed, interrupted, knots, tagged, tagValue, lastTwo, lastKnots, bad, zero] = scimlBatch([
    ...selections.map((args) => ['runs', '--dir', root, '--json', ...args]),
    ['runs', '--dir', root, '--status', 'done'],
    ['runs', '--dir', root, '--limit', '0'],
  ]);
  assert.deepEqual(names(failed.stdout), ['auto-2', 'auto-3']);
  assert.deepEqual(names(interrupted.stdout), ['auto-4']);
  assert.deepEqual(names(knots.stdout), ['knots-1', 'knots-2']);
  assert.deepEqual(names(tagged.stdout), ['auto-1', 'auto-2']);
  assert.deepEqual(names(tagValue.stdout), ['auto-2']);
  assert.deepEqual(names(lastTwo.stdout), ['auto-4', 'auto-5'], 'the two most recent, in the listing order');
  assert.deepEqual(names(lastKnots.stdout), ['knots-2']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--status: expected completed, failed, interrupted, running, got "done"/);
  assert.equal(zero.code, 2);
});

test('runs gc --status failed --keep-last 1 removes the older failed run and prints the bytes freed; without --yes off a terminal it refuses', () => {
  const root = join(dir, 'gc');
  fixture(root);
  const [refused, dry] = scimlBatch([
    ['runs', 'gc', '--dir', root, '--status', 'failed'],
    ['runs', 'gc', '--dir', root, '--status', 'failed', '--keep-last', '1', '--dry-run'],
  ]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /would remove 2 runs; not a terminal.*--yes/);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^would remove auto-2 \(failed, /);
  assert.ok(existsSync(join(root, 'auto-2')) && existsSync(join(root, 'auto-3')), 'nothing removed');
  const [r] = scimlBatch([['--json', 'runs', 'gc', '--keep-last', '1', '--dir', root, '--status', 'failed', '--yes']]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(
    out.removed.map((x: { name: string }) => x.name),
    ['auto-2'],
  );
  assert.ok(out.bytes_freed >= 5000, `freed ${out.bytes_freed}`);
  assert.equal(out.bytes_freed, out.removed[0].bytes);
  assert.ok(!existsSync(join(root, 'auto-2')) && existsSync(join(root, 'auto-3')), 'the newest failed run stays');
  // --keep-last alone spares running runs; gc with no selection refuses
  const [allRun, left, nothing] = scimlBatch([
    ['--json', 'runs', 'gc', '--dir', root, '--keep-last', '2', '--yes'],
    ['runs', '--dir', root, '--json'],
    ['runs', 'gc', '--dir', root, '--yes'],
  ]);
  assert.deepEqual(
    JSON.parse(allRun.stdout)
      .removed.map((x: { name: string }) => x.name)
      .sort(),
    ['auto-1', 'knots-1', 'knots-2'],
  );
  assert.deepEqual(names(left.stdout), ['auto-3', 'auto-4', 'auto-5']);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /say what to remove/);
});

test('runs rm removes named runs (by name under --dir or by path), refuses a folder that is not a run and then removes nothing', () => {
  const root = join(dir, 'rm');
  fixture(root);
  mkdirSync(join(root, 'notes'));
  const [refused] = scimlBatch([['runs', 'rm', '--dir', root, 'auto-1', 'notes']]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /runs rm: notes: not a run directory/);
  assert.ok(existsSync(join(root, 'auto-1')));
  const [r] = scimlBatch([['runs', 'rm', '--dir', root, 'auto-1', join(root, 'auto-3')]]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^removed auto-1 \(completed, .*\nremoved .*auto-3 \(failed, .*\nremoved 2 runs, .* \(\d+ bytes\) freed\n$/,
  );
  assert.ok(!existsSync(join(root, 'auto-1')) && !existsSync(join(root, 'auto-3')));
});

test('--tag key=value on train lands in run.json and filters sciml runs; a malformed tag exits 2', () => {
  const root = join(dir, 'tagged');
  writeFixture(join(dir, 'table.csv'), 200, 2);
  const config = join(dir, 'gbm.yaml');
  writeFileSync(config, 'task: tabular\nseed: 1\ndata:\n  path: table.csv\n  target: y\nmodel:\n  learner: ridge\n');
  const [r, byTag, table, bad] = scimlBatch([
    ['train', config, '--out', join(root, 'r1'), '--tag', 'exp=ridge', '--tag', 'owner=ana'],
    ['runs', '--dir', root, '--json', '--tag', 'owner=ana'],
    ['runs', '--dir', root],
    ['train', config, '--tag', 'no-equals-sign'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(root, 'r1', 'run.json'), 'utf8')).tags, { exp: 'ridge', owner: 'ana' });
  assert.deepEqual(names(byTag.stdout), ['r1']);
  assert.match(table.stdout, /exp=ridge owner=ana/);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--tag: expected key=value/);
});
