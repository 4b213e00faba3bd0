/**
 * The classical comparison: an FFT band-pass filter (keeps the receiver band and the DC offset),
 * and a Wiener filter H(f) = S(f) / (S(f) + N(f)) with the signal and noise power spectra S, N
 * estimated on training traces (noise = noisy - signal). Both act per trace in the frequency domain.
 */
import { inBand } from '../../data/radio/band.js';
import { fourierFor } from '../../data/radio/fourier.js';

export interface FrequencyFilter {
  kind: 'bandpass' | 'wiener';
  length: number;
  samplingRateMhz: number;
  /** Real gain per half-spectrum bin. */
  gains: number[];
  /** Wiener: the estimated power spectra it came from (for the record). */
  signalPower?: number[];
  noisePower?: number[];
}

export function bandPassFilter(
  length: number,
  samplingRateMhz: number,
  band: { lowMhz: number; highMhz: number },
): FrequencyFilter {
  const freqs = fourierFor(length).frequencies(samplingRateMhz);
  const gains = Array.from(freqs, (f, k) => (k === 0 || inBand(f, band) ? 1 : 0));
  return { kind: 'bandpass', length, samplingRateMhz, gains };
}

export function estimateWienerFilter(
  noisy: Float32Array,
  signal: Float32Array,
  length: number,
  samplingRateMhz: number,
): FrequencyFilter {
  const fourier = fourierFor(length);
  const n = noisy.length / length;
  const bins = fourier.bins;
  const s = new Float64Array(bins);
  const p = new Float64Array(bins);
  const clean = new Float64Array(length);
  const noise = new Float64Array(length);
  for (let i = 0; i < n; i++) {
    const base = i * length;
    for (let t = 0; t < length; t++) {
      clean[t] = signal[base + t];
      noise[t] = noisy[base + t] - signal[base + t];
    }
    const cs = fourier.forward(clean);
    for (let k = 0; k < bins; k++) s[k] += cs.re[k] * cs.re[k] + cs.im[k] * cs.im[k];
    const ns = fourier.forward(noise);
    for (let k = 0; k < bins; k++) p[k] += ns.re[k] * ns.re[k] + ns.im[k] * ns.im[k];
  }
  const gains: number[] = [];
  for (let k = 0; k < bins; k++) {
    s[k] /= Math.max(1, n);
    p[k] /= Math.max(1, n);
    gains.push(s[k] + p[k] > 0 ? s[k] / (s[k] + p[k]) : 0);
  }
  return { kind: 'wiener', length, samplingRateMhz, gains, signalPower: Array.from(s), noisePower: Array.from(p) };
}

/** Applies the filter to each trace of a flat row-major array; returns new traces. */
export function applyFilter(filter: FrequencyFilter, traces: Float32Array): Float32Array {
  const L = filter.length;
  if (traces.length % L !== 0)
    throw new Error(`applyFilter: ${traces.length} samples do not split into traces of ${L}`);
  const fourier = fourierFor(L);
  const out = new Float32Array(traces.length);
  const x = new Float64Array(L);
  const y = new Float64Array(L);
  for (let i = 0; i < traces.length / L; i++) {
    const base = i * L;
    for (let t = 0; t < L; t++) x[t] = traces[base + t];
    const spec = fourier.forward(x);
    for (let k = 0; k < fourier.bins; k++) {
      spec.re[k] *= filter.gains[k];
      spec.im[k] *= filter.gains[k];
    }
    fourier.inverse(spec, y);
    for (let t = 0; t < L; t++) out[base + t] = y[t];
  }
  return out;
}
