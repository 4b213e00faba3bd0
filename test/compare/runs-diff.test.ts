import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, scimlBatch } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-runs-'));
const config = join(root, 'configs', 'quick', 'denoiser-measured.yaml');
const small = [
  '--set',
  'data.train_count=200',
  '--set',
  'data.test_count=100',
  '--set',
  'training.epochs=2',
  '--set',
  'model.filters=[8, 8]',
  '--set',
  'model.kernel_size=9',
];

// Both runs in one process: one start-up.
for (const r of scimlBatch([
  ['train', config, '--out', join(dir, 'runs', 'a'), ...small],
  ['train', config, '--out', join(dir, 'runs', 'b'), ...small, '--set', 'model.kernel_size=7'],
]))
  assert.equal(r.code, 0, r.stderr);
const A = join(dir, 'runs', 'a');
const B = join(dir, 'runs', 'b');

test('sciml runs lists both runs with task, status, headline metrics and the params that differ', () => {
  const [text, md, jsonRun, knotsRun] = scimlBatch([
    ['runs', '--dir', join(dir, 'runs')],
    ['runs', '--dir', join(dir, 'runs'), '--md'],
    ['runs', '--dir', join(dir, 'runs'), '--json', '--sort', '-name'],
    ['runs', '--dir', join(dir, 'runs'), '--json', '--task', 'knots'],
  ]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(
    lines[0],
    /^run\s+task\s+started\s+duration\s+status\s+peak_accuracy\s+mse\s+spectral_error\s+params vs a$/,
  );
  assert.match(lines[1], /^a\s+denoiser\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d+\.\ds\s+completed/);
  assert.match(lines[2], /^b .*completed.* model\.kernel_size=7$/);

  const rows = md.stdout.trim().split('\n');
  assert.equal(
    rows[0],
    '| run | task | started | duration | status | peak_accuracy | mse | spectral_error | params vs a |',
  );
  assert.equal(rows[1], '| --- | --- | --- | ---: | --- | ---: | ---: | ---: | --- |');
  assert.match(rows[3], /^\| b \| denoiser \| .* \| model\.kernel_size=7 \|$/);

  const json = JSON.parse(jsonRun.stdout);
  assert.deepEqual(
    json.map((r: any) => r.name),
    ['b', 'a'],
  );
  assert.equal(typeof json[0].metrics.peak_accuracy, 'number');
  assert.deepEqual(json[0].changed_params, {}, 'b is now the first run listed');
  assert.deepEqual(json[1].changed_params, { 'model.kernel_size': 9 });
  assert.equal(JSON.parse(knotsRun.stdout).length, 0);
});

test('sciml diff --md shows every metric with A, B, change and relative change, and the differing config fields', () => {
  const [r, jsonRun] = scimlBatch([
    ['diff', A, B, '--md'],
    ['diff', A, B, '--json'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\| Metric \| .*a \| .*b \| Change \| Change % \|/);
  const json = JSON.parse(jsonRun.stdout);
  const mse = json.metrics.find((m: any) => m.metric === 'metrics.mse');
  assert.ok(Math.abs(mse.change - (mse.b - mse.a)) < 1e-12);
  assert.ok(Math.abs(mse.change_pct - (100 * (mse.b - mse.a)) / Math.abs(mse.a)) < 1e-9);
  assert.ok(
    json.metrics.some((m: any) => m.metric === 'baseline.peak_accuracy'),
    'nested keys flattened',
  );
  assert.match(r.stdout, /\n\| metrics\.mse \| [\d.e-]+ \| [\d.e-]+ \| [+-]?[\d.e-]+ \| [+-][\d.]+% \|\n/);
  assert.deepEqual(json.params, [{ param: 'model.kernel_size', a: 9, b: 7 }]);
  assert.match(
    r.stdout,
    /### Params\n\n\| Param \| .* \|\n\| --- \| --- \| --- \|\n\| model\.kernel_size \| 9 \| 7 \|/,
  );
});

test('--fail-if exits 1 when the change meets the condition, 0 when not, 2 for an unknown metric', () => {
  const [jsonRun] = scimlBatch([['diff', A, B, '--json']]);
  const change = JSON.parse(jsonRun.stdout).metrics.find((m: any) => m.metric === 'metrics.mse').change;
  const [hit, miss, same, unknown, malformed] = scimlBatch([
    ['diff', A, B, '--fail-if', `metrics.mse ${change >= 0 ? '>=' : '<='} ${change}`],
    ['diff', A, B, '--fail-if', `metrics.mse ${change >= 0 ? '>' : '<'} ${change + (change >= 0 ? 1 : -1)}`],
    ['diff', A, A, '--fail-if', 'metrics.peak_accuracy < -0.01'],
    ['diff', A, B, '--fail-if', 'metrics.peak_acuracy < -0.01'],
    ['diff', A, B, '--fail-if', 'peak accuracy drops'],
  ]);
  assert.equal(hit.code, 1, hit.stderr);
  assert.match(hit.stderr, /diff --fail-if: metrics\.mse changed by/);
  assert.equal(miss.code, 0, miss.stderr);
  assert.equal(same.code, 0);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /no metric 'metrics\.peak_acuracy' in either run \(did you mean 'metrics\.peak_accuracy'\?\)/,
  );
  assert.equal(malformed.code, 2);
});
