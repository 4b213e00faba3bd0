/**
 * Events to model inputs: a batch pads every event's kept particles (the last max_particles of the
 * sorted list: the ones closest to the lepton) with zero rows to the longest in the batch rounded up
 * to a multiple of LENGTH_STEP, never longer than max_particles. Padding length does not change the
 * output (masking), so batches need not be padded to 801; the rounding keeps the shapes the engine
 * sees few (each new length builds a recurrent primitive and its workspace), at most LENGTH_STEP - 1
 * padded steps more.
 */
import { N_HLF, N_PARTICLE_FEATURES } from '../../data/particles/schema.js';
import type { ParticleEvent } from '../../data/particles/reader.js';
import type { Standardizer } from './network.js';

export interface Batch {
  n: number;
  /** Particle rows per event in this batch (>= 1). */
  T: number;
  hlf: Float32Array;
  particles: Float32Array;
  labels: Int32Array;
}

const LENGTH_STEP = 32;

export function makeBatch(events: ParticleEvent[], maxParticles: number): Batch {
  const F = N_PARTICLE_FEATURES;
  const n = events.length;
  const longest = Math.max(1, ...events.map((e) => Math.min(e.count, maxParticles)));
  const T = Math.min(maxParticles, Math.ceil(longest / LENGTH_STEP) * LENGTH_STEP);
  const hlf = new Float32Array(n * N_HLF);
  const particles = new Float32Array(n * T * F);
  const labels = new Int32Array(n);
  events.forEach((e, i) => {
    hlf.set(e.hlf, i * N_HLF);
    const kept = Math.min(e.count, maxParticles);
    particles.set(e.particles.subarray((e.count - kept) * F, e.count * F), i * T * F);
    labels[i] = e.label;
  });
  return { n, T, hlf, particles, labels };
}

/** Mean and standard deviation of the HLF and of the real particles' features, over events (one pass). */
export function fitStandardizer(events: Iterable<ParticleEvent>): Standardizer {
  const F = N_PARTICLE_FEATURES;
  const hs = new Float64Array(N_HLF),
    hq = new Float64Array(N_HLF);
  const ps = new Float64Array(F),
    pq = new Float64Array(F);
  let nEvents = 0,
    nParticles = 0;
  for (const e of events) {
    nEvents++;
    for (let k = 0; k < N_HLF; k++) {
      hs[k] += e.hlf[k];
      hq[k] += e.hlf[k] * e.hlf[k];
    }
    for (let p = 0; p < e.count; p++) {
      nParticles++;
      for (let f = 0; f < F; f++) {
        const x = e.particles[p * F + f];
        ps[f] += x;
        pq[f] += x * x;
      }
    }
  }
  const finish = (s: Float64Array, q: Float64Array, n: number) => {
    const mean = new Float32Array(s.length),
      std = new Float32Array(s.length);
    for (let k = 0; k < s.length; k++) {
      mean[k] = n > 0 ? s[k] / n : 0;
      const v = n > 0 ? q[k] / n - mean[k] * mean[k] : 0;
      std[k] = v > 1e-12 ? Math.sqrt(v) : 1;
    }
    return { mean, std };
  };
  const h = finish(hs, hq, nEvents);
  const p = finish(ps, pq, nParticles);
  return { hlfMean: h.mean, hlfStd: h.std, particleMean: p.mean, particleStd: p.std };
}
