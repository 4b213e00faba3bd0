import { Random } from '../../runtime/random.js';
import { UserError } from '../../runtime/errors.js';
import { bandGains, type Band } from './band.js';
import { fourierFor, type HalfSpectrum, type RealFourier } from './fourier.js';
import { radioOptionProblems, type NoiseKind, type RadioOptions } from './options.js';
import { allocateTraces, argmax, minMaxScale, type TraceSet } from './traces.js';

/**
 * Physically motivated radio traces: a band-limited air-shower pulse (a broadband impulse passed
 * through the receiver's band filter, with random position, polarity, amplitude, spectral tilt and
 * dispersion) plus noise of one kind, at a drawn SNR = peak |pulse| / noise RMS. Each noisy trace
 * is min-max scaled to [0, 1] and the clean pulse mapped with the same affine map.
 */
export function simulateTraces(count: number, seed: number, options: RadioOptions, firstId = 0): TraceSet {
  const problems = radioOptionProblems(options);
  if (problems.length > 0) throw new UserError(`radio simulation: ${problems.join('; ')}`);
  const L = options.length;
  const fourier = fourierFor(L);
  const band: Band = { lowMhz: options.band_low_mhz, highMhz: options.band_high_mhz, taperMhz: options.band_taper_mhz };
  const freqs = fourier.frequencies(options.sampling_rate_mhz);
  const gains = bandGains(freqs, band);
  const set = allocateTraces(count, L);
  set.noise.fill(options.noise);
  set.scale.fill(1);
  const root = new Random(seed);
  const pulseRng = root.fork('pulse');
  const noiseRng = root.fork('noise');
  const snrRng = root.fork('snr');
  const spectral: Spectral = {
    o: options,
    fourier,
    freqs,
    gains,
    spec: { re: new Float64Array(fourier.bins), im: new Float64Array(fourier.bins) },
  };
  const pulse = new Float64Array(L);
  const noise = new Float64Array(L);
  for (let i = 0; i < count; i++) {
    set.ids[i] = firstId + i;
    const snr = drawSnr(snrRng, options);
    makePulse(pulseRng, spectral, pulse);
    makeNoise(noiseRng, options.noise, spectral, noise);
    let peak = 0;
    for (let t = 0; t < L; t++) peak = Math.max(peak, Math.abs(pulse[t]));
    const noiseRms = rms(noise);
    const k = noiseRms > 0 ? peak / (snr * noiseRms) : 0;
    const base = i * L;
    for (let t = 0; t < L; t++) {
      set.signal[base + t] = pulse[t];
      set.noisy[base + t] = pulse[t] + k * noise[t];
    }
    set.snr[i] = snr;
    set.peakIndex[i] = argmax(pulse);
  }
  minMaxScale(set.noisy, set.signal, L, set.scale, set.offset);
  return set;
}

function drawSnr(rng: Random, o: RadioOptions): number {
  if (o.snr_distribution === 'uniform') return rng.uniform(o.snr_min, o.snr_max);
  return Math.exp(rng.uniform(Math.log(o.snr_min), Math.log(o.snr_max)));
}

function rms(x: Float64Array): number {
  let s = 0;
  for (let t = 0; t < x.length; t++) s += x[t] * x[t];
  return Math.sqrt(s / x.length);
}

/**
 * What the traces are synthesized through: the options, the trace length's transform, its bins'
 * frequencies (MHz) and band gains, and a half spectrum to fill (reused from trace to trace).
 */
interface Spectral {
  o: RadioOptions;
  fourier: RealFourier;
  freqs: Float64Array;
  gains: Float64Array;
  spec: HalfSpectrum;
}

/** A delta at a random sub-sample time, tilted, dispersed and band-filtered in the frequency domain. */
function makePulse(rng: Random, { o, fourier, freqs, gains, spec }: Spectral, out: Float64Array): void {
  const L = o.length;
  const margin = Math.ceil(o.edge_margin * L);
  const t0 = rng.uniform(margin, Math.max(margin + 1, L - margin)); // samples
  const polarity = rng.next() < 0.5 ? -1 : 1;
  const amplitude = Math.exp(rng.uniform(Math.log(0.2), Math.log(5)));
  const tilt = rng.uniform(-o.spectral_tilt, o.spectral_tilt);
  const centre = (o.band_low_mhz + o.band_high_mhz) / 2;
  const halfWidth = (o.band_high_mhz - o.band_low_mhz) / 2;
  // Group delay tau(f) = d * (f - centre) in microseconds, at most dispersion_ns at the band edges.
  const d = (rng.uniform(-1, 1) * o.dispersion_ns * 1e-3) / halfWidth;
  const dt = 1 / o.sampling_rate_mhz; // microseconds per sample
  for (let k = 0; k < fourier.bins; k++) {
    const f = freqs[k];
    const g = gains[k];
    if (g === 0) {
      spec.re[k] = 0;
      spec.im[k] = 0;
      continue;
    }
    const shape = g * Math.pow(f / centre, tilt);
    const df = f - centre;
    const phase = -2 * Math.PI * f * t0 * dt - Math.PI * d * df * df;
    spec.re[k] = shape * Math.cos(phase);
    spec.im[k] = shape * Math.sin(phase);
  }
  if (L % 2 === 0) spec.im[fourier.bins - 1] = 0; // the Nyquist bin of a real signal is real
  fourier.inverse(spec, out);
  let peak = 0;
  for (let t = 0; t < L; t++) peak = Math.max(peak, Math.abs(out[t]));
  const k = peak > 0 ? (polarity * amplitude) / peak : 0;
  for (let t = 0; t < L; t++) out[t] *= k;
}

function makeNoise(rng: Random, kind: NoiseKind, spectral: Spectral, out: Float64Array): void {
  const o = spectral.o;
  const L = o.length;
  switch (kind) {
    case 'uniform':
      for (let t = 0; t < L; t++) out[t] = rng.uniform(-1, 1);
      return;
    case 'cosine': {
      const f = rng.uniform(0, o.sampling_rate_mhz / 2);
      const phase = rng.uniform(0, 2 * Math.PI);
      const amplitude = rng.uniform(0.5, 2);
      for (let t = 0; t < L; t++) out[t] = amplitude * Math.cos((2 * Math.PI * f * t) / o.sampling_rate_mhz + phase);
      return;
    }
    case 'measured':
      measuredNoise(rng, spectral, out);
      return;
  }
}

/**
 * Galactic-like background: Gaussian noise whose amplitude spectrum falls as f^-index, seen
 * through the band filter; a few narrowband carriers (radio transmitters) at random in-band
 * frequencies; and a small white floor from the electronics.
 */
function measuredNoise(rng: Random, { o, fourier, freqs, gains, spec }: Spectral, out: Float64Array): void {
  const L = o.length;
  const centre = (o.band_low_mhz + o.band_high_mhz) / 2;
  for (let k = 0; k < fourier.bins; k++) {
    const g = gains[k];
    if (g === 0) {
      spec.re[k] = 0;
      spec.im[k] = 0;
      continue;
    }
    const a = g * Math.pow(freqs[k] / centre, -o.galactic_index);
    spec.re[k] = a * rng.normal();
    spec.im[k] = a * rng.normal();
  }
  spec.im[0] = 0;
  if (L % 2 === 0) spec.im[fourier.bins - 1] = 0;
  fourier.inverse(spec, out);
  const galacticRms = rms(out) || 1;
  for (let t = 0; t < L; t++) out[t] /= galacticRms;
  const carriers = rng.int(0, o.carriers_max + 1);
  for (let c = 0; c < carriers; c++) {
    const f = rng.uniform(o.band_low_mhz + o.band_taper_mhz, o.band_high_mhz - o.band_taper_mhz);
    const amplitude = rng.uniform(0.2, 1) * o.carrier_amplitude;
    const phase = rng.uniform(0, 2 * Math.PI);
    for (let t = 0; t < L; t++) out[t] += amplitude * Math.cos((2 * Math.PI * f * t) / o.sampling_rate_mhz + phase);
  }
  for (let t = 0; t < L; t++) out[t] += o.white_fraction * rng.normal();
}
