/** From a denoiser config to the training loop's inputs: shared by `sciml train` and the tune trial. */
import type { TaskContext } from '../../contracts/task.js';
import { UserError } from '../../runtime/errors.js';
import { peakTolerance } from '../../metrics/peak.js';
import type { TraceSet } from '../../data/radio/traces.js';
import { architectureOf, type DenoiserConfig } from './config.js';
import { architectureProblems, type Architecture } from './architecture.js';
import { tracesFor } from './data.js';
import type { TrainSettings } from './train.js';
import { distributedSettingsOf } from '../../distributed/config.js';

/** The training loop's settings from a config (shared by `train` and the tune trial). */
export function trainSettingsOf(_ctx: TaskContext, config: DenoiserConfig, arch: Architecture): TrainSettings {
  const t = config.training;
  return {
    epochs: t.epochs,
    batchSize: t.batch_size,
    learningRate: t.learning_rate,
    learningRateDecay: t.learning_rate_decay,
    patience: t.patience,
    minDelta: t.min_delta,
    validationFraction: t.validation_fraction,
    distributed: distributedSettingsOf(t.distributed),
    peakTolerance: peakTolerance(arch.length, config.evaluation.peak_fraction),
  };
}

/**
 * The last simulated training set of this process, by the settings that produce it: the trials of
 * a tune run share their data section, and simulating it costs more than a short trial.
 */
let simulated: { key: string; set: TraceSet } | undefined;

async function trainingTraces(
  ctx: TaskContext,
  config: DenoiserConfig,
  baseDir: string,
  reuse: boolean,
): Promise<TraceSet> {
  const d = config.data;
  const key =
    reuse && !d.train_path
      ? JSON.stringify({ seed: config.seed, simulation: d.simulation, count: d.train_count })
      : undefined;
  if (key !== undefined && simulated?.key === key) return simulated.set;
  const set = await ctx.run.phase('data', () => tracesFor(config, 'train', baseDir, ctx.run));
  if (key !== undefined) simulated = { key, set };
  return set;
}

/**
 * The training traces and the architecture they fix (trace length); a config the data cannot train
 * is a UserError. With `reuse`, simulated traces of the previous call with the same settings are reused.
 */
export async function trainingInputs(
  ctx: TaskContext,
  config: DenoiserConfig,
  baseDir: string,
  reuse = false,
): Promise<{ trainSet: TraceSet; arch: Architecture }> {
  const trainSet = await trainingTraces(ctx, config, baseDir, reuse);
  const arch: Architecture = { ...architectureOf(config), length: trainSet.length };
  const problems = architectureProblems(arch);
  if (problems.length > 0) throw new UserError(`${ctx.configFile ?? 'config'}: ${problems.join('; ')}`);
  return { trainSet, arch };
}
