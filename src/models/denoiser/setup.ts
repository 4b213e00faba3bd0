/** From a denoiser config to the training loop's inputs: shared by `sciml train` and the tune trial. */
import type { TaskContext } from '../../tasks.js';
import { UserError } from '../../runtime/errors.js';
import { peakTolerance } from '../../metrics/peak.js';
import type { TraceSet } from '../../data/radio/traces.js';
import { architectureOf, type DenoiserConfig } from './config.js';
import { architectureProblems, type Architecture } from './architecture.js';
import { tracesFor } from './data.js';
import type { TrainSettings } from './train.js';

export function workersFor(ctx: TaskContext, config: DenoiserConfig): number {
  if (config.training.workers > 0) return config.training.workers;
  return ctx.backend?.name === 'tensorflow' ? 1 : Math.max(1, ctx.workers);
}

/** The training loop's settings from a config (shared by `train` and the tune trial). */
export function trainSettingsOf(ctx: TaskContext, config: DenoiserConfig, arch: Architecture): TrainSettings {
  const t = config.training;
  return {
    epochs: t.epochs,
    batchSize: t.batch_size,
    learningRate: t.learning_rate,
    learningRateDecay: t.learning_rate_decay,
    patience: t.patience,
    minDelta: t.min_delta,
    validationFraction: t.validation_fraction,
    workers: workersFor(ctx, config),
    peakTolerance: peakTolerance(arch.length, config.evaluation.peak_fraction),
  };
}

/** The training traces and the architecture they fix (trace length); a config the data cannot train is a UserError. */
export async function trainingInputs(ctx: TaskContext, config: DenoiserConfig, baseDir: string): Promise<{ trainSet: TraceSet; arch: Architecture }> {
  const trainSet = await ctx.run.phase('data', () => tracesFor(config, 'train', baseDir, ctx.run));
  const arch: Architecture = { ...architectureOf(config), length: trainSet.length };
  const problems = architectureProblems(arch);
  if (problems.length > 0) throw new UserError(`${ctx.configFile ?? 'config'}: ${problems.join('; ')}`);
  return { trainSet, arch };
}

