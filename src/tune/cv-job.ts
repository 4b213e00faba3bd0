/**
 * The `tune-cv` job: one fold of the cross-validation that re-ranks a segment's best
 * configurations (tune.rerank). Stateless: the config is fitted from scratch at its budget, so
 * nothing travels but the config and the fold's metrics.
 */
import { join } from 'node:path';
import type { JobHandler } from '../execution/job.js';
import { RunDir } from '../runtime/rundir.js';
import { issuesInBrief } from '../config/issues.js';
import { silentLogger } from '../runtime/log.js';
import type { FoldOutcome, TaskLoader } from '../contracts/task.js';

export interface TuneFoldPayload {
  task: string;
  /** The trial's full config at the budget it is ranked at (validated by the driver; validated again here). */
  config: Record<string, unknown>;
  configFile: string;
  budget: number;
  fold: number;
  folds: number;
}

/** The handler, finding the payload's task through `loadTask` (given by the composition root). */
export const tuneFoldHandler =
  (loadTask: TaskLoader): JobHandler<TuneFoldPayload, FoldOutcome> =>
  async (payload, _inputs, ctx) => {
    const task = await loadTask(payload.task, payload.configFile);
    if (!task.trial?.crossValidate) throw new Error(`task '${payload.task}' cannot cross-validate`);
    const parsed = task.schema.safeParse(payload.config);
    if (!parsed.success) throw new Error(`the trial config is invalid: ${issuesInBrief(parsed.error.issues)}`);
    const config = parsed.data;
    const run = RunDir.open(join(ctx.scratchDir, 'run'));
    const result = await task.trial.crossValidate(
      { run, log: silentLogger, seed: config.seed, configFile: payload.configFile, workers: 1 },
      config,
      { budget: payload.budget, fold: payload.fold, folds: payload.folds },
    );
    return { result };
  };
