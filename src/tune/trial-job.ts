/**
 * The `tune-trial` job: trains one tune trial up to its budget, continuing from the checkpoint it
 * was given. Runs wherever the executor puts it: the checkpoint arrives as the `checkpoint` input
 * blob (packDir) and leaves as the `checkpoint` artifact; epoch reports, and a checkpoint now and
 * then, stream back through ctx.progress so a killed driver can resume from the last one. The
 * config's data paths must be readable where the job runs (absolute paths, or a shared disk).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JobHandler } from '../execution/job.js';
import { packDir, unpackDir } from '../execution/files.js';
import { RunDir } from '../runtime/rundir.js';
import { issuesInBrief } from '../config/issues.js';
import { silentLogger } from '../runtime/log.js';
import { initBackend, type BackendChoice } from '../runtime/backend.js';
import type { EpochReport, TaskLoader } from '../contracts/task.js';

export interface TuneTrialPayload {
  task: string;
  /** The trial's full config (validated by the driver; validated again here). */
  config: Record<string, unknown>;
  /** For the task's relative paths and messages. */
  configFile: string;
  /** Budget units to reach in total. */
  budget: number;
  backend?: BackendChoice;
  /** Least time between checkpoints streamed while the job runs (the last one always comes back as an artifact). */
  checkpointIntervalMs?: number;
}

export interface TuneTrialResult {
  history: EpochReport[];
  budgetUsed: number;
}

export type TuneProgress =
  | { type: 'epoch'; report: EpochReport }
  | { type: 'checkpoint'; epoch: number; blob: Uint8Array };

/** The handler, finding the payload's task through `loadTask` (given by the composition root). */
export const tuneTrialHandler =
  (loadTask: TaskLoader): JobHandler<TuneTrialPayload, TuneTrialResult> =>
  async (payload, inputs, ctx) => {
    const task = await loadTask(payload.task, payload.configFile);
    if (!task.trial) throw new Error(`task '${payload.task}' has no trial interface`);
    const parsed = task.schema.safeParse(payload.config);
    if (!parsed.success) throw new Error(`the trial config is invalid: ${issuesInBrief(parsed.error.issues)}`);
    const config = parsed.data;
    const backend = task.usesTensorflow ? await initBackend(payload.backend ?? 'auto') : undefined;
    const run = RunDir.open(join(ctx.scratchDir, 'run'));
    const checkpointDir = join(ctx.scratchDir, 'checkpoint');
    if (inputs.checkpoint) unpackDir(inputs.checkpoint, checkpointDir);
    else mkdirSync(checkpointDir, { recursive: true });
    const interval = payload.checkpointIntervalMs ?? 2000;
    let lastShipped = Date.now();
    const outcome = await task.trial.run(
      { run, log: silentLogger, seed: config.seed, backend, configFile: payload.configFile, workers: 1 },
      config,
      {
        budget: payload.budget,
        checkpointDir,
        onEpoch: (report) => {
          ctx.progress({ type: 'epoch', report } satisfies TuneProgress);
          // The contract writes the step's checkpoint before reporting it, so this blob is at report.epoch.
          if (Date.now() - lastShipped >= interval && report.epoch < payload.budget && existsSync(checkpointDir)) {
            ctx.progress({
              type: 'checkpoint',
              epoch: report.epoch,
              blob: packDir(checkpointDir),
            } satisfies TuneProgress);
            lastShipped = Date.now();
          }
        },
      },
    );
    return {
      result: { history: outcome.history, budgetUsed: outcome.budgetUsed },
      artifacts: { checkpoint: packDir(checkpointDir) },
    };
  };
