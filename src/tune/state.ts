/** The state of a tune run's segments and their sampled configurations, as the driver and the outputs read it. */
import type { EpochReport } from '../contracts/task.js';
import type { Scheduler, Trial } from '../search/scheduler.js';
import type { Config } from '../search/space.js';
import type { Segment } from './config.js';

export type ConfigStatus = 'pending' | 'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'cut';

/** One sampled configuration of a segment: its trial directory accumulates every run's epochs. */
export interface ConfigState {
  index: number;
  /** Sampled values in the search space (choice of lists: the index). */
  params: Config;
  /** The values set in the config. */
  values: Record<string, unknown>;
  dir: string;
  seed: number;
  history: (EpochReport & { t: number })[];
  checkpointEpoch: number;
  status: ConfigStatus;
  rung: number;
  runs: number;
  error?: string;
  /** Epoch budget the configuration's last run aimed at. */
  target: number;
  /** Re-ranking folds done (tune.rerank), at the budget they refitted. */
  cv?: CrossValidation;
}

export interface CrossValidation {
  epochs: number;
  folds: Map<number, Record<string, number>>;
  error?: string;
}

export interface SegmentState {
  segment: Segment;
  position: number;
  scheduler: Scheduler;
  observe: (index: number, params: Config, score: number, rung: number) => void;
  configs: Map<number, ConfigState>;
  pending: Map<number, Trial>;
  resumeQueue: Trial[];
  finished: boolean;
  /** Rung cut points in budget units. */
  rungEpochs: number[];
  replaying: Map<number, Config> | undefined;
}
