/**
 * The classification side of the tabular learners. A classifier is a Learner whose target is the
 * class index 0..K-1 (as Float64Array); `predict` gives the most probable class and
 * `predictProba` the class probabilities, row-major (row i, class k at i * K + k). K comes from
 * FitOptions.classes (a fold may lack a rare class) or else from the largest index seen.
 */
import { UserError } from '../runtime/errors.js';
import type { FitOptions, Learner, LearnerFactory, Matrix, Params } from './learner.js';

export interface ClassFitOptions extends FitOptions {
  /** Number of classes K (default: largest class index + 1). */
  classes?: number;
}

export interface Classifier extends Learner {
  readonly classes: number;
  fit(X: Matrix, y: Float64Array, options: ClassFitOptions): Promise<void> | void;
  /** Row-major probabilities: row i, class k at [i * classes + k]; each row sums to 1. */
  predictProba(X: Matrix): Float64Array;
}

export interface ClassifierFactory extends LearnerFactory {
  create(params: Partial<Params>): Classifier;
  fromJSON(json: { kind: string; params: Params; state: unknown }): Classifier;
}

/** Checks y holds class indices and returns K. */
export function classCount(kind: string, y: Float64Array, given: number | undefined): number {
  let max = -1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0)
      throw new UserError(`${kind}: target: expected class indices 0, 1, ..., row ${i + 1} is ${v}`);
    if (v > max) max = v;
  }
  const K = given ?? max + 1;
  if (max >= K) throw new UserError(`${kind}: target: expected class indices below ${K}, got ${max}`);
  if (K < 2) throw new UserError(`${kind}: target: expected at least two classes, got ${K}`);
  return K;
}

/** In place: each row of `raw` (n x K logits) becomes its softmax. */
export function softmaxRows(raw: Float64Array, K: number): Float64Array {
  for (let base = 0; base < raw.length; base += K) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (raw[base + k] > max) max = raw[base + k];
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(raw[base + k] - max);
      raw[base + k] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) raw[base + k] /= sum;
  }
  return raw;
}

/** The most probable class of each row (ties: the lowest index). */
export function argmaxRows(proba: ArrayLike<number>, K: number): Float64Array {
  const n = proba.length / K;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (proba[i * K + k] > proba[i * K + best]) best = k;
    out[i] = best;
  }
  return out;
}

/** Weighted class frequencies (the prior), smoothed so no class has probability 0. */
export function classPrior(y: Float64Array, w: Float64Array | undefined, K: number): Float64Array {
  const prior = new Float64Array(K);
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    prior[y[i]] += wi;
    total += wi;
  }
  for (let k = 0; k < K; k++) prior[k] = (prior[k] + 1e-3) / (total + 1e-3 * K);
  return prior;
}

/** The probability rows `rows` of a row-major n x K array. */
export function gatherRows(P: Float64Array, rows: ArrayLike<number>, K: number): Float64Array {
  const out = new Float64Array(rows.length * K);
  for (let j = 0; j < rows.length; j++) out.set(P.subarray(rows[j] * K, (rows[j] + 1) * K), j * K);
  return out;
}
