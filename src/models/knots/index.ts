import type { Family } from '../../contracts/family.js';
import { EXPLAIN_METHODS } from './explain.js';

export const knotsFamily: Family = {
  name: 'knots',
  summary: 'knot signature regression from geometric invariants, with salience',
  task: () => import('./task.js').then((m) => m.knotsTask),
  generators: {
    knots: {
      summary: 'synthetic knot invariants and signatures (published column format)',
      load: () => import('../../data/knots/generate.js').then((m) => m.knotsGenerator),
    },
  },
  servable: () => import('./servable.js').then((m) => m.knotsServable),
  predict: {
    load: () => import('./predict.js').then((m) => m.predictToFile),
    keep: true,
    explain: [...EXPLAIN_METHODS],
  },
  modelMarker: 'full.json',
  distributed: () => import('./distributed.js').then((m) => m.knotsReplicas),
};
