import type { z } from 'zod';
import type { Logger } from '../runtime/log.js';
import type { RunDir } from '../runtime/rundir.js';
import type { BackendInfo } from '../runtime/backend.js';
import type { JobTable } from '../execution/job.js';

/** What a task's train/evaluate receives. The run directory already holds config.yaml. */
export interface TaskContext {
  run: RunDir;
  log: Logger;
  /** The resolved seed (config `seed`, or `--seed`). */
  seed: number;
  /** Set when the task uses tensorflow (usesTensorflow). */
  backend?: BackendInfo;
  /** The config file the run came from (for resolving relative data paths), if any. */
  configFile?: string;
  /** Number of worker threads/processes a task may use (default: cores). */
  workers: number;
  /** The job kinds an executor the task creates can run (given by the session; trial jobs run without one). */
  jobs?: JobTable;
}

export interface TaskOutcome {
  /** Human-readable result (a small table), printed to stdout unless --json. */
  text: string;
  /** Machine-readable summary, printed as JSON with --json. Include `run_dir`. */
  summary: Record<string, unknown>;
}

export interface TaskDefinition<C extends { seed: number } = any> {
  /** The family's name (its manifest holds the one-line summary help texts show). */
  name: string;
  /** A strict zod object with a top-level `task` literal and `seed`; every field defaulted and described. */
  schema: z.ZodType<C>;
  usesTensorflow: boolean;
  /** Trains, evaluates on held-out data, and writes the whole run directory contract. */
  train(ctx: TaskContext, config: C, options: { resume?: string }): Promise<TaskOutcome>;
  /** Re-evaluates a trained model (modelDir = <run>/model) writing metrics, predictions and report into ctx.run. */
  evaluate(ctx: TaskContext, config: C, options: { modelDir: string }): Promise<TaskOutcome>;
  /** Re-renders report.html and charts/ from the files of a finished run directory. */
  renderReport(run: RunDir, log: Logger): Promise<void>;
  /** Present when the task can be tuned (`sciml tune`): training in budget steps, continuing from checkpoints. */
  trial?: TaskTrial<C>;
}

/** One budget step's validation metrics, keyed as a tune file names them (`validation.peak_accuracy`). */
export interface EpochReport {
  /** Budget units done so far (epochs, boosting rounds, trees), 1-based. */
  epoch: number;
  metrics: Record<string, number>;
}

export interface TrialOptions {
  /** Train until this many budget units in total (the config's budget field is set to it too). */
  budget: number;
  /** The trial's checkpoint folder: continued from when it holds a checkpoint, rewritten after every step. */
  checkpointDir: string;
  /** Called after every budget step, in order, once that step's checkpoint is in checkpointDir (tune ships it from here). */
  onEpoch(report: EpochReport): void;
}

export interface TrialOutcome {
  /** Every step's report so far, from the first: those restored from the checkpoint and those of this call. */
  history: EpochReport[];
  /** Budget units actually trained (may be < budget when the task stops early). */
  budgetUsed: number;
}

export interface FoldOptions {
  /** Budget units to train (the config's budget field is set to it too). */
  budget: number;
  /** Which fold, 0-based, of `folds`. */
  fold: number;
  folds: number;
}

export interface FoldOutcome {
  /** The trial metrics (same names as the epoch reports) on the fold's held-out rows. */
  metrics: Record<string, number>;
  rows: number;
}

/** The trial contract `sciml tune` drives: a config trained up to a budget, resumable from its checkpoint. */
export interface TaskTrial<C> {
  /** Dotted config fields that may serve as the budget (e.g. `training.epochs`), the first being the default. */
  budgetFields: string[];
  /** Metric names reported after every step, with their preferred direction. */
  metrics: Record<string, 'min' | 'max'>;
  run(ctx: TaskContext, config: C, options: TrialOptions): Promise<TrialOutcome>;
  /**
   * Optional: one fold of a cross-validation over the rows trials fit on, never the rows trials
   * validate on (their scores chose the candidates, so they are biased). The config is fitted
   * from scratch at `budget` on every other training row, the trials' validation rows included,
   * and scored on the fold. `sciml tune` re-ranks its top configurations with it (tune.rerank).
   */
  crossValidate?(ctx: TaskContext, config: C, options: FoldOptions): Promise<FoldOutcome>;
}

/** Loads the task a config names; `file` is the config, for the error when the task is unknown or not built. */
export type TaskLoader = (name: string, file: string) => Promise<TaskDefinition>;
