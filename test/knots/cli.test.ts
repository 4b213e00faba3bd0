import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { sciml, scimlBatch } from '../helpers/cli.js';
import { KNOT_FEATURES } from '../../src/data/knots/columns.js';

const TRANSLATIONS = ['longitudinal_translation', 'meridinal_translation_imag', 'meridinal_translation_real'];

/** A quick config: 8,000 knots, the default network, 40 epochs. */
const SMALL = `task: knots
seed: 3
data:
  path: knots.arrow
training:
  learning_rate: 0.006
  batch_size: 256
  max_epochs: 40
  patience: 40
salience:
  steps: 8
  examples: 300
`;

function readArrow(path: string) {
  return tableFromIPC(readFileSync(path));
}

test('generate, train, evaluate and re-render a knots run from the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'knots-cli-'));
  writeFileSync(join(dir, 'knots.yaml'), SMALL);
  const run = join(dir, 'run');
  // One process: generate, train, evaluate the saved model, re-render the report.
  const [gen, trained, evaluated, reported] = scimlBatch(
    [
      ['data', 'generate', 'knots', '-n', '8000', '--seed', '8', '-o', join(dir, 'knots.arrow')],
      ['--json', 'train', join(dir, 'knots.yaml'), '--out', run],
      ['--json', 'evaluate', run, '--out', join(dir, 'eval')],
      ['report', run],
    ],
    { cwd: dir },
  );
  assert.equal(gen.code, 0, gen.stderr);
  assert.equal(trained.code, 0, trained.stderr);
  const summary = JSON.parse(trained.stdout);
  assert.equal(summary.run_dir, run);
  assert.equal(summary.synthetic, true);

  for (const file of [
    'config.yaml',
    'run.json',
    'metrics.json',
    'predictions.arrow',
    'salience.arrow',
    'history.json',
    'report.html',
    'model/full.json',
    'model/top_k.json',
    'charts/salience.svg',
    'charts/salience.vl.json',
    'charts/predicted-vs-true.svg',
    'charts/slope-vs-true.svg',
    'charts/training.svg',
  ]) {
    assert.ok(existsSync(join(run, file)), `${file} is written`);
  }
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  for (const key of ['test_mse', 'test_accuracy', 'ig_completeness_gap', 'top_k_test_mse'])
    assert.equal(typeof metrics.metrics[key], 'number', key);
  assert.equal(typeof metrics.baseline.test_mse, 'number');
  assert.equal(typeof metrics.baseline.test_accuracy, 'number');

  const predictions = readArrow(join(run, 'predictions.arrow'));
  assert.deepEqual(
    predictions.schema.fields.map((f) => f.name),
    ['id', 'signature', 'predicted', 'predicted_even', 'slope_over_2'],
  );
  assert.equal(predictions.numRows, 1200);
  const truth = predictions.getChild('signature')!.toArray() as Int32Array;
  let variance = 0;
  const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
  for (const s of truth) variance += (s - mean) ** 2 / truth.length;
  assert.ok(
    metrics.metrics.test_mse < 0.1 * variance,
    `the model learns: test MSE ${metrics.metrics.test_mse} vs signature variance ${variance}`,
  );
  assert.ok(
    metrics.metrics.test_mse < metrics.baseline.test_mse - 0.1,
    `the model beats slope/2: ${metrics.metrics.test_mse} vs ${metrics.baseline.test_mse}`,
  );
  assert.ok(metrics.metrics.test_accuracy > metrics.baseline.test_accuracy, 'and is more often right');
  assert.ok((predictions.getChild('predicted_even')!.toArray() as Int32Array).every((v) => v % 2 === 0));

  const salience = readArrow(join(run, 'salience.arrow'));
  assert.equal(salience.numRows, KNOT_FEATURES.length);
  assert.deepEqual(
    salience.schema.fields.map((f) => f.name),
    [
      'feature',
      'gradient_saliency',
      'integrated_gradients',
      'gradient_rank',
      'integrated_gradients_rank',
      'gradient_saliency_normalized',
      'integrated_gradients_normalized',
    ],
  );
  assert.deepEqual(
    [...metrics.salience.top_gradient].slice(0, 3).sort(),
    TRANSLATIONS,
    'gradient saliency ranks the three translations first',
  );
  assert.deepEqual(
    [...metrics.salience.top_integrated_gradients].slice(0, 3).sort(),
    TRANSLATIONS,
    'integrated gradients rank the three translations first',
  );
  assert.deepEqual([...metrics.top_k.features].sort(), TRANSLATIONS);
  assert.ok(metrics.metrics.top_k_test_mse < metrics.baseline.test_mse, 'the top-3 model beats slope/2 too');
  assert.ok(
    metrics.metrics.ig_completeness_gap_relative < 0.1,
    `completeness gap ${metrics.metrics.ig_completeness_gap_relative}`,
  );

  const html = readFileSync(join(run, 'report.html'), 'utf8');
  assert.match(html, /SYNTHETIC/);
  assert.match(html, /<svg/);

  assert.equal(evaluated.code, 0, evaluated.stderr);
  const again = JSON.parse(evaluated.stdout);
  assert.ok(
    Math.abs(again.test_mse - metrics.metrics.test_mse) < 1e-9,
    'evaluating the saved model reproduces the test MSE',
  );
  assert.ok(Math.abs(again.top_k_test_mse - metrics.metrics.top_k_test_mse) < 1e-9);

  assert.equal(reported.code, 0, reported.stderr);
  assert.equal(reported.stdout.trim(), join(run, 'report.html'));
});

test('a CSV with an odd signature stops training with a clear message and exit code 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'knots-bad-'));
  const header = [...KNOT_FEATURES, 'signature'];
  const row = header.map((h) =>
    h === 'signature' ? '3' : h === 'Symmetry_0' ? '1' : h.startsWith('Symmetry') ? '0' : '1.5',
  );
  writeFileSync(
    join(dir, 'bad.csv'),
    `${header.map((h) => (h.includes(' ') ? `"${h}"` : h)).join(',')}\n${row.join(',')}\n`,
  );
  writeFileSync(join(dir, 'knots.yaml'), 'task: knots\ndata:\n  path: bad.csv\n');
  const r = sciml(['train', join(dir, 'knots.yaml'), '--out', join(dir, 'run')]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^sciml: .*bad\.csv: column 'signature', line 2: expected an even integer \(knot signatures are even\), got 3\n$/,
  );
  assert.ok(!existsSync(join(dir, 'run', 'metrics.json')), 'nothing half-written');
});
