import type { Family } from '../../contracts/family.js';

export const particlesFamily: Family = {
  name: 'particles',
  summary: 'LHC Inclusive Classifier: GRU over particle lists plus high-level features, on streamed Parquet shards',
  task: () => import('./task.js').then((m) => m.particlesTask),
  generators: {
    particles: {
      summary: 'simulated LHC events (W+jets, QCD, tt) as Parquet shards',
      load: () => import('../../data/particles/generator.js').then((m) => m.particlesGenerator),
    },
  },
  servable: () => import('./servable.js').then((m) => m.particlesServable),
  distributed: () => import('./distributed.js').then((m) => m.particlesReplicas),
  predict: {
    load: () => import('./predict.js').then((m) => m.predictToFile),
  },
};
