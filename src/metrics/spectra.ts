/**
 * Amplitude spectra of radio traces and how far a recovered trace's spectrum lies from the true
 * one inside the receiver band. Each trace's mean is removed first: the DC offset left by min-max
 * scaling is not part of the physics.
 */
import { inBand } from '../data/radio/band.js';
import { fourierFor, type HalfSpectrum } from '../data/radio/fourier.js';

export interface BandRange {
  lowMhz: number;
  highMhz: number;
}

/** |DFT| of one mean-removed trace, bins 0..floor(L/2). */
function amplitudeSpectrum(trace: ArrayLike<number>, into?: Float64Array): Float64Array {
  const L = trace.length;
  const fourier = fourierFor(L);
  let mean = 0;
  for (let t = 0; t < L; t++) mean += trace[t];
  mean /= L;
  const centred = new Float64Array(L);
  for (let t = 0; t < L; t++) centred[t] = trace[t] - mean;
  const spec: HalfSpectrum = fourier.forward(centred);
  const out = into ?? new Float64Array(fourier.bins);
  for (let k = 0; k < fourier.bins; k++) out[k] = Math.hypot(spec.re[k], spec.im[k]);
  return out;
}

/** Mean amplitude spectrum over the traces of a flat row-major array. */
export function meanAmplitudeSpectrum(traces: Float32Array | Float64Array, length: number): Float64Array {
  const n = traces.length / length;
  const bins = Math.floor(length / 2) + 1;
  const sum = new Float64Array(bins);
  const a = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    amplitudeSpectrum(traces.subarray(i * length, (i + 1) * length), a);
    for (let k = 0; k < bins; k++) sum[k] += a[k];
  }
  for (let k = 0; k < bins; k++) sum[k] /= Math.max(1, n);
  return sum;
}

export function binFrequencies(length: number, samplingRateMhz: number): Float64Array {
  return fourierFor(length).frequencies(samplingRateMhz);
}

/**
 * In-band spectral error: per trace, sum over in-band bins of |A_estimate - A_true| divided by the
 * sum of A_true there (a relative L1 distance of amplitude spectra), averaged over traces.
 * 0 is a perfect spectrum; 1 is as far off as the true spectrum is large.
 */
export function inBandSpectralError(
  estimate: Float32Array | Float64Array,
  truth: Float32Array | Float64Array,
  length: number,
  samplingRateMhz: number,
  band: BandRange,
): number {
  const n = truth.length / length;
  if (estimate.length !== truth.length)
    throw new Error(`inBandSpectralError: ${estimate.length} vs ${truth.length} samples`);
  const freqs = binFrequencies(length, samplingRateMhz);
  const mask = Array.from(freqs, (f) => inBand(f, band));
  const bins = freqs.length;
  const ae = new Float64Array(bins);
  const at = new Float64Array(bins);
  let total = 0;
  let counted = 0;
  for (let i = 0; i < n; i++) {
    amplitudeSpectrum(estimate.subarray(i * length, (i + 1) * length), ae);
    amplitudeSpectrum(truth.subarray(i * length, (i + 1) * length), at);
    let diff = 0;
    let ref = 0;
    for (let k = 0; k < bins; k++) {
      if (!mask[k]) continue;
      diff += Math.abs(ae[k] - at[k]);
      ref += at[k];
    }
    if (ref > 0) {
      total += diff / ref;
      counted++;
    }
  }
  return counted > 0 ? total / counted : NaN;
}
