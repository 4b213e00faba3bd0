import type { Family } from '../../contracts/family.js';
import { automlFamily } from '../automl/index.js';

/** One learner trained from YAML; its runs are served and predicted like automl's (one member). */
export const tabularFamily: Family = {
  name: 'tabular',
  summary: 'one tabular learner (gradient boosting, forests, ridge, k-NN, MLP) trained from YAML',
  task: () => import('./task.js').then((m) => m.tabularTask),
  servable: automlFamily.servable,
  predict: automlFamily.predict,
};
