import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { executionTarget } from '../../execution/config.js';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { TaskContext, TaskDefinition, TaskOutcome } from '../../contracts/task.js';
import type { KnotData } from '../../data/knots/load.js';
import { knotsSchema, type KnotsConfig } from './config.js';
import { readKnotModel } from './predict.js';
import { computeSalience, dataPath, evaluateOnTest, loadData, split, trainModel } from './pipeline.js';
import { topK } from './salience.js';
import { smallSplitWarning, type Split } from './evaluation.js';
import { outcomeText, writeRunOutputs, type KnotsHistory, type KnotsOutcome, type TopKResult } from './outputs.js';
import { knotsDistributedSummary, renderKnotsReport } from './report.js';
import { knotsTrial } from './trial.js';
import type { KnotsDistribution } from './distributed.js';
import { distributedSettingsOf } from '../../distributed/config.js';

/**
 * `evaluate <run-dir>` has no config file to resolve a relative data.path against (config.yaml
 * sits in the run directory): use the absolute path the training run recorded in model/data.json.
 */
function withTrainingDataPath(ctx: TaskContext, config: KnotsConfig, modelDir?: string): KnotsConfig {
  const path = config.data.path;
  if (ctx.configFile || !modelDir || !path || path === '-' || isAbsolute(path)) return config;
  const recordFile = join(modelDir, 'data.json');
  if (!existsSync(recordFile)) return config;
  const recorded = (JSON.parse(readFileSync(recordFile, 'utf8')) as { path?: string }).path;
  return recorded && basename(recorded) === basename(path)
    ? { ...config, data: { ...config.data, path: recorded } }
    : config;
}

async function prepare(ctx: TaskContext, config: KnotsConfig): Promise<{ data: KnotData; rows: Split }> {
  const path = dataPath(config, ctx.configFile);
  const data = await ctx.run.phase('load', () => loadData(config, ctx.configFile));
  if (path && path !== '-') await ctx.run.recordInput(path);
  const rows = split(config, data, ctx.configFile ?? 'config');
  const thin = smallSplitWarning(rows);
  if (thin) ctx.log.warn(`${ctx.configFile ?? 'config'}: ${thin}`);
  return { data, rows };
}

function sizes(rows: Split) {
  return { train: rows.train.length, validation: rows.validation.length, test: rows.test.length };
}

async function finish(ctx: TaskContext, outcome: KnotsOutcome): Promise<TaskOutcome> {
  const metrics = writeRunOutputs(ctx.run, outcome);
  await ctx.run.phase('report', () => renderKnotsReport(ctx.run, ctx.log));
  return {
    text: outcomeText(outcome),
    summary: {
      ...metrics.metrics,
      baseline: metrics.baseline,
      top_k: metrics.top_k,
      salience: metrics.salience,
      synthetic: outcome.data.synthetic,
    },
  };
}

/** The per-epoch checkpoint of one of the run's models (`full`, `top_k`), continued by `--resume`. */
function checkpointOf(ctx: TaskContext, name: 'full' | 'top_k', resume: boolean) {
  return { path: ctx.run.file('model', `checkpoint-${name}.bin`), resume };
}

/** Where and on how many replicas a model trains (training.distributed, execution). */
function distributionOf(ctx: TaskContext, config: KnotsConfig, name: 'full' | 'top_k'): KnotsDistribution {
  const settings = distributedSettingsOf(config.training.distributed);
  const remote = config.execution.executor !== 'local';
  return {
    settings,
    execution: executionTarget(ctx, config.execution),
    backend: ctx.backend?.provider,
    seed: config.seed,
    runKey: ctx.run.path,
    roundsFile: settings.replicas > 1 || remote ? ctx.run.file(`rounds-${name}.json`) : undefined,
  };
}

async function train(ctx: TaskContext, config: KnotsConfig, options: { resume?: string }): Promise<TaskOutcome> {
  const resume = Boolean(options.resume);
  const { data, rows } = await prepare(ctx, config);
  const path = dataPath(config, ctx.configFile);
  mkdirSync(ctx.run.file('model'), { recursive: true });
  ctx.run.writeJson('model/data.json', {
    path: path ? (path === '-' ? '-' : resolve(path)) : null,
    synthetic: data.synthetic,
    rows: data.rows,
    features: data.features,
    target: data.target,
  });
  const full = await ctx.run.phase('train', () =>
    trainModel(config, data, rows, data.features, config.seed, ctx.log, 'all features', {
      checkpoint: checkpointOf(ctx, 'full', resume),
      distribution: distributionOf(ctx, config, 'full'),
    }),
  );
  if (full.fit.resumedAt > 0) ctx.log.info(`all features: resumed at epoch ${full.fit.resumedAt + 1}`);
  ctx.run.writeJson('model/full.json', full.model.state());
  const test = evaluateOnTest(full.model, data, rows);
  const salience = await ctx.run.phase('salience', () => computeSalience(config, full.model, data, rows));
  const history: KnotsHistory = { full: full.fit.history };

  let topKResult: TopKResult | undefined;
  const k = config.salience.top_k;
  if (k > 0 && k < data.features.length) {
    const scores = config.salience.retrain_method === 'gradient' ? salience.gradient : salience.integrated;
    const features = topK(scores, k).map((j) => salience.features[j]);
    const reduced = await ctx.run.phase('top_k', () =>
      trainModel(config, data, rows, features, config.seed, ctx.log, `top ${k}`, {
        checkpoint: checkpointOf(ctx, 'top_k', resume),
        distribution: distributionOf(ctx, config, 'top_k'),
      }),
    );
    ctx.run.writeJson('model/top_k.json', { ...reduced.model.state(), selected_by: config.salience.retrain_method });
    topKResult = {
      k,
      method: config.salience.retrain_method,
      features,
      test: evaluateOnTest(reduced.model, data, rows),
    };
    history.top_k = reduced.fit.history;
    reduced.model.dispose();
  }
  ctx.run.writeJson('model/history.json', history);
  const distributed = knotsDistributedSummary(ctx.run);
  if (distributed) ctx.run.extra.distributed = distributed;
  full.model.dispose();
  return finish(ctx, {
    config,
    data,
    split: sizes(rows),
    test,
    salience,
    topK: topKResult,
    history,
    bestEpoch: full.fit.bestEpoch,
    resumedAtEpoch: resume ? full.fit.resumedAt : undefined,
  });
}

async function evaluate(ctx: TaskContext, config: KnotsConfig, options: { modelDir: string }): Promise<TaskOutcome> {
  const model = readKnotModel(join(options.modelDir, 'full.json'));
  const { data, rows } = await prepare(ctx, withTrainingDataPath(ctx, config, options.modelDir));
  const test = evaluateOnTest(model, data, rows);
  const salience = await ctx.run.phase('salience', () => computeSalience(config, model, data, rows));
  let topKResult: TopKResult | undefined;
  const topKPath = join(options.modelDir, 'top_k.json');
  if (existsSync(topKPath)) {
    const reduced = readKnotModel(topKPath);
    const selectedBy =
      (JSON.parse(readFileSync(topKPath, 'utf8')) as { selected_by?: TopKResult['method'] }).selected_by ??
      config.salience.retrain_method;
    topKResult = {
      k: reduced.features.length,
      method: selectedBy,
      features: reduced.features,
      test: evaluateOnTest(reduced, data, rows),
    };
    reduced.dispose();
  }
  model.dispose();
  const historyPath = join(options.modelDir, 'history.json');
  const history = existsSync(historyPath) ? (JSON.parse(readFileSync(historyPath, 'utf8')) as KnotsHistory) : undefined;
  return finish(ctx, { config, data, split: sizes(rows), test, salience, topK: topKResult, history });
}

export const knotsTask: TaskDefinition<KnotsConfig> = {
  name: 'knots',
  schema: knotsSchema,
  usesTensorflow: true,
  train,
  evaluate,
  trial: knotsTrial,
  renderReport: renderKnotsReport,
};
