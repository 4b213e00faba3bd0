import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { sciml, syntheticCsv, tempDir, writeFile } from './helpers.js';
import { scimlBatch } from '../helpers/cli.js';
import { readInputs } from '../../src/tabular/prepare.js';
import { prepare } from '../../src/models/automl/prepare.js';
import { automlSchema } from '../../src/models/automl/config.js';
import { runTrial } from '../../src/models/automl/trial.js';

function column(path: string, name: string): number[] {
  return Array.from(tableFromIPC(readFileSync(path)).getChild(name)!.toArray() as ArrayLike<number>);
}

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const data = writeFile(dir, 'data.csv', syntheticCsv(400, 1));

function configYaml(out: string): string {
  return (
    [
      'task: automl',
      'seed: 7',
      'data:',
      `  path: ${data}`,
      '  target: y',
      '  test_fraction: 0.25',
      'search:',
      '  time_limit_s: 90',
      '  max_trials: 9',
      '  workers: 2',
      '  learners: [gbm, ridge]',
      'ensemble:',
      '  candidates: 6',
      '',
    ].join('\n') + `# ${out}\n`
  );
}

function stripTiming(line: string): unknown {
  const { fit_time_s, predict_time_s, wall_s, started_s, ended_s, run_s, ...rest } = JSON.parse(line);
  void fit_time_s, predict_time_s, wall_s, started_s, ended_s, run_s;
  return rest;
}

test('--max-trials runs reproduce exactly; predict on the saved model reproduces the holdout predictions; trials replay', async () => {
  const cfg = writeFile(dir, 'automl.yaml', configYaml('a'));
  const a = sciml(['--json', 'train', cfg, '--out', join(dir, 'run-a')]);
  assert.equal(a.status, 0, a.stderr);
  const b = sciml(['--json', 'train', cfg, '--out', join(dir, 'run-b')]);
  assert.equal(b.status, 0, b.stderr);
  const runA = JSON.parse(a.stdout).run_dir as string;
  const runB = JSON.parse(b.stdout).run_dir as string;
  for (const f of [
    'leaderboard.arrow',
    'predictions.arrow',
    'metrics.json',
    'trials.jsonl',
    'model/model.json',
    'report.html',
  ])
    assert.ok(existsSync(join(runA, f)), `${f} missing`);
  assert.ok(!existsSync(join(runA, '.candidates')), 'temporary candidates are removed');
  const linesA = readFileSync(join(runA, 'trials.jsonl'), 'utf8').trim().split('\n');
  const linesB = readFileSync(join(runB, 'trials.jsonl'), 'utf8').trim().split('\n');
  assert.equal(linesA.length, 9);
  assert.deepEqual(linesA.map(stripTiming), linesB.map(stripTiming));
  assert.deepEqual(
    column(join(runA, 'predictions.arrow'), 'prediction'),
    column(join(runB, 'predictions.arrow'), 'prediction'),
  );
  const metricsA = JSON.parse(readFileSync(join(runA, 'metrics.json'), 'utf8'));
  assert.ok(
    metricsA.cv.greedy_ensemble <= metricsA.cv_baseline,
    `greedy ${metricsA.cv.greedy_ensemble} vs best single ${metricsA.cv_baseline}`,
  );
  assert.ok(metricsA.cv_final <= metricsA.cv_baseline);
  // The report lists the permutation importance metrics.json holds (or says why there is none).
  const html = readFileSync(join(runA, 'report.html'), 'utf8');
  const importance = metricsA.feature_importance as { feature: string }[];
  if (importance.length) {
    const table = /<h3>Permutation importance \(holdout\)<\/h3>[^]*?<\/table>/.exec(html)?.[0] ?? '';
    for (const f of importance)
      assert.ok(table.includes(`<td>${f.feature}</td>`), `${f.feature} is in the importance table`);
  } else assert.match(html, /Permutation importance was not computed/);

  // The saved model on the holdout rows, as a new CSV, gives the run's holdout predictions.
  const rows = column(join(runA, 'predictions.arrow'), 'row');
  const csv = readFileSync(data, 'utf8').trim().split('\n');
  const holdout = writeFile(dir, 'holdout.csv', [csv[0], ...rows.map((r) => csv[r + 1])].join('\n') + '\n');
  const out = join(dir, 'predicted.arrow');
  const p = sciml(['predict', '--model', join(runA, 'model'), '--input', holdout, '-o', out]);
  assert.equal(p.status, 0, p.stderr);
  const expected = column(join(runA, 'predictions.arrow'), 'prediction');
  const got = column(out, 'prediction');
  assert.equal(got.length, expected.length);
  for (let i = 0; i < got.length; i++)
    assert.ok(
      Math.abs(got[i] - expected[i]) <= 1e-9 * Math.max(1, Math.abs(expected[i])),
      `row ${i}: ${got[i]} vs ${expected[i]}`,
    );

  // A line of trials.jsonl is enough to re-run that trial and get its fold scores back.
  const config = automlSchema.parse({
    task: 'automl',
    seed: 7,
    data: { path: data, target: 'y', test_fraction: 0.25 },
    search: { learners: ['gbm', 'ridge'] },
  });
  const prep = prepare(config, await readInputs(config, undefined));
  const line = JSON.parse(
    linesA.find((l) => JSON.parse(l).status === 'ok' && JSON.parse(l).budget < 1) ?? linesA[linesA.length - 1],
  );
  const replay = await runTrial(
    {
      id: line.id,
      config: line.config,
      budget: line.budget,
      transform: line.transform,
      seed: line.seed,
      saveBelow: -Infinity,
    },
    {
      X: prep.X,
      y: prep.y,
      Xtest: prep.Xtest,
      folds: prep.folds,
      k: config.search.folds,
      metric: 'rmse',
      clampMin: prep.clampMin,
      candidatesDir: dir,
    },
  );
  assert.deepEqual(replay.foldLosses, line.fold_losses);
});

test('the time limit holds on a small budget, and the run directory is complete', () => {
  const limit = 15;
  // bagged: the whole budget goes to the search (a compact deploy reserves part of it for the refit,
  // test/automl/refit-budget.test.ts checks that accounting on a fake clock)
  const r = sciml([
    'automl',
    data,
    '--target',
    'y',
    '--time-limit',
    String(limit),
    '--workers',
    '2',
    '--deploy',
    'bagged',
    '--out',
    join(dir, 'run-timed'),
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.seconds < limit + 3, `took ${r.seconds.toFixed(1)} s for a ${limit} s limit`);
  assert.match(r.stdout, /rank\s+model\s+cv_rmse\s+holdout_rmse/);
  const metrics = JSON.parse(readFileSync(join(dir, 'run-timed', 'metrics.json'), 'utf8'));
  assert.ok(metrics.metrics.rmse > 0 && Number.isFinite(metrics.metrics.rmse));
  assert.ok(metrics.trials.ok >= 1);
  assert.deepEqual(
    metrics.dropped_columns.map((d: { column: string }) => d.column),
    ['id'],
  );
  assert.ok(metrics.features.includes('when_hour'));
});

test('a column set that adds up to the target triggers the leak warning', () => {
  const leaky = writeFile(dir, 'leaky.csv', syntheticCsv(200, 2, { leak: true }));
  // --max-trials ends both runs; the time limit is only a bound. One process for both.
  const [r, clean] = scimlBatch([
    [
      'automl',
      leaky,
      '--target',
      'y',
      '--time-limit',
      '60',
      '--max-trials',
      '2',
      '--workers',
      '1',
      '--out',
      join(dir, 'run-leak'),
    ],
    [
      'automl',
      leaky,
      '--target',
      'y',
      '--drop',
      'part_a,part_b',
      '--time-limit',
      '60',
      '--max-trials',
      '2',
      '--workers',
      '1',
      '--out',
      join(dir, 'run-noleak'),
    ],
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*'part_a' \+ 'part_b'|warning: .*'part_b' \+ 'part_a'/);
  const metrics = JSON.parse(readFileSync(join(dir, 'run-leak', 'metrics.json'), 'utf8'));
  assert.equal(metrics.leaks.length, 1);
  assert.equal(clean.code, 0, clean.stderr);
  assert.doesNotMatch(clean.stderr, /warning/);
});

test('bad tables get clear errors and exit code 2', () => {
  const text = writeFile(
    dir,
    'text-target.csv',
    'x,label\n' + Array.from({ length: 30 }, (_, i) => `${i},${i % 2 ? 'yes' : 'no'}`).join('\n') + '\n',
  );
  const tiny = writeFile(dir, 'tiny.csv', 'x,y\n1,2\n2,3\n3,5\n4,4\n5,6\n6,8\n');
  const [missing, nonNumeric, few] = scimlBatch([
    ['automl', data, '--target', 'nope', '--time-limit', '3', '--out', join(dir, 'bad-1')],
    // A text target is classification now; asked for regression, it is an error.
    ['automl', text, '--problem-type', 'regression', '--time-limit', '3', '--out', join(dir, 'bad-2')],
    ['automl', tiny, '--time-limit', '3', '--out', join(dir, 'bad-3')],
  ]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /data\.csv: column 'nope': expected the target column/);
  assert.equal(nonNumeric.code, 2);
  assert.match(nonNumeric.stderr, /data: problem_type: regression needs a numeric target, column 'label' holds text/);
  assert.equal(few.code, 2);
  assert.match(few.stderr, /tiny\.csv: expected at least 10 training rows for 5-fold bagging, got 5/);
});

test('an explicit --test table is the holdout, and `sciml evaluate` on the run re-scores it identically', () => {
  const lines = syntheticCsv(400, 3).trim().split('\n');
  const trainFile = writeFile(dir, 'train.csv', [lines[0], ...lines.slice(1, 301)].join('\n') + '\n');
  const testFile = writeFile(dir, 'test.csv', [lines[0], ...lines.slice(301)].join('\n') + '\n');
  const run = join(dir, 'run-explicit');
  const r = sciml([
    '--json',
    'automl',
    trainFile,
    '--test',
    testFile,
    '--target',
    'y',
    '--max-trials',
    '3',
    '--workers',
    '2',
    '--time-limit',
    '60',
    '--out',
    run,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(column(join(run, 'predictions.arrow'), 'row').length, 100);
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  assert.deepEqual(metrics.rows, { train: 300, holdout: 100 });
  assert.equal(summary.trials, 3);
  const ev = sciml(['--json', 'evaluate', run, '--out', join(dir, 'run-explicit-eval')]);
  assert.equal(ev.status, 0, ev.stderr);
  const evMetrics = JSON.parse(ev.stdout).metrics;
  assert.ok(
    Math.abs(evMetrics.rmse - metrics.metrics.rmse) < 1e-9 * metrics.metrics.rmse,
    `${evMetrics.rmse} vs ${metrics.metrics.rmse}`,
  );
});
