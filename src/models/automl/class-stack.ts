/**
 * The classification stacker: multinomial logistic regression on the members' out-of-fold
 * probabilities, each member contributing two features per class, its probability and its
 * log-probability floored at 1e-4 (so one confidently wrong member cannot veto a class), with
 * weights shared by the classes plus one intercept per class:
 * logit_k = sum_m (a_m log max(p_mk, 1e-4) + c_m p_mk) + b_k (a conditional logit). For two
 * classes this is logistic regression on those member features; for many classes it keeps
 * 2M + K parameters instead of ~2M K^2 (letter: 26 classes), which the out-of-fold rows support.
 * An L2 pull of the weights towards 1/M (the plain geometric mean) keeps nearly separable
 * out-of-fold data from driving them to overconfident extremes; fitted with L-BFGS; scored on the
 * search's folds.
 */
import { minimizeLbfgs } from '../../learners/lbfgs.js';
import { gatherRows, softmaxRows } from '../../learners/classifier.js';

export interface ClassStacker {
  weights: number[];
  intercept: number[];
}

const L2 = 0.05;

const FLOOR = 1e-4;

/** The stacker's feature arrays: the members' floored log-probabilities, then their probabilities. */
function features(preds: Float64Array[]): Float64Array[] {
  return [...preds.map((p) => p.map((v) => Math.log(Math.max(FLOOR, v)))), ...preds];
}

/** The objective over theta = [weights (one per feature array), b (K)] and its gradient. */
export function stackObjective(
  L: Float64Array[],
  y: ArrayLike<number>,
  rows: ArrayLike<number>,
  K: number,
  theta: Float64Array,
  g: Float64Array,
): number {
  const M = L.length;
  g.fill(0);
  const z = new Float64Array(K);
  let total = 0;
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    const base = i * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      let v = theta[M + k];
      for (let m = 0; m < M; m++) v += theta[m] * L[m][base + k];
      z[k] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let k = 0; k < K; k++) {
      z[k] = Math.exp(z[k] - max);
      sum += z[k];
    }
    const yi = y[i];
    total += Math.log(sum) - Math.log(z[yi]);
    for (let k = 0; k < K; k++) {
      const d = z[k] / sum - (k === yi ? 1 : 0);
      g[M + k] += d;
      for (let m = 0; m < M; m++) g[m] += d * L[m][base + k];
    }
  }
  const n = Math.max(1, rows.length);
  let value = total / n;
  for (let t = 0; t < g.length; t++) g[t] /= n;
  // Pull the log-probability weights towards 1/(M/2) each (a geometric mean), the others towards 0.
  const half = M / 2;
  for (let m = 0; m < M; m++) {
    const d = theta[m] - (m < half ? 1 / half : 0);
    value += 0.5 * L2 * d * d;
    g[m] += L2 * d;
  }
  return value;
}

function fitClassStacker(L: Float64Array[], y: ArrayLike<number>, rows: ArrayLike<number>, K: number): ClassStacker {
  const M = L.length;
  const theta = new Float64Array(M + K);
  for (let m = 0; m < M / 2; m++) theta[m] = 2 / M;
  minimizeLbfgs((t, g) => stackObjective(L, y, rows, K, t, g), theta, { maxIter: 60, tol: 1e-6 });
  return { weights: Array.from(theta.subarray(0, M)), intercept: Array.from(theta.subarray(M)) };
}

export function applyClassStacker(stacker: ClassStacker, preds: Float64Array[], K: number): Float64Array {
  const L = features(preds);
  const n = preds[0].length;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let v = stacker.intercept[j % K];
    for (let m = 0; m < L.length; m++) v += stacker.weights[m] * L[m][j];
    out[j] = v;
  }
  return softmaxRows(out, K);
}

/** Out-of-fold stacked probabilities on the search's folds, and the stacker fitted on all rows. */
export function stackClassifiers(
  preds: Float64Array[],
  y: Float64Array,
  folds: Int32Array,
  k: number,
  K: number,
): { oof: Float64Array; stacker: ClassStacker } {
  const L = features(preds);
  const oof = new Float64Array(y.length * K);
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const valid: number[] = [];
    for (let i = 0; i < y.length; i++) (folds[i] === f ? valid : train).push(i);
    if (valid.length === 0) continue;
    const s = fitClassStacker(L, y, train, K);
    const part = applyClassStacker(
      s,
      preds.map((p) => gatherRows(p, valid, K)),
      K,
    );
    valid.forEach((i, j) => oof.set(part.subarray(j * K, (j + 1) * K), i * K));
  }
  const all = Int32Array.from({ length: y.length }, (_, i) => i);
  return { oof, stacker: fitClassStacker(L, y, all, K) };
}
