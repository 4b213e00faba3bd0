/**
 * `task: tabular`: one registry learner from YAML. Train fits it on the training rows and scores it
 * once on the holdout against the mean of the training target; the model folder is the AutoML
 * format, so `sciml predict` serves it. The trial (trial.ts) trains it in budget steps for `sciml tune`.
 */
import type { TaskContext, TaskDefinition, TaskOutcome } from '../../contracts/task.js';
import type { RunDir } from '../../runtime/rundir.js';
import { textTable } from '../../runtime/text-table.js';
import { extractTarget } from '../../learners/preprocess.js';
import { LEARNERS } from '../../learners/registry.js';
import { allMetrics, type RegressionMetric } from '../../metrics/regression.js';
import { forward } from '../../tabular/target.js';
import { ensureBackendFor, predictOriginal } from '../automl/trial-common.js';
import { loadModel, predictTable } from '../automl/model.js';
import { holdoutOf, readInputs } from '../../tabular/prepare.js';
import { writePredictions } from '../automl/outputs.js';
import { tabularSchema, type TabularConfig } from './config.js';
import { meanOf, prepareTabular, targetTransform } from './data.js';
import { modelInputsOf, readTabularInfo, saveTabularModel } from './model-io.js';
import { tabularTrial } from './trial.js';

const BASELINE_NAME = 'mean of the training target';

function outcomeText(
  learner: string,
  target: string,
  metrics: Record<RegressionMetric, number>,
  baseline: Record<RegressionMetric, number>,
  rows: number,
  run: RunDir,
): string {
  const names: RegressionMetric[] = ['rmse', 'mae', 'r2', 'rmsle'];
  const row = (label: string, m: Record<RegressionMetric, number>) => [label, ...names.map((n) => m[n].toFixed(4))];
  const table = textTable(
    [['model', ...names], row(learner, metrics), row('mean baseline', baseline)],
    ['left', ...names.map(() => 'right' as const)],
  );
  return `tabular: ${learner} predicting ${target}, ${rows} holdout rows\n${table}run: ${run.path}\n`;
}

function importanceOf(learner: {
  featureImportance?(): Record<string, number>;
}): { feature: string; importance: number }[] {
  if (!learner.featureImportance) return [];
  return Object.entries(learner.featureImportance())
    .map(([feature, importance]) => ({ feature, importance }))
    .sort((a, b) => b.importance - a.importance);
}

async function train(ctx: TaskContext, config: TabularConfig): Promise<TaskOutcome> {
  const prep = await prepareTabular(ctx, config);
  const where = ctx.configFile ?? 'config';
  const transform = targetTransform(config, prep.y, where);
  const kind = config.model.learner;
  await ensureBackendFor([kind]);
  const learner = LEARNERS[kind].create(config.model.params);
  const t0 = performance.now();
  await ctx.run.phase('train', () =>
    learner.fit(prep.X, forward(transform, prep.y), { seed: config.seed, threads: ctx.workers }),
  );
  const fitSeconds = (performance.now() - t0) / 1000;
  const prediction = await ctx.run.phase('predict', () =>
    predictOriginal(learner, prep.Xtest, transform, prep.clampMin),
  );
  const baselineMean = meanOf(prep.y);
  const baselinePrediction = new Float64Array(prep.ytest.length).fill(baselineMean);
  const metrics = allMetrics(prep.ytest, prediction);
  const baseline = allMetrics(prep.ytest, baselinePrediction);
  saveTabularModel(ctx.run.file('model'), modelInputsOf(prep), learner, transform, baselineMean);
  writePredictions(ctx.run, prep, prediction, [{ name: 'baseline_mean', test: baselinePrediction }]);
  const size =
    'rounds' in learner
      ? { rounds: (learner as { rounds: number }).rounds }
      : 'treeCount' in learner
        ? { trees: (learner as { treeCount: number }).treeCount }
        : {};
  ctx.run.writeMetrics({
    task: 'tabular',
    metrics,
    baseline,
    baseline_name: BASELINE_NAME,
    learner: kind,
    params: learner.params,
    ...size,
    target: prep.target,
    target_transform: transform,
    features: prep.X.names,
    dropped_columns: prep.plan.dropped,
    date_columns: prep.plan.dates,
    leaks: prep.leaks,
    rows: { train: prep.y.length, holdout: prep.ytest.length },
    fit_time_s: fitSeconds,
    feature_importance: importanceOf(learner),
  });
  await ctx.run.phase('report', async () => (await import('./report.js')).writeTabularReport(ctx.run));
  return {
    text: outcomeText(kind, prep.target, metrics, baseline, prep.ytest.length, ctx.run),
    summary: {
      learner: kind,
      metrics,
      baseline,
      baseline_name: BASELINE_NAME,
      ...size,
      target_transform: transform,
      fit_time_s: fitSeconds,
    },
  };
}

/** Re-scores a saved model on the config's holdout rows, against its own training-mean baseline. */
async function evaluate(ctx: TaskContext, config: TabularConfig, options: { modelDir: string }): Promise<TaskOutcome> {
  const info = readTabularInfo(options.modelDir);
  const model = loadModel(options.modelDir);
  await ensureBackendFor(model.members.map((m) => m.kind));
  const inputs = await ctx.run.phase('read', () => readInputs(config, ctx.configFile));
  for (const path of [inputs.dataPath, inputs.testPath]) if (path && path !== '-') await ctx.run.recordInput(path);
  const { table: holdout, rows: testRows } = holdoutOf(config, inputs);
  const ytest = extractTarget(holdout, model.file.target);
  const { prediction } = predictTable(model, holdout);
  const baselinePrediction = new Float64Array(ytest.length).fill(info.baseline_mean);
  const metrics = allMetrics(ytest, prediction);
  const baseline = allMetrics(ytest, baselinePrediction);
  writePredictions(ctx.run, { testTable: holdout, plan: model.file.plan, testRows, ytest }, prediction, [
    { name: 'baseline_mean', test: baselinePrediction },
  ]);
  ctx.run.writeMetrics({
    task: 'tabular',
    metrics,
    baseline,
    baseline_name: BASELINE_NAME,
    learner: info.learner,
    params: info.params,
    target: info.target,
    target_transform: info.transform,
    model_dir: options.modelDir,
    rows: { holdout: ytest.length },
  });
  await ctx.run.phase('report', async () => (await import('./report.js')).writeTabularReport(ctx.run));
  return {
    text: outcomeText(info.learner, info.target, metrics, baseline, ytest.length, ctx.run),
    summary: { learner: info.learner, metrics, baseline, model_dir: options.modelDir },
  };
}

export const tabularTask: TaskDefinition<TabularConfig> = {
  name: 'tabular',
  schema: tabularSchema,
  usesTensorflow: false,
  train: (ctx, config) => train(ctx, config),
  evaluate,
  trial: tabularTrial,
  // Lazy: the report pulls in vega, which is slow to load.
  renderReport: (run) => import('./report.js').then((m) => m.writeTabularReport(run)),
};
