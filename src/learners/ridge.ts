/**
 * Ridge regression on standardized inputs (categoricals one-hot), solved in closed form:
 * (Z'WZ + alpha I) w = Z'W(y - ybar) on weighted-centered columns, intercept unpenalized.
 * Matches sklearn's StandardScaler + Ridge(alpha).
 */
import { CholeskyDecomposition, Matrix as MlMatrix, solve } from 'ml-matrix';
import type { FitOptions, Learner, LearnerFactory, Matrix, Params } from './learner.js';
import { StandardEncoder, type StandardEncoderState } from './preprocess.js';
import { checkFitInputs, checkPredictInputs, notFitted, numberIn, resolveParams } from './validate.js';

const KIND = 'ridge';

interface RidgeState {
  encoder: StandardEncoderState;
  features: number;
  coef: number[];
  intercept: number;
}

class Ridge implements Learner {
  readonly kind = KIND;
  private state?: RidgeState;

  constructor(readonly params: Params) {
    numberIn(KIND, params, 'alpha', 0, Infinity);
  }

  fit(X: Matrix, y: Float64Array, options: FitOptions): void {
    checkFitInputs(KIND, X, y, options);
    const alpha = this.params.alpha as number;
    const encoder = StandardEncoder.fit(X);
    const { rows, width: p, data } = encoder.transform(X);
    const w = options.sampleWeight;
    let wsum = 0;
    const means = new Float64Array(p);
    let ymean = 0;
    for (let i = 0; i < rows; i++) {
      const wi = w ? w[i] : 1;
      wsum += wi;
      ymean += wi * y[i];
      const base = i * p;
      for (let c = 0; c < p; c++) means[c] += wi * data[base + c];
    }
    if (wsum <= 0) wsum = 1;
    ymean /= wsum;
    for (let c = 0; c < p; c++) means[c] /= wsum;

    const gram = new Float64Array(p * p);
    const rhs = new Float64Array(p);
    const row = new Float64Array(p);
    for (let i = 0; i < rows; i++) {
      const wi = w ? w[i] : 1;
      if (wi === 0) continue;
      const base = i * p;
      for (let c = 0; c < p; c++) row[c] = data[base + c] - means[c];
      const r = wi * (y[i] - ymean);
      for (let a = 0; a < p; a++) {
        const va = wi * row[a];
        if (va === 0) continue;
        rhs[a] += row[a] * r;
        const off = a * p;
        for (let b = a; b < p; b++) gram[off + b] += va * row[b];
      }
    }
    const A = new MlMatrix(p, p);
    for (let a = 0; a < p; a++) {
      for (let b = a; b < p; b++) {
        const v = gram[a * p + b] + (a === b ? alpha : 0);
        A.set(a, b, v);
        A.set(b, a, v);
      }
    }
    const B = MlMatrix.columnVector(Array.from(rhs));
    const chol = new CholeskyDecomposition(A);
    // alpha = 0 with collinear columns is singular: fall back to the least-squares solve.
    const sol = chol.isPositiveDefinite() ? chol.solve(B) : solve(A, B, true);
    const coef = sol.getColumn(0);
    let intercept = ymean;
    for (let c = 0; c < p; c++) intercept -= coef[c] * means[c];
    this.state = { encoder: encoder.toJSON(), features: X.columns.length, coef, intercept };
  }

  predict(X: Matrix): Float64Array {
    const s = this.state;
    if (!s) throw notFitted(KIND);
    checkPredictInputs(KIND, X, s.features);
    const { rows, width, data } = StandardEncoder.fromJSON(s.encoder).transform(X);
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let acc = s.intercept;
      const base = i * width;
      for (let c = 0; c < width; c++) acc += s.coef[c] * data[base + c];
      out[i] = acc;
    }
    return out;
  }

  toJSON() {
    if (!this.state) throw notFitted(KIND);
    return { kind: KIND, params: this.params, state: this.state as unknown };
  }

  static restore(params: Params, state: RidgeState): Ridge {
    const model = new Ridge(params);
    model.state = state;
    return model;
  }
}

const defaults: Params = { alpha: 1.0 };

export const ridgeFactory: LearnerFactory = {
  kind: KIND,
  defaults,
  space: { alpha: { type: 'loguniform', low: 1e-4, high: 1e3 } },
  create: (params) => new Ridge(resolveParams(KIND, defaults, params)),
  fromJSON: (json) => Ridge.restore(resolveParams(KIND, defaults, json.params), json.state as RidgeState),
};
