import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tabularSchema } from '../../src/models/tabular/config.js';
import { isReportPoint, tabularTrial } from '../../src/models/tabular/trial.js';
import { forgetTrialTable } from '../../src/models/tabular/trial-data.js';
import { readStateFile } from '../../src/runtime/state-file.js';
import { writeFixture } from '../tabular-task/fixture.js';
import { loadModel, predictTable } from '../../src/models/automl/model.js';
import { readMemberFile } from '../../src/models/automl/trial-common.js';
import { rmse as rmseOf } from '../../src/metrics/regression.js';
import { readTable } from '../../src/data/read-table.js';
import { extractTarget } from '../../src/learners/preprocess.js';
import { runInSteps, tempDir } from './helpers.js';

const dir = tempDir('tabular');
process.env.SCIML_CACHE_DIR = join(dir, 'cache');
test.after(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'table.csv');
writeFixture(data, 500, 2);
const configFile = join(dir, 'tabular.yaml');

function configFor(learner: string, params: Record<string, number | string | boolean>) {
  return tabularSchema.parse({
    task: 'tabular',
    seed: 9,
    data: { path: 'table.csv', target: 'y' },
    model: { learner, params },
  });
}

function stateOf(d: string) {
  return readStateFile<{ done: number; trees: number }>(
    join(dir, d, 'checkpoint', 'state.bin'),
    'sciml-tabular-trial/',
  )!;
}

test('report points: every unit up to 20, every 10th after, and the budget', () => {
  const points = Array.from({ length: 45 }, (_, i) => i + 1).filter((u) => isReportPoint(u, 45));
  assert.deepEqual(points, [...Array.from({ length: 20 }, (_, i) => i + 1), 30, 40, 45]);
});

test('a gbm trial continued from its checkpoint grows the same trees as one boosted straight to the budget', async () => {
  // Row and column subsampling make each round depend on the generator state the checkpoint carries.
  const config = configFor('gbm', {
    learning_rate: 0.2,
    max_leaf_nodes: 7,
    min_samples_leaf: 5,
    subsample: 0.7,
    colsample: 0.8,
  });
  const straight = await runInSteps(tabularTrial, config, join(dir, 'gbm-straight'), [40], 9, configFile);
  assert.equal(readdirSync(join(dir, 'cache')).length, 1, 'the prepared table is cached');
  forgetTrialTable(); // the stepped trial reads it back from the disk cache
  const stepped = await runInSteps(tabularTrial, config, join(dir, 'gbm-stepped'), [7, 40], 9, configFile);
  assert.deepEqual(
    stepped.outcomes[1].history.map((r) => r.epoch),
    [...Array.from({ length: 20 }, (_, i) => i + 1), 30, 40],
  );
  assert.equal(stepped.reports[7].epoch, 8, 'the second call continues at round 8');
  assert.deepEqual(stepped.reports, straight.reports);
  assert.equal(stepped.outcomes[1].budgetUsed, 40);
  assert.equal(
    readFileSync(join(dir, 'gbm-stepped', 'checkpoint', 'trees.jsonl'), 'utf8'),
    readFileSync(join(dir, 'gbm-straight', 'checkpoint', 'trees.jsonl'), 'utf8'),
    'same trees',
  );
  assert.deepEqual(stateOf('gbm-stepped').array('raw'), stateOf('gbm-straight').array('raw'));
  // the checkpoint folder is also a model folder, the same whichever way the trial got there
  const member = (d: string) => readMemberFile(join(dir, d, 'checkpoint', 'members', 'model.json.gz'));
  assert.deepEqual(member('gbm-stepped'), member('gbm-straight'));
  const model = loadModel(join(dir, 'gbm-stepped', 'checkpoint'));
  const table = await readTable(data);
  const { prediction } = predictTable(model, table);
  const y = extractTarget(table, 'y');
  const meanY = y.reduce((a, b) => a + b, 0) / y.length;
  assert.ok(
    rmseOf(y, prediction) < 0.5 * rmseOf(y, new Float64Array(y.length).fill(meanY)),
    'the saved trial model predicts the table',
  );
  const rmse = straight.reports.map((r) => r.metrics['validation.rmse']);
  assert.ok(
    rmse[rmse.length - 1] < 0.5 * rmse[0],
    `validation RMSE falls with rounds: ${rmse[0]} -> ${rmse[rmse.length - 1]}`,
  );
  // asked again for a budget it has, the trial trains nothing
  const again = await runInSteps(tabularTrial, config, join(dir, 'gbm-straight'), [40], 9, configFile);
  assert.deepEqual(again.reports, []);
  assert.equal(again.outcomes[0].budgetUsed, 40);
});

test('a random-forest trial continued from its checkpoint adds trees: same forest as one grown at once', async () => {
  const config = configFor('random_forest', { min_samples_leaf: 3, max_features: 0.6 });
  const straight = await runInSteps(tabularTrial, config, join(dir, 'rf-straight'), [14], 9, configFile);
  const stepped = await runInSteps(tabularTrial, config, join(dir, 'rf-stepped'), [5, 14], 9, configFile);
  assert.deepEqual(
    stepped.reports.map((r) => r.epoch),
    Array.from({ length: 14 }, (_, i) => i + 1),
  );
  assert.deepEqual(stepped.reports, straight.reports);
  assert.equal(
    readFileSync(join(dir, 'rf-stepped', 'checkpoint', 'trees.jsonl'), 'utf8'),
    readFileSync(join(dir, 'rf-straight', 'checkpoint', 'trees.jsonl'), 'utf8'),
    'same trees',
  );
  assert.equal(stateOf('rf-stepped').state.trees, 14);
});

test("a changed parameter is not continued from another config's checkpoint", async () => {
  const other = configFor('gbm', {
    learning_rate: 0.05,
    max_leaf_nodes: 7,
    min_samples_leaf: 5,
    subsample: 0.7,
    colsample: 0.8,
  });
  await assert.rejects(
    runInSteps(tabularTrial, other, join(dir, 'gbm-straight'), [50], 9, configFile),
    /checkpoint was written for another learner, parameters or data/,
  );
});

test('learners without a continuation report once per budget', async () => {
  const stepped = await runInSteps(
    tabularTrial,
    configFor('ridge', { alpha: 0.5 }),
    join(dir, 'ridge'),
    [3, 3, 9],
    9,
    configFile,
  );
  assert.deepEqual(
    stepped.reports.map((r) => r.epoch),
    [3, 9],
  );
  assert.ok(stepped.reports[0].metrics['validation.r2'] > 0.5);
});
