/**
 * Boosting losses on the raw (link-scale) prediction: gradients, hessians, the constant starting
 * prediction and the validation loss used for early stopping. Poisson uses a log link.
 */
import { UserError } from '../runtime/errors.js';

export interface BoostingLoss {
  name: string;
  /** The best constant raw prediction. */
  baseline(y: Float64Array, w: Float64Array | undefined): number;
  gradients(
    y: Float64Array,
    raw: Float64Array,
    w: Float64Array | undefined,
    grad: Float64Array,
    hess: Float64Array,
  ): void;
  /** Mean loss over rows (weighted if w). */
  loss(y: Float64Array, raw: Float64Array, w: Float64Array | undefined): number;
  /** Raw prediction -> prediction on the target's scale. */
  inverseLink(raw: number): number;
  /** Leaf values are refit as the leaf's weighted median residual (absolute loss). */
  medianLeaves: boolean;
  check?(kind: string, y: Float64Array): void;
}

const squaredError: BoostingLoss = {
  name: 'squared_error',
  baseline: (y, w) => weightedMean(y, w),
  gradients(y, raw, w, grad, hess) {
    const n = y.length;
    if (w) {
      for (let i = 0; i < n; i++) {
        grad[i] = w[i] * (raw[i] - y[i]);
        hess[i] = w[i];
      }
    } else {
      for (let i = 0; i < n; i++) {
        grad[i] = raw[i] - y[i];
        hess[i] = 1;
      }
    }
  },
  loss(y, raw, w) {
    let s = 0;
    let ws = 0;
    for (let i = 0; i < y.length; i++) {
      const wi = w ? w[i] : 1;
      const d = raw[i] - y[i];
      s += wi * d * d;
      ws += wi;
    }
    return s / (2 * ws);
  },
  inverseLink: (raw) => raw,
  medianLeaves: false,
};

const absoluteError: BoostingLoss = {
  name: 'absolute_error',
  baseline: (y, w) => weightedMedian(Float64Array.from(y), w ? Float64Array.from(w) : undefined),
  gradients(y, raw, w, grad, hess) {
    for (let i = 0; i < y.length; i++) {
      const wi = w ? w[i] : 1;
      grad[i] = raw[i] > y[i] ? wi : raw[i] < y[i] ? -wi : 0;
      hess[i] = wi;
    }
  },
  loss(y, raw, w) {
    let s = 0;
    let ws = 0;
    for (let i = 0; i < y.length; i++) {
      const wi = w ? w[i] : 1;
      s += wi * Math.abs(raw[i] - y[i]);
      ws += wi;
    }
    return s / ws;
  },
  inverseLink: (raw) => raw,
  medianLeaves: true,
};

const poisson: BoostingLoss = {
  name: 'poisson',
  baseline(y, w) {
    const mean = weightedMean(y, w);
    return Math.log(Math.max(mean, 1e-12));
  },
  gradients(y, raw, w, grad, hess) {
    for (let i = 0; i < y.length; i++) {
      const wi = w ? w[i] : 1;
      const mu = Math.exp(raw[i]);
      grad[i] = wi * (mu - y[i]);
      hess[i] = wi * mu;
    }
  },
  loss(y, raw, w) {
    let s = 0;
    let ws = 0;
    for (let i = 0; i < y.length; i++) {
      const wi = w ? w[i] : 1;
      s += wi * (Math.exp(raw[i]) - y[i] * raw[i]);
      ws += wi;
    }
    return s / ws;
  },
  inverseLink: (raw) => Math.exp(raw),
  medianLeaves: false,
  check(kind, y) {
    let sum = 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] < 0) throw new UserError(`${kind}: loss 'poisson': expected a target >= 0, row ${i + 1} is ${y[i]}`);
      sum += y[i];
    }
    if (sum <= 0) throw new UserError(`${kind}: loss 'poisson': expected a target with a positive sum, got all zeros`);
  },
};

export const LOSSES: Record<string, BoostingLoss> = {
  squared_error: squaredError,
  absolute_error: absoluteError,
  poisson,
};

function weightedMean(y: ArrayLike<number>, w: ArrayLike<number> | undefined): number {
  let s = 0;
  let ws = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    s += wi * y[i];
    ws += wi;
  }
  return ws > 0 ? s / ws : 0;
}

/** Weighted median (the lower one at an exact half); sorts `values` (and `w`) in place. */
export function weightedMedian(values: Float64Array, w: Float64Array | undefined): number {
  const n = values.length;
  if (n === 0) return 0;
  if (!w) {
    values.sort();
    return n % 2 === 1 ? values[(n - 1) / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i];
  let acc = 0;
  for (const i of order) {
    acc += w[i];
    if (acc >= total / 2) return values[i];
  }
  return values[order[n - 1]];
}
