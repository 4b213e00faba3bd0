import type { Family } from '../../contracts/family.js';
import { AUTOML_TRIAL_KIND } from './kinds.js';

export const automlFamily: Family = {
  name: 'automl',
  summary: 'time-budgeted tabular model search and ensembling',
  task: () => import('./task.js').then((m) => m.automlTask),
  servable: () => import('./servable.js').then((m) => m.automlServable),
  predict: {
    load: () => import('./predict.js').then((m) => m.predictToFile),
    proba: true,
    keep: true,
  },
  jobs: { [AUTOML_TRIAL_KIND]: () => import('./trial-job.js').then((m) => m.automlTrialHandler) },
};
