/**
 * The one place a scheduler is built from its name, for automl's search (search-run.ts) and tune's
 * segments (tune/state.ts). Options a scheduler does not use are ignored by it.
 */
import { MedianStopping } from './median.js';
import { Asha, RandomSearch, SuccessiveHalving, type HalvingOptions, type Scheduler } from './scheduler.js';

export type SchedulerName = 'random' | 'asha' | 'successive_halving' | 'median_stopping';

export interface SchedulerChoice extends HalvingOptions {
  /** median_stopping: the budget fraction of one step (default: minBudget). */
  step?: number;
}

export function createScheduler(name: SchedulerName, options: SchedulerChoice): Scheduler {
  switch (name) {
    case 'random':
      // Every trial is a new configuration at full budget: a cap on configurations caps trials.
      return new RandomSearch({ ...options, maxTrials: options.maxTrials ?? options.maxConfigs });
    case 'median_stopping':
      return new MedianStopping({ ...options, step: options.step ?? options.minBudget ?? 1 });
    case 'asha':
      return new Asha(options);
    case 'successive_halving':
      return new SuccessiveHalving(options);
  }
}
