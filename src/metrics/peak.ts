/**
 * The "peak within 2%" metric for pulse recovery: a recovered trace counts as a hit when the index
 * of its maximum lies within `fraction` of the trace length of the true pulse's maximum
 * (|recovered - true| <= fraction * L, so 10 samples of 500 at 2%, inclusive). Ties between equal
 * maxima go to the earliest sample, as numpy.argmax does.
 */
import { argmax } from '../data/radio/traces.js';

const DEFAULT_PEAK_FRACTION = 0.02;

/** The largest index distance that still counts as a hit. */
export function peakTolerance(length: number, fraction = DEFAULT_PEAK_FRACTION): number {
  // Rounded so 0.02 * 500 is exactly 10 despite binary fractions.
  return Math.round(fraction * length * 1e9) / 1e9;
}

export function peakIndexOf(trace: ArrayLike<number>): number {
  return argmax(trace);
}

export function isPeakHit(
  recoveredPeak: number,
  truePeak: number,
  length: number,
  fraction = DEFAULT_PEAK_FRACTION,
): boolean {
  return Math.abs(recoveredPeak - truePeak) <= peakTolerance(length, fraction);
}

/** Argmax of each trace of a flat row-major array of traces of `length` samples. */
export function peakIndices(traces: Float32Array | Float64Array, length: number): Int32Array {
  const n = traces.length / length;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = argmax(traces, i * length, (i + 1) * length);
  return out;
}

export function peakHits(
  recoveredPeaks: Int32Array,
  truePeaks: Int32Array,
  length: number,
  fraction = DEFAULT_PEAK_FRACTION,
): Uint8Array {
  if (recoveredPeaks.length !== truePeaks.length)
    throw new Error(`peakHits: ${recoveredPeaks.length} recovered vs ${truePeaks.length} true peaks`);
  const hits = new Uint8Array(recoveredPeaks.length);
  for (let i = 0; i < hits.length; i++) hits[i] = isPeakHit(recoveredPeaks[i], truePeaks[i], length, fraction) ? 1 : 0;
  return hits;
}

export function meanOf(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Fraction of traces whose recovered peak is within the tolerance of the true one. */
export function peakAccuracy(
  recovered: Float32Array | Float64Array,
  truePeaks: Int32Array,
  length: number,
  fraction = DEFAULT_PEAK_FRACTION,
): number {
  return meanOf(peakHits(peakIndices(recovered, length), truePeaks, length, fraction));
}

export interface SnrBin {
  /** Inclusive lower and exclusive upper SNR edge (the last bin includes its upper edge). */
  low: number;
  high: number;
  count: number;
  accuracy: number;
}

/** Accuracy per SNR bin; empty bins report accuracy NaN. */
export function accuracyBySnr(snr: ArrayLike<number>, hits: ArrayLike<number>, edges: readonly number[]): SnrBin[] {
  const bins: SnrBin[] = [];
  for (let b = 0; b + 1 < edges.length; b++) {
    const low = edges[b];
    const high = edges[b + 1];
    const last = b + 2 === edges.length;
    let count = 0;
    let hit = 0;
    for (let i = 0; i < snr.length; i++) {
      const s = snr[i];
      if (s >= low && (s < high || (last && s === high))) {
        count++;
        hit += hits[i];
      }
    }
    bins.push({ low, high, count, accuracy: count > 0 ? hit / count : NaN });
  }
  return bins;
}

/**
 * Bin edges for SNR: log-spaced between the smallest and largest finite SNR (linear when the
 * smallest is not positive), `count` bins.
 */
export function snrBinEdges(snr: ArrayLike<number>, count = 8): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < snr.length; i++) {
    const s = snr[i];
    if (!Number.isFinite(s)) continue;
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  if (!Number.isFinite(lo)) return [];
  if (hi <= lo) return [lo, lo === 0 ? 1 : lo * 1.000001];
  const edges: number[] = [];
  const log = lo > 0;
  for (let b = 0; b <= count; b++) {
    const u = b / count;
    edges.push(log ? Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))) : lo + u * (hi - lo));
  }
  edges[0] = lo;
  edges[count] = hi;
  return edges;
}
