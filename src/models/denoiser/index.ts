import type { Family } from '../../contracts/family.js';

export const denoiserFamily: Family = {
  name: 'denoiser',
  summary: '1-D convolutional denoising autoencoder for radio pulses',
  task: () => import('./task.js').then((m) => m.denoiserTask),
  generators: {
    radio: {
      summary: 'simulated noisy radio traces with cosmic-ray pulses',
      load: () => import('../../data/radio/generator.js').then((m) => m.radioGenerator),
    },
  },
  servable: () => import('./servable.js').then((m) => m.denoiserServable),
  predict: {
    load: () => import('./predict.js').then((m) => m.predictToFile),
  },
  modelMarker: 'denoiser.json',
  distributed: () => import('./distributed.js').then((m) => m.denoiserReplicas),
};
