import type { Family } from '../../contracts/family.js';

/** One learner trained from YAML; its runs are served and predicted like automl's (one member). */
export const tabularFamily: Family = {
  name: 'tabular',
  summary: 'one tabular learner (gradient boosting, forests, ridge, k-NN, MLP) trained from YAML',
  task: () => import('./task.js').then((m) => m.tabularTask),
  servable: () => import('../automl/servable.js').then((m) => m.automlServable),
  predict: {
    load: () =>
      import('../automl/predict.js').then(
        (m) => (r) => m.predictToFile(r.where.modelDir, r.input, r.output, { proba: r.proba, keep: r.keep }),
      ),
    proba: true,
    keep: true,
  },
};
