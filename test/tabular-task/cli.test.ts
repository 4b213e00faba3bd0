import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { sciml, scimlBatch } from '../helpers/cli.js';
import { writeFixture } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-tabular-task-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
writeFixture(join(dir, 'table.csv'), 600, 3);

function config(name: string, model: string): string {
  const path = join(dir, name);
  writeFileSync(path, `task: tabular\nseed: 5\ndata:\n  path: table.csv\n  target: y\n  test_fraction: 0.25\n${model}`);
  return path;
}

const metricsOf = (run: string) => JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));

test('tabular gbm: train beats the mean baseline; evaluate and predict reproduce the holdout predictions', () => {
  const file = config(
    'gbm.yaml',
    'model:\n  learner: gbm\n  params:\n    max_iter: 150\n    learning_rate: 0.1\n    min_samples_leaf: 5\n',
  );
  const run = join(dir, 'gbm-run');
  const trained = sciml(['--json', 'train', file, '--out', run]);
  assert.equal(trained.code, 0, trained.stderr);
  const summary = JSON.parse(trained.stdout);
  const m = metricsOf(run);
  assert.equal(m.task, 'tabular');
  assert.equal(m.learner, 'gbm');
  assert.equal(m.rounds, 150);
  assert.ok(m.metrics.rmse < 0.35 * m.baseline.rmse, `rmse ${m.metrics.rmse} vs mean baseline ${m.baseline.rmse}`);
  assert.ok(m.metrics.r2 > 0.85, `r2 ${m.metrics.r2}`);
  assert.equal(summary.metrics.rmse, m.metrics.rmse);
  assert.deepEqual(
    m.dropped_columns.map((d: { column: string }) => d.column),
    ['id'],
    'the id column is dropped',
  );
  assert.ok(m.features.includes('day_dayofweek'), 'the date column is expanded');
  for (const f of [
    'predictions.arrow',
    'report.html',
    'model/model.json',
    'model/tabular.json',
    'model/members/model.json.gz',
  ])
    assert.ok(existsSync(join(run, f)), f);
  const holdout = tableFromIPC(readFileSync(join(run, 'predictions.arrow')));
  assert.equal(holdout.numRows, 150);

  // evaluate the run (the same holdout, the same metrics), predict the whole table with the saved
  // model, re-render the report from the run's files: one process.
  rmSync(join(run, 'report.html'));
  const out = join(dir, 'all.arrow');
  const [evaluated, predicted, reported] = scimlBatch([
    ['--json', 'evaluate', run, '--out', join(dir, 'gbm-eval')],
    ['predict', '--model', join(run, 'model'), '--input', join(dir, 'table.csv'), '-o', out],
    ['report', run],
  ]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.deepEqual(metricsOf(join(dir, 'gbm-eval')).metrics, m.metrics);
  assert.deepEqual(metricsOf(join(dir, 'gbm-eval')).baseline, m.baseline);

  // the holdout rows get the same predictions
  assert.equal(predicted.code, 0, predicted.stderr);
  const all = tableFromIPC(readFileSync(out));
  assert.equal(all.numRows, 600);
  const allPred = all.getChild('prediction')!.toArray() as Float64Array;
  const rows = holdout.getChild('row')!.toArray() as Int32Array;
  const holdPred = holdout.getChild('prediction')!.toArray() as Float64Array;
  for (let i = 0; i < rows.length; i++) assert.equal(allPred[rows[i]], holdPred[i]);

  assert.equal(reported.code, 0, reported.stderr);
  assert.ok(existsSync(join(run, 'report.html')));
});

test('tabular random forest and ridge train and beat the mean baseline', () => {
  const models = [
    ['rf', 'model:\n  learner: random_forest\n  params:\n    n_estimators: 30\n    min_samples_leaf: 2\n'],
    ['ridge', 'model:\n  learner: ridge\n  params:\n    alpha: 1.0\nfeatures:\n  log_target: never\n'],
  ];
  const results = scimlBatch(
    models.map(([name, model]) => ['train', config(`${name}.yaml`, model), '--out', join(dir, `${name}-run`)]),
  );
  models.forEach(([name], i) => {
    assert.equal(results[i].code, 0, results[i].stderr);
    const m = metricsOf(join(dir, `${name}-run`));
    assert.ok(
      m.metrics.rmse < 0.6 * m.baseline.rmse,
      `${name}: rmse ${m.metrics.rmse} vs mean baseline ${m.baseline.rmse}`,
    );
  });
});

test('a misspelled or out-of-range learner parameter is exit 2 with file:line:field', () => {
  const file = config('bad.yaml', 'model:\n  learner: gbm\n  params:\n    learning_rat: 0.1\n');
  const [r, range, type, learner] = scimlBatch([
    ['train', file],
    ['train', config('range.yaml', 'model:\n  learner: gbm\n  params:\n    max_bins: 300\n')],
    ['train', config('type.yaml', 'model:\n  learner: random_forest\n  params:\n    n_estimators: many\n')],
    ['train', config('learner.yaml', 'model:\n  learner: xgboost\n')],
  ]);
  assert.equal(r.code, 2);
  assert.ok(
    r.stderr.includes(
      `${file}:10: model.params.learning_rat: expected a gbm parameter (did you mean 'learning_rate'?)`,
    ),
    r.stderr,
  );
  assert.equal(range.code, 2);
  assert.match(range.stderr, /range\.yaml:10: model\.params\.max_bins: expected an integer in \[2, 255\], got 300/);
  assert.equal(type.code, 2);
  assert.match(type.stderr, /type\.yaml:10: model\.params\.n_estimators: expected a number/);
  assert.equal(learner.code, 2);
  assert.match(learner.stderr, /learner\.yaml:8: model\.learner: expected one of 'gbm'/);
});
