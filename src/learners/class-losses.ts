/**
 * Boosting losses for classification on the raw (logit) scores, as in scikit-learn's
 * HistGradientBoostingClassifier and LightGBM:
 * - binary log loss: one score per row, p = sigmoid(raw); grad = w (p - y), hess = w p (1 - p);
 * - multinomial (softmax) log loss: K scores per row (row-major), one tree per class per round;
 *   grad_k = w (p_k - [y = k]), hess_k = w p_k (1 - p_k) (the diagonal of the Hessian).
 * Tests check the gradients and hessians against finite differences of `loss`.
 */
import { softmaxRows } from './classifier.js';

export interface ClassBoostingLoss {
  /** Raw scores per row: 1 (binary) or K. */
  width: number;
  /** The best constant raw scores (length width). */
  baseline(prior: Float64Array): Float64Array;
  /** Probabilities (n x K row-major, K >= 2) from the raw scores (n x width). */
  proba(raw: Float64Array): Float64Array;
  /** Gradient and hessian of score column `column` from the probabilities. */
  gradients(
    y: Float64Array,
    proba: Float64Array,
    column: number,
    w: Float64Array | undefined,
    grad: Float64Array,
    hess: Float64Array,
  ): void;
  /** Mean (weighted) log loss of the raw scores. */
  loss(y: Float64Array, raw: Float64Array, w: Float64Array | undefined): number;
}

const EPS = 1e-15;

export function binaryLogLoss(): ClassBoostingLoss {
  return {
    width: 1,
    baseline: (prior) => Float64Array.of(Math.log(prior[1] / prior[0])),
    proba(raw) {
      const out = new Float64Array(2 * raw.length);
      for (let i = 0; i < raw.length; i++) {
        const p = sigmoid(raw[i]);
        out[2 * i] = 1 - p;
        out[2 * i + 1] = p;
      }
      return out;
    },
    // The score is class 1's: its gradient is column 1's of the two-class probabilities.
    gradients: (y, proba, _column, w, grad, hess) => probaGradients(y, proba, 2, 1, w, grad, hess),
    loss(y, raw, w) {
      let s = 0;
      let ws = 0;
      for (let i = 0; i < y.length; i++) {
        const wi = w ? w[i] : 1;
        // log(1 + e^r) - y r, computed without overflow.
        const r = raw[i];
        s += wi * (Math.max(r, 0) + Math.log1p(Math.exp(-Math.abs(r))) - y[i] * r);
        ws += wi;
      }
      return s / ws;
    },
  };
}

export function softmaxLogLoss(K: number): ClassBoostingLoss {
  return {
    width: K,
    baseline(prior) {
      const out = prior.map((p) => Math.log(p));
      const mean = out.reduce((a, b) => a + b, 0) / K;
      return out.map((v) => v - mean);
    },
    proba: (raw) => softmaxRows(Float64Array.from(raw), K),
    gradients: (y, proba, column, w, grad, hess) => probaGradients(y, proba, K, column, w, grad, hess),
    loss(y, raw, w) {
      let s = 0;
      let ws = 0;
      for (let i = 0; i < y.length; i++) {
        const wi = w ? w[i] : 1;
        const base = i * K;
        let max = -Infinity;
        for (let k = 0; k < K; k++) if (raw[base + k] > max) max = raw[base + k];
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(raw[base + k] - max);
        s += wi * (max + Math.log(sum) - raw[base + y[i]]);
        ws += wi;
      }
      return s / ws;
    },
  };
}

/** grad = w (p_c - [y = c]), hess = w p_c (1 - p_c) of column c of K row-major probabilities. */
function probaGradients(
  y: Float64Array,
  proba: Float64Array,
  K: number,
  column: number,
  w: Float64Array | undefined,
  grad: Float64Array,
  hess: Float64Array,
): void {
  for (let i = 0; i < y.length; i++) {
    const p = proba[i * K + column];
    const wi = w ? w[i] : 1;
    grad[i] = wi * (p - (y[i] === column ? 1 : 0));
    hess[i] = wi * p * (1 - p);
  }
}

export function classBoostingLoss(K: number): ClassBoostingLoss {
  return K === 2 ? binaryLogLoss() : softmaxLogLoss(K);
}

function sigmoid(r: number): number {
  return r >= 0 ? 1 / (1 + Math.exp(-r)) : Math.exp(r) / (1 + Math.exp(r));
}

/** Mean (weighted) negative log-likelihood of row-major probabilities, clipped at 1e-15. */
export function logLossOfProba(
  y: ArrayLike<number>,
  proba: ArrayLike<number>,
  K: number,
  w?: ArrayLike<number>,
): number {
  let s = 0;
  let ws = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    s -= wi * Math.log(Math.max(EPS, proba[i * K + y[i]]));
    ws += wi;
  }
  return s / ws;
}
