import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { sciml } from '../helpers/cli.js';
import { writeFixture } from '../tabular-task/fixture.js';
import { KNOTS_BASE, journal, leaderboardRows, tuneYaml, workdir, type Event } from './helpers.js';
import { crossValidationFold, validationSplit } from '../../src/models/tabular/data.js';
import { LEARNERS } from '../../src/learners/registry.js';
import { rmse } from '../../src/metrics/regression.js';
import { tabularSchema } from '../../src/models/tabular/config.js';
import { trialTable } from '../../src/models/tabular/trial-data.js';
import { takeRows, takeValues } from '../../src/learners/preprocess.js';
import { predictOriginal } from '../../src/models/automl/trial-common.js';
import { contextIn } from '../trials/helpers.js';

test('re-ranking folds partition the rows trials fit on, never their validation rows', () => {
  const rows = 103;
  const { fit, validation } = validationSplit(rows, 0.2, 7, 'test');
  const held = [0, 1, 2, 3].map((f) => crossValidationFold(rows, 0.2, 7, f, 4, 'test'));
  const all = held.flatMap((h) => Array.from(h.heldOut)).sort((a, b) => a - b);
  assert.deepEqual(all, Array.from(fit), 'the folds cover the fitting rows once each');
  for (const h of held) {
    assert.ok(h.heldOut.length >= 20 && h.heldOut.length <= 21, `near-equal folds: ${h.heldOut.length}`);
    const fitSet = new Set(h.fit);
    assert.ok(
      Array.from(validation).every((i) => fitSet.has(i)),
      "the trials' validation rows always fit",
    );
    assert.equal(h.fit.length + h.heldOut.length, rows);
    assert.ok(Array.from(h.heldOut).every((i) => !fitSet.has(i)));
  }
  assert.throws(
    () => crossValidationFold(rows, 0.2, 7, 0, 1, 'cfg.yaml'),
    /cfg\.yaml: tune\.rerank\.folds: expected 2 to 82 folds/,
  );
});

/** A seeded successive-halving search of 9 gbm configurations on a small table, re-ranking the best 3 by 4 folds. */
function tabularTune(dir: string): string {
  writeFixture(join(dir, 'table.csv'), 400, 3);
  writeFileSync(
    join(dir, 'gbm.yaml'),
    'task: tabular\nseed: 5\ndata:\n  path: table.csv\n  target: y\nfeatures:\n  log_target: never\nmodel:\n  learner: gbm\n  params: {max_leaf_nodes: 15}\nvalidation:\n  fraction: 0.2\n',
  );
  const tune = `tune:
  base: gbm.yaml
  metric: validation.rmse
  space:
    model.params.learning_rate: {loguniform: [0.02, 0.5]}
    model.params.min_samples_leaf: {randint: [2, 40]}
  budget: {field: model.params.max_iter, min: 10, max: 90}
  scheduler: successive_halving
  sampler: random
  max_trials: 9
  workers: 2
  time_limit_s: 0
  seed: 11
  rerank: {top: 3, folds: 4}
`;
  writeFileSync(join(dir, 'tune.yaml'), tune);
  return join(dir, 'tune.yaml');
}

const cvKey = (e: Event) => `${e.seg}/${e.config_index}/${e.epochs}/${e.fold}`;

test('the best 3 are re-ranked by 4-fold cross-validation; the winner has the best fold mean, each fold an independent fit; a resume runs only missing folds', async () => {
  const dir = workdir({});
  const tuneFile = tabularTune(dir);
  const reference = join(dir, 'reference');
  const r = sciml(['tune', tuneFile, '--out', reference, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = journal(reference);
  const folds = events.filter((e) => e.ev === 'cv');
  assert.equal(folds.length, 12, '3 configurations x 4 folds');
  assert.equal(new Set(folds.map(cvKey)).size, 12);
  const board = leaderboardRows(reference);
  const reranked = board.filter((row) => Number.isFinite(row['cv_validation.rmse'] as number));
  assert.equal(reranked.length, 3);
  assert.deepEqual(board.slice(0, 3), reranked, 're-ranked configurations lead the board');
  const cvs = reranked.map((row) => row['cv_validation.rmse'] as number);
  assert.deepEqual(
    cvs,
    [...cvs].sort((a, b) => a - b),
    'ordered by cross-validated RMSE',
  );
  // the 3 re-ranked are the 3 best by the search's validation RMSE
  const byValidation = [...board]
    .filter((row) => Number.isFinite(row['validation.rmse'] as number))
    .sort((a, b) => (a['validation.rmse'] as number) - (b['validation.rmse'] as number));
  assert.deepEqual(
    new Set(byValidation.slice(0, 3).map((row) => row.trial)),
    new Set(reranked.map((row) => row.trial)),
  );
  for (const row of reranked) {
    const mine = folds.filter((e) => e.config_index === row.trial);
    const mean = mine.reduce((s, e) => s + (e.metrics as Record<string, number>)['validation.rmse'], 0) / mine.length;
    assert.ok(Math.abs(mean - (row['cv_validation.rmse'] as number)) < 1e-12);
    assert.ok(
      mine.every((e) => e.epochs === row.epochs),
      'folds refit at the budget the configuration reached',
    );
  }

  // The winner's fold 2, fitted here from its written config: same RMSE as the job's.
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.segments.all.winner.trial, reranked[0].trial);
  assert.equal(summary.segments.all.winner['cv_validation.rmse'], cvs[0]);
  const best = parse(readFileSync(join(reference, 'best', 'all', 'config.yaml'), 'utf8'));
  assert.equal(best.model.params.max_iter, reranked[0].epochs);
  const config = tabularSchema.parse(best);
  const prep = await trialTable(
    contextIn(join(dir, 'scratch'), 5, join(reference, 'best', 'all', 'config.yaml')),
    config,
  );
  const { fit, heldOut } = crossValidationFold(prep.y.length, 0.2, config.seed, 2, 4, 'test');
  const learner = LEARNERS.gbm.create({ ...config.model.params, early_stopping: 'off' });
  await learner.fit(takeRows(prep.X, fit), takeValues(prep.y, fit), { seed: config.seed, threads: 1 });
  const direct = rmse(
    takeValues(prep.y, heldOut),
    predictOriginal(learner, takeRows(prep.X, heldOut), 'none', prep.clampMin),
  );
  const fold2 = folds.find((e) => e.config_index === reranked[0].trial && e.fold === 2)!;
  assert.equal(fold2.rows, heldOut.length);
  assert.ok(
    Math.abs((fold2.metrics as Record<string, number>)['validation.rmse'] - direct) < 1e-9,
    `fold 2: job ${JSON.stringify(fold2.metrics)}, direct ${direct}`,
  );
  const y = prep.y;
  assert.ok(
    rmse(y, new Float64Array(y.length).fill(y.reduce((a, b) => a + b, 0) / y.length)) > 2 * cvs[0],
    'the winner beats the mean by far',
  );

  // A crash after 5 folds: the journal without the later folds and the end, then --resume.
  const interrupted = join(dir, 'interrupted');
  sciml(['tune', tuneFile, '--out', interrupted]);
  const lines = readFileSync(join(interrupted, 'trials.jsonl'), 'utf8').trim().split('\n');
  let seen = 0;
  const kept = lines.filter((l) => {
    const e = JSON.parse(l) as Event;
    if (e.ev === 'end') return false;
    if (e.ev !== 'cv') return true;
    return ++seen <= 5;
  });
  writeFileSync(join(interrupted, 'trials.jsonl'), kept.join('\n') + '\n');
  const resumed = sciml(['tune', '--resume', interrupted]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const after = journal(interrupted).filter((e) => e.ev === 'cv');
  assert.equal(after.length, 12, 'the resume ran the 7 missing folds only');
  assert.equal(new Set(after.map(cvKey)).size, 12);
  assert.deepEqual(leaderboardRows(interrupted), board, 'same leaderboard as the uninterrupted run');
});

test('re-ranking needs a task that cross-validates: exit 2 naming tune.rerank.top', () => {
  const dir = workdir({
    'knots.yaml': KNOTS_BASE,
    'tune.yaml': tuneYaml('  space:\n    model.width: {choice: [8, 16]}\n  rerank:\n    top: 3\n'),
  });
  const r = sciml(['tune', join(dir, 'tune.yaml')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /tune\.yaml:7: tune\.rerank\.top: task 'knots' cannot cross-validate a configuration; re-ranking works with task: tabular/,
  );
});
