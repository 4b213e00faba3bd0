import { mkdirSync } from 'node:fs';
import { executionTarget } from '../../execution/config.js';
import { dirname, join } from 'node:path';
import type { TaskContext, TaskDefinition, TaskOutcome } from '../../contracts/task.js';
import type { RunDir } from '../../runtime/rundir.js';
import type { Logger } from '../../runtime/log.js';
import { denoiserSchema, type DenoiserConfig } from './config.js';
import { bottleneckShape, buildDenoiser } from './architecture.js';
import { requireLength, tracesFor } from './data.js';
import { bandPassFilter, estimateWienerFilter } from './filters.js';
import { evaluateMethods, writeEvaluation, type Evaluation } from './evaluate.js';
import {
  loadModel,
  MODEL_FILES,
  saveFilters,
  saveHistory,
  saveModel,
  type DenoiserMeta,
  type SavedFilters,
} from './model-io.js';
import { predictTraces, writeParams } from './replica.js';
import { trainDenoiser } from './train.js';
import { distributedSummary } from '../../distributed/summary.js';
import { trainSettingsOf, trainingInputs } from './setup.js';
import { denoiserTrial } from './trial.js';
import { renderDenoiserReport } from './report.js';
import type { EpochRecord } from './checkpoint.js';
import type { TraceSet } from '../../data/radio/traces.js';
import type { tf } from '../../runtime/backend.js';
import { textTable } from '../../runtime/text-table.js';

function bandOf(config: DenoiserConfig) {
  return { lowMhz: config.data.simulation.band_low_mhz, highMhz: config.data.simulation.band_high_mhz };
}

async function evaluateAndWrite(
  ctx: TaskContext,
  config: DenoiserConfig,
  model: tf.LayersModel,
  test: TraceSet,
  filters: SavedFilters,
  history: EpochRecord[],
  extra: Record<string, unknown>,
): Promise<Evaluation> {
  const recovered = await ctx.run.phase('predict', () => predictTraces(model, test.noisy, test.length));
  const evaluation = await ctx.run.phase('evaluate', () =>
    evaluateMethods(test, recovered, filters, {
      samplingRateMhz: config.data.simulation.sampling_rate_mhz,
      band: bandOf(config),
      peakFraction: config.evaluation.peak_fraction,
      snrBins: config.evaluation.snr_bins,
    }),
  );
  writeEvaluation(ctx.run, evaluation, {
    peak_fraction: config.evaluation.peak_fraction,
    sampling_rate_mhz: config.data.simulation.sampling_rate_mhz,
    band_mhz: [config.data.simulation.band_low_mhz, config.data.simulation.band_high_mhz],
    noise: config.data.test_path ? 'file' : config.data.simulation.noise,
    history,
    ...extra,
  });
  await ctx.run.phase('report', () => renderDenoiserReport(ctx.run));
  return evaluation;
}

function outcomeOf(run: RunDir, e: Evaluation, extra: Record<string, unknown>): TaskOutcome {
  const rows: [string, { peak_accuracy: number; mse: number; spectral_error: number }][] = [
    ['DAE', e.results.dae.metrics],
    ['Wiener filter', e.results.wiener.metrics],
    ['FFT band-pass', e.results.bandpass.metrics],
  ];
  const lines = [
    `denoiser: ${e.test.count} test traces`,
    textTable(
      [
        ['method', 'peak_accuracy', 'mse', 'spectral_error'],
        ...rows.map(([name, m]) => [
          name,
          m.peak_accuracy.toFixed(4),
          m.mse.toExponential(3),
          m.spectral_error.toFixed(4),
        ]),
      ],
      ['left', 'right', 'right', 'right'],
    ).trimEnd(),
    `run: ${run.path}`,
  ];
  return {
    text: lines.join('\n') + '\n',
    summary: {
      ...e.results.dae.metrics,
      baseline: e.results.wiener.metrics,
      bandpass: e.results.bandpass.metrics,
      test_count: e.test.count,
      ...extra,
    },
  };
}

async function train(ctx: TaskContext, config: DenoiserConfig, options: { resume?: string }): Promise<TaskOutcome> {
  const baseDir = ctx.configFile ? dirname(ctx.configFile) : process.cwd();
  const { trainSet, arch } = await trainingInputs(ctx, config, baseDir);
  const testSet = await ctx.run.phase('data', () => tracesFor(config, 'test', baseDir, ctx.run));
  requireLength(testSet, arch.length, config.data.test_path || 'test traces');
  const modelDir = ctx.run.file('model');
  mkdirSync(modelDir, { recursive: true });
  const filters: SavedFilters = {
    bandpass: bandPassFilter(arch.length, config.data.simulation.sampling_rate_mhz, bandOf(config)),
    wiener: estimateWienerFilter(
      trainSet.noisy,
      trainSet.signal,
      arch.length,
      config.data.simulation.sampling_rate_mhz,
    ),
  };
  saveFilters(modelDir, filters);
  const result = await ctx.run.phase('train', () =>
    trainDenoiser({
      arch,
      seed: config.seed,
      settings: trainSettingsOf(ctx, config, arch),
      traces: trainSet,
      backend: ctx.backend?.provider ?? 'cpu',
      log: ctx.log,
      checkpointPath: config.training.checkpoint ? join(modelDir, MODEL_FILES.checkpoint) : undefined,
      resume: Boolean(options.resume),
      execution: executionTarget(ctx, config.execution),
      runKey: ctx.run.path,
      roundsFile:
        config.training.distributed.replicas > 1 || config.execution.executor !== 'local'
          ? ctx.run.file('rounds.json')
          : undefined,
    }),
  );
  const model = buildDenoiser(arch, config.seed);
  writeParams(model, result.bestParams);
  const meta: DenoiserMeta = {
    format: 'sciml-denoiser/1',
    architecture: arch,
    length: arch.length,
    sampling_rate_mhz: config.data.simulation.sampling_rate_mhz,
    band_mhz: [config.data.simulation.band_low_mhz, config.data.simulation.band_high_mhz],
    parameters: result.layout.total,
    bottleneck: bottleneckShape(arch),
    config_dir: baseDir,
    best_epoch: result.bestEpoch,
    best_val_loss: result.bestValLoss,
    epochs_run: result.history.length,
    stopped_early: result.stoppedEarly,
    replicas: result.replicas,
  };
  await saveModel(modelDir, model, meta);
  saveHistory(modelDir, result.history);
  const training = {
    best_epoch: result.bestEpoch,
    epochs_run: result.history.length,
    stopped_early: result.stoppedEarly,
    replicas: result.replicas,
    parameters: result.layout.total,
    resumed_at_epoch: result.resumedAt,
  };
  if (result.replicas > 1 || result.executor !== 'local')
    ctx.run.extra.distributed = distributedSummary(result.rounds, result.replicas, result.executor);
  const evaluation = await evaluateAndWrite(ctx, config, model, testSet, filters, result.history, { training });
  model.dispose();
  return outcomeOf(ctx.run, evaluation, training);
}

async function evaluate(ctx: TaskContext, config: DenoiserConfig, options: { modelDir: string }): Promise<TaskOutcome> {
  const loaded = await loadModel(options.modelDir);
  const baseDir = ctx.configFile ? dirname(ctx.configFile) : loaded.meta.config_dir;
  const testSet = await ctx.run.phase('data', () => tracesFor(config, 'evaluate', baseDir, ctx.run));
  requireLength(testSet, loaded.meta.length, config.data.test_path || 'test traces');
  const evaluation = await evaluateAndWrite(ctx, config, loaded.model, testSet, loaded.filters, loaded.history, {
    model_dir: options.modelDir,
  });
  loaded.model.dispose();
  return outcomeOf(ctx.run, evaluation, { model_dir: options.modelDir });
}

export const denoiserTask: TaskDefinition<DenoiserConfig> = {
  name: 'denoiser',
  schema: denoiserSchema,
  usesTensorflow: true,
  train,
  evaluate,
  trial: denoiserTrial,
  async renderReport(run: RunDir, _log: Logger) {
    await renderDenoiserReport(run);
  },
};
