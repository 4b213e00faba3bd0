import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadParticlesPredictor, predictEvents, type EventInput } from './predict.js';
import {
  CLASS_NAMES,
  HLF_FEATURES,
  NESTED_COLUMNS,
  N_HLF,
  N_PARTICLE_FEATURES,
  PARTICLE_FEATURES,
} from '../../data/particles/schema.js';
import type { ServableAdapter, TraceColumn } from '../../contracts/servable.js';

/** Events as the published nested columns: HLF_input (14 numbers) and GRU_input (a list of particles of 19 numbers). */
export const particlesServable: ServableAdapter = {
  describe(where) {
    const meta = JSON.parse(readFileSync(join(where.modelDir, 'meta.json'), 'utf8')) as {
      inputs: string;
      recurrent: string;
      max_particles: number;
      epochs: number;
    };
    return {
      task: 'particles',
      inputs: [
        { name: NESTED_COLUMNS.hlf, type: 'trace', nullable: false, length: N_HLF },
        {
          name: NESTED_COLUMNS.particles,
          type: 'sequence',
          nullable: false,
          length: N_PARTICLE_FEATURES,
          items: meta.max_particles,
        },
      ],
      options: [],
      details: {
        classes: CLASS_NAMES,
        hlf_features: HLF_FEATURES,
        particle_features: PARTICLE_FEATURES,
        max_particles: meta.max_particles,
        model: meta.inputs,
        recurrent: meta.recurrent,
        epochs: meta.epochs,
      },
      tensorflow: true,
    };
  },
  async load(where) {
    const loaded = loadParticlesPredictor(where.modelDir);
    const F = N_PARTICLE_FEATURES;
    return {
      predict(batch) {
        const hlf = batch.columns[0] as TraceColumn;
        const parts = batch.columns[1] as TraceColumn;
        const P = parts.length / F;
        const events: EventInput[] = Array.from({ length: batch.rows }, (_, i) => {
          const particles = parts.values.subarray(i * P * F, (i + 1) * P * F);
          let count = 0;
          for (let p = 0; p < P; p++) for (let f = 0; f < F; f++) if (particles[p * F + f] !== 0) count = p + 1;
          return {
            hlf: hlf.values.subarray(i * N_HLF, (i + 1) * N_HLF),
            particles: particles.subarray(0, count * F),
            count,
          };
        });
        return predictEvents(loaded, events);
      },
    };
  },
};
