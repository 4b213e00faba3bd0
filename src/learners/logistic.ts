/**
 * Multinomial logistic regression with an L2 penalty on standardized inputs (categoricals one-hot):
 * scikit-learn's StandardScaler + LogisticRegression(C, multinomial), minimizing
 * sum_i w_i CE_i + ||W||^2 / (2C) (intercepts unpenalized) with L-BFGS. K score columns, also for
 * two classes. `multinomialObjective` is exported for the finite-difference gradient check.
 */
import type { Matrix, Params } from './learner.js';
import {
  argmaxRows,
  classCount,
  softmaxRows,
  type ClassFitOptions,
  type Classifier,
  type ClassifierFactory,
} from './classifier.js';
import { minimizeLbfgs } from './lbfgs.js';
import { StandardEncoder, type DenseRows, type StandardEncoderState } from './preprocess.js';
import { checkFitInputs, checkPredictInputs, notFitted, numberIn, positiveInt, resolveParams } from './validate.js';

const KIND = 'logistic';

interface LogisticState {
  encoder: StandardEncoderState;
  features: number;
  classes: number;
  /** width x K, row-major, then K intercepts. */
  coef: number[];
  intercept: number[];
  iterations: number;
}

/**
 * The objective over theta = [W (p x K row-major), b (K)], divided by the total weight, and its
 * gradient (written into g).
 */
export function multinomialObjective(
  X: DenseRows,
  y: ArrayLike<number>,
  w: ArrayLike<number> | undefined,
  K: number,
  C: number,
  theta: Float64Array,
  g: Float64Array,
): number {
  const { rows, width: p, data } = X;
  g.fill(0);
  const z = new Float64Array(K);
  let total = 0;
  let wsum = 0;
  const bOff = p * K;
  for (let i = 0; i < rows; i++) {
    const wi = w ? w[i] : 1;
    if (wi === 0) continue;
    const base = i * p;
    for (let k = 0; k < K; k++) z[k] = theta[bOff + k];
    for (let j = 0; j < p; j++) {
      const x = data[base + j];
      if (x === 0) continue;
      const row = j * K;
      for (let k = 0; k < K; k++) z[k] += x * theta[row + k];
    }
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (z[k] > max) max = z[k];
    let sum = 0;
    for (let k = 0; k < K; k++) {
      z[k] = Math.exp(z[k] - max);
      sum += z[k];
    }
    const yi = y[i];
    total += wi * (Math.log(sum) - Math.log(z[yi]));
    wsum += wi;
    for (let k = 0; k < K; k++) z[k] = wi * (z[k] / sum - (k === yi ? 1 : 0));
    for (let j = 0; j < p; j++) {
      const x = data[base + j];
      if (x === 0) continue;
      const row = j * K;
      for (let k = 0; k < K; k++) g[row + k] += x * z[k];
    }
    for (let k = 0; k < K; k++) g[bOff + k] += z[k];
  }
  let penalty = 0;
  for (let t = 0; t < bOff; t++) {
    penalty += theta[t] * theta[t];
    g[t] += theta[t] / C;
  }
  total += penalty / (2 * C);
  const scale = 1 / Math.max(wsum, 1e-12);
  for (let t = 0; t < g.length; t++) g[t] *= scale;
  return total * scale;
}

/** Row-major logits of dense rows under theta. */
function multinomialScores(
  X: DenseRows,
  K: number,
  coef: ArrayLike<number>,
  intercept: ArrayLike<number>,
): Float64Array {
  const { rows, width: p, data } = X;
  const out = new Float64Array(rows * K);
  for (let i = 0; i < rows; i++) {
    const base = i * p;
    for (let k = 0; k < K; k++) out[i * K + k] = intercept[k];
    for (let j = 0; j < p; j++) {
      const x = data[base + j];
      if (x === 0) continue;
      for (let k = 0; k < K; k++) out[i * K + k] += x * coef[j * K + k];
    }
  }
  return out;
}

class LogisticRegression implements Classifier {
  readonly kind = KIND;
  private state?: LogisticState;

  constructor(readonly params: Params) {
    numberIn(KIND, params, 'C', 0, Infinity, true);
    positiveInt(KIND, params, 'max_iter', 1);
    numberIn(KIND, params, 'tol', 0, Infinity);
  }

  get classes(): number {
    return this.state?.classes ?? 0;
  }

  fit(X: Matrix, y: Float64Array, options: ClassFitOptions): void {
    checkFitInputs(KIND, X, y, options);
    const K = classCount(KIND, y, options.classes);
    const encoder = StandardEncoder.fit(X);
    const dense = encoder.transform(X);
    const p = dense.width;
    const theta = new Float64Array((p + 1) * K);
    const C = this.params.C as number;
    const result = minimizeLbfgs((t, g) => multinomialObjective(dense, y, options.sampleWeight, K, C, t, g), theta, {
      maxIter: this.params.max_iter as number,
      tol: this.params.tol as number,
      deadlineMs: options.deadlineMs,
    });
    this.state = {
      encoder: encoder.toJSON(),
      features: X.columns.length,
      classes: K,
      coef: Array.from(theta.subarray(0, p * K)),
      intercept: Array.from(theta.subarray(p * K)),
      iterations: result.iterations,
    };
  }

  predictProba(X: Matrix): Float64Array {
    const s = this.state;
    if (!s) throw notFitted(KIND);
    checkPredictInputs(KIND, X, s.features);
    const dense = StandardEncoder.fromJSON(s.encoder).transform(X);
    return softmaxRows(multinomialScores(dense, s.classes, s.coef, s.intercept), s.classes);
  }

  predict(X: Matrix): Float64Array {
    return argmaxRows(this.predictProba(X), this.classes);
  }

  toJSON() {
    if (!this.state) throw notFitted(KIND);
    return { kind: KIND, params: this.params, state: this.state as unknown };
  }

  restore(state: LogisticState): this {
    this.state = state;
    return this;
  }
}

const defaults: Params = { C: 1.0, max_iter: 100, tol: 1e-4 };

export const logisticFactory: ClassifierFactory = {
  kind: KIND,
  defaults,
  space: { C: { type: 'loguniform', low: 1e-3, high: 1e3 } },
  create: (params) => new LogisticRegression(resolveParams(KIND, defaults, params)),
  fromJSON: (json) =>
    new LogisticRegression(resolveParams(KIND, defaults, json.params)).restore(json.state as LogisticState),
};
