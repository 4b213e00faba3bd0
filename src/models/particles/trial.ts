/**
 * The particles tune trial: the streaming training loop run up to `budget` epochs, continuing from
 * the trial's checkpoint (the same per-epoch file `--resume` uses), reporting validation metrics
 * after every epoch. Trials read events from data.path (simulating per trial would repeat work).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochReport, TaskContext, TaskTrial, TrialOptions, TrialOutcome } from '../../contracts/task.js';
import { UserError } from '../../runtime/errors.js';
import { initBackend } from '../../runtime/backend.js';
import type { ParticlesConfig } from './config.js';
import { trainParticles, type EpochRecord } from './train.js';
import { splitOf } from './split.js';

function epochReport(r: EpochRecord): EpochReport {
  return {
    epoch: r.epoch,
    metrics: {
      'validation.loss': r.val_loss,
      'validation.accuracy': r.val_accuracy,
      'validation.auc_macro': r.val_auc_macro,
      'train.loss': r.train_loss,
    },
  };
}

async function run(ctx: TaskContext, config: ParticlesConfig, options: TrialOptions): Promise<TrialOutcome> {
  if (!Number.isInteger(options.budget) || options.budget < 1)
    throw new UserError(`training.epochs: expected a positive integer budget, got ${options.budget}`);
  if (!config.data.path)
    throw new UserError(
      'data.path: tune trials read events from files; generate them once with `sciml data generate particles -o events/` and set data.path',
    );
  if (!ctx.backend) await initBackend('auto');
  const split = await splitOf(ctx, config, undefined);
  mkdirSync(options.checkpointDir, { recursive: true });
  const state = await trainParticles({
    config: { ...config, baseline: { ...config.baseline, enabled: false } },
    split,
    log: ctx.log,
    epochs: options.budget,
    checkpointPath: join(options.checkpointDir, 'particles.bin'),
    resume: true,
    onEpoch: (record) => options.onEpoch(epochReport(record)),
  });
  return { history: state.history.map(epochReport), budgetUsed: state.history.length };
}

export const particlesTrial: TaskTrial<ParticlesConfig> = {
  budgetFields: ['training.epochs'],
  metrics: {
    'validation.auc_macro': 'max',
    'validation.loss': 'min',
    'validation.accuracy': 'max',
    'train.loss': 'min',
  },
  run,
};
