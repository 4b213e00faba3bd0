/**
 * The denoiser's tune trial: the training loop of `sciml train` run up to `budget` epochs, continuing
 * from the trial's checkpoint (the same per-epoch checkpoint `--resume` uses), reporting the
 * validation metrics after every epoch.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EpochReport, TaskContext, TaskTrial, TrialOptions, TrialOutcome } from '../../contracts/task.js';
import { UserError } from '../../runtime/errors.js';
import { initBackend } from '../../runtime/backend.js';
import type { DenoiserConfig } from './config.js';
import type { EpochRecord } from './checkpoint.js';
import { trainSettingsOf, trainingInputs } from './setup.js';
import { trainDenoiser } from './train.js';

const CHECKPOINT_FILE = 'checkpoint.bin';

function epochReport(record: EpochRecord): EpochReport {
  return {
    epoch: record.epoch,
    metrics: {
      'validation.peak_accuracy': record.val_peak_accuracy,
      'validation.loss': record.val_loss,
      'train.loss': record.train_loss,
      learning_rate: record.learning_rate,
    },
  };
}

async function run(ctx: TaskContext, config: DenoiserConfig, options: TrialOptions): Promise<TrialOutcome> {
  if (!Number.isInteger(options.budget) || options.budget < 1)
    throw new UserError(`training.epochs: expected a positive integer budget, got ${options.budget}`);
  const backend = ctx.backend ?? (await initBackend('auto'));
  const withBackend = { ...ctx, backend };
  const baseDir = ctx.configFile ? dirname(ctx.configFile) : process.cwd();
  const { trainSet, arch } = await trainingInputs(withBackend, config, baseDir, true);
  mkdirSync(options.checkpointDir, { recursive: true });
  const checkpointPath = join(options.checkpointDir, CHECKPOINT_FILE);
  const result = await trainDenoiser({
    arch,
    seed: config.seed,
    // Tune runs trials side by side: each trial trains as one replica, one round per epoch (a budget step).
    settings: {
      ...trainSettingsOf(withBackend, config, arch),
      epochs: options.budget,
      distributed: {
        ...trainSettingsOf(withBackend, config, arch).distributed,
        replicas: 1,
        roundsPerEpoch: 1,
        outer: 'average',
      },
    },
    traces: trainSet,
    backend: backend.provider,
    log: ctx.log,
    checkpointPath,
    resume: existsSync(checkpointPath),
    onEpochEnd: (record) => options.onEpoch(epochReport(record)),
  });
  return { history: result.history.map(epochReport), budgetUsed: result.history.length };
}

export const denoiserTrial: TaskTrial<DenoiserConfig> = {
  budgetFields: ['training.epochs'],
  metrics: { 'validation.peak_accuracy': 'max', 'validation.loss': 'min', 'train.loss': 'min' },
  run,
};
