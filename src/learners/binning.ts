/**
 * Quantile binning for the histogram tree learners: each feature is mapped once to <= maxBins value
 * bins (uint8) plus one bin for missing values. A feature with few distinct values gets one bin per
 * value (thresholds at midpoints, so binned splits are exact); otherwise the thresholds are
 * quantile midpoints, as in LightGBM / sklearn's HistGradientBoosting.
 */
import { Random } from '../runtime/random.js';
import type { Matrix } from './learner.js';

export interface BinnedData {
  rows: number;
  features: number;
  /** Row-major bin codes: row i, feature f at codes[i * features + f]; missing = nBins[f]. */
  codes: Uint8Array;
  binning: Binning;
}

export interface Binning {
  /** categorical[f] = 1: feature f holds category codes, one bin per code (see categoryThresholds). */
  categorical: Uint8Array;
  /** Value bins per feature (missing bin index = nBins[f]). */
  nBins: Int32Array;
  /** Start of feature f's slots in a histogram; feature f has nBins[f] + 1 slots (last = missing). */
  offsets: Int32Array;
  totalSlots: number;
  /** thresholds[f][b]: a value x is in a bin <= b iff x <= thresholds[f][b] (length nBins[f] - 1). */
  thresholds: Float64Array[];
  /** Smallest and largest training value seen in each bin (for extra-trees' random thresholds). */
  binLow: Float64Array[];
  binHigh: Float64Array[];
}

const SUBSAMPLE_FOR_QUANTILES = 200_000;

export function fitBinning(X: Matrix, maxBins: number, seed: number): Binning {
  const features = X.columns.length;
  const nBins = new Int32Array(features);
  const offsets = new Int32Array(features);
  const thresholds: Float64Array[] = [];
  const binLow: Float64Array[] = [];
  const binHigh: Float64Array[] = [];
  let sample: Int32Array | undefined;
  if (X.rows > SUBSAMPLE_FOR_QUANTILES)
    sample = new Random(seed).permutation(X.rows).subarray(0, SUBSAMPLE_FOR_QUANTILES);
  let slot = 0;
  for (let f = 0; f < features; f++) {
    const col = X.columns[f];
    const t = X.categorical?.[f]
      ? categoryThresholds(col, X.categories?.[f], maxBins)
      : findThresholds(nonMissingSorted(col, sample), maxBins);
    thresholds.push(t);
    const nb = t.length + 1;
    nBins[f] = nb;
    offsets[f] = slot;
    slot += nb + 1;
    const low = new Float64Array(nb).fill(Infinity);
    const high = new Float64Array(nb).fill(-Infinity);
    for (let i = 0; i < X.rows; i++) {
      const v = col[i];
      if (v !== v) continue;
      const b = binOf(t, v);
      if (v < low[b]) low[b] = v;
      if (v > high[b]) high[b] = v;
    }
    binLow.push(low);
    binHigh.push(high);
  }
  const categorical = Uint8Array.from({ length: features }, (_, f) => (X.categorical?.[f] ? 1 : 0));
  return { categorical, nBins, offsets, totalSlots: slot, thresholds, binLow, binHigh };
}

/**
 * Category codes 0..k-1 get one bin each (thresholds at j + 0.5); with more than maxBins levels the
 * rarest (highest codes: TableEncoder numbers levels by frequency) share the last bin.
 */
function categoryThresholds(
  col: Float64Array | Float32Array,
  levels: number | undefined,
  maxBins: number,
): Float64Array {
  let k = levels ?? 0;
  if (!k) for (let i = 0; i < col.length; i++) if (col[i] + 1 > k) k = Math.floor(col[i]) + 1;
  const nb = Math.max(1, Math.min(k, maxBins));
  return Float64Array.from({ length: nb - 1 }, (_, j) => j + 0.5);
}

function nonMissingSorted(col: Float64Array | Float32Array, sample: Int32Array | undefined): Float64Array {
  const n = sample ? sample.length : col.length;
  const out = new Float64Array(n);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const v = col[sample ? sample[k] : k];
    if (v === v) out[m++] = v;
  }
  return out.subarray(0, m).sort();
}

function findThresholds(sorted: Float64Array, maxBins: number): Float64Array {
  const n = sorted.length;
  if (n === 0) return new Float64Array(0);
  const distinct: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) {
      distinct.push(sorted[i]);
      if (distinct.length > maxBins) break;
    }
  }
  if (distinct.length <= maxBins) {
    const t = new Float64Array(distinct.length - 1);
    for (let i = 0; i < t.length; i++) t[i] = midpoint(distinct[i], distinct[i + 1]);
    return t;
  }
  // Percentiles at k / maxBins with the 'midpoint' rule (numpy's method='midpoint'), deduplicated.
  const out: number[] = [];
  for (let k = 1; k < maxBins; k++) {
    const pos = (k / maxBins) * (n - 1);
    const v = (sorted[Math.floor(pos)] + sorted[Math.ceil(pos)]) / 2;
    if (out.length === 0 || v > out[out.length - 1]) out.push(v);
  }
  // A threshold equal to the maximum would leave an empty last bin.
  while (out.length > 0 && out[out.length - 1] >= sorted[n - 1]) out.pop();
  return Float64Array.from(out);
}

function midpoint(a: number, b: number): number {
  const m = a + (b - a) / 2;
  // Guard against rounding up to b for adjacent floats: x <= m must keep a left and b right.
  return m >= b ? a : m;
}

/** Number of thresholds strictly below v (so v <= thresholds[bin] and v > thresholds[bin - 1]). */
function binOf(thresholds: Float64Array, v: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v > thresholds[mid]) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function applyBinning(X: Matrix, binning: Binning, codes?: Uint8Array): BinnedData {
  const features = X.columns.length;
  const rows = X.rows;
  const out = codes ?? new Uint8Array(rows * features);
  for (let f = 0; f < features; f++) {
    const col = X.columns[f];
    const t = binning.thresholds[f];
    const missing = binning.nBins[f];
    if (t.length === 0) {
      for (let i = 0; i < rows; i++) out[i * features + f] = col[i] === col[i] ? 0 : missing;
      continue;
    }
    for (let i = 0; i < rows; i++) {
      const v = col[i];
      out[i * features + f] = v === v ? binOf(t, v) : missing;
    }
  }
  return { rows, features, codes: out, binning };
}
