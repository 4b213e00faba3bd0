/**
 * The knots tune trial: the all-features model of `sciml train` trained up to `budget` epochs,
 * continuing from the trial's checkpoint, reporting validation metrics after every epoch
 * (the salience analysis and the top-k retraining are not part of a trial).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochReport, TaskContext, TaskTrial, TrialOptions, TrialOutcome } from '../../contracts/task.js';
import { UserError } from '../../runtime/errors.js';
import { initBackend } from '../../runtime/backend.js';
import type { KnotsConfig } from './config.js';
import type { EpochRecord } from './fit.js';
import { loadData, split, trainModel } from './pipeline.js';

const CHECKPOINT_FILE = 'checkpoint.bin';

function epochReport(record: EpochRecord): EpochReport {
  const metrics: Record<string, number> = {
    'validation.loss': record.validation_loss,
    'train.loss': record.train_loss,
  };
  if (record.validation_mse !== undefined) metrics['validation.mse'] = record.validation_mse;
  if (record.validation_accuracy !== undefined) metrics['validation.accuracy'] = record.validation_accuracy;
  return { epoch: record.epoch, metrics };
}

async function run(ctx: TaskContext, config: KnotsConfig, options: TrialOptions): Promise<TrialOutcome> {
  if (!Number.isInteger(options.budget) || options.budget < 1)
    throw new UserError(`training.max_epochs: expected a positive integer budget, got ${options.budget}`);
  if (!ctx.backend) await initBackend('auto');
  const data = await loadData(config, ctx.configFile);
  const rows = split(config, data, ctx.configFile ?? 'config');
  mkdirSync(options.checkpointDir, { recursive: true });
  const budgeted: KnotsConfig = { ...config, training: { ...config.training, max_epochs: options.budget } };
  const trained = await trainModel(budgeted, data, rows, data.features, config.seed, ctx.log, 'all features', {
    checkpoint: { path: join(options.checkpointDir, CHECKPOINT_FILE), resume: true },
    onEpoch: (record) => options.onEpoch(epochReport(record)),
  });
  trained.model.dispose();
  return { history: trained.fit.history.map(epochReport), budgetUsed: trained.fit.history.length };
}

export const knotsTrial: TaskTrial<KnotsConfig> = {
  budgetFields: ['training.max_epochs'],
  metrics: { 'validation.mse': 'min', 'validation.accuracy': 'max', 'validation.loss': 'min', 'train.loss': 'min' },
  run,
};
