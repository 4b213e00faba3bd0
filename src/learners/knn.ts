/**
 * k-nearest-neighbours regression on standardized inputs (categoricals one-hot), Euclidean
 * distance, uniform or inverse-distance weights: scikit-learn's StandardScaler +
 * KNeighborsRegressor. Exact search with a k-d tree (kdtree.ts); ties go to the earlier training row.
 */
import { UserError } from '../runtime/errors.js';
import type { FitOptions, Learner, LearnerFactory, Matrix, Params } from './learner.js';
import { KdTree } from './kdtree.js';
import { StandardEncoder, type StandardEncoderState } from './preprocess.js';
import { checkFitInputs, checkPredictInputs, notFitted, positiveInt, resolveParams } from './validate.js';

const KIND = 'knn';

export interface KnnState {
  encoder: StandardEncoderState;
  features: number;
  rows: number;
  width: number;
  /** Standardized training rows (row-major Float64, base64) and targets. */
  points: string;
  targets: string;
}

export class KNearestNeighbors implements Learner {
  readonly kind: string = KIND;
  protected state?: KnnState;
  protected points?: Float64Array;
  protected targets?: Float64Array;
  private encoder?: StandardEncoder;
  private tree?: KdTree;

  constructor(readonly params: Params) {
    positiveInt(KIND, params, 'k', 1);
    if (!['uniform', 'distance'].includes(String(params.weights))) {
      throw new UserError(`${KIND}: weights: expected uniform or distance, got '${params.weights}'`);
    }
  }

  fit(X: Matrix, y: Float64Array, options: FitOptions): void {
    checkFitInputs(this.kind, X, y, options, 1);
    const encoder = StandardEncoder.fit(X);
    const dense = encoder.transform(X);
    this.encoder = encoder;
    this.points = dense.data;
    this.targets = Float64Array.from(y);
    this.tree = undefined;
    this.state = {
      encoder: encoder.toJSON(),
      features: X.columns.length,
      rows: dense.rows,
      width: dense.width,
      points: '',
      targets: '',
    };
  }

  predict(X: Matrix): Float64Array {
    const targets = this.targets!;
    const byDistance = this.params.weights === 'distance';
    const out = new Float64Array(X.rows);
    this.forEachNeighbourhood(X, (r, bestD, bestI, k) => {
      out[r] = byDistance ? distanceWeighted(bestD, bestI, k, targets) : uniform(bestI, k, targets);
    });
    return out;
  }

  /** Calls visit(row, squared distances, training rows, k) with each query row's k nearest neighbours. */
  protected forEachNeighbourhood(
    X: Matrix,
    visit: (row: number, bestD: Float64Array, bestI: Int32Array, k: number) => void,
  ): void {
    const s = this.state;
    if (!s || !this.points || !this.targets || !this.encoder) throw notFitted(this.kind);
    checkPredictInputs(this.kind, X, s.features);
    const query = this.encoder.transform(X);
    const d = s.width;
    const n = s.rows;
    const k = Math.min(this.params.k as number, n);
    // A k-d tree up to 20 dimensions (exact, so the same neighbours as a scan; in 16-20 dimensions still ~2x faster), beyond that one leaf (a brute-force scan).
    this.tree ??= new KdTree(this.points, n, d, d <= 20 ? 30 : n);
    const tree = this.tree;
    const stack = new Int32Array(tree.stackSize);
    const bestD = new Float64Array(k);
    const bestI = new Int32Array(k);
    const q = new Float64Array(d);
    for (let r = 0; r < X.rows; r++) {
      for (let c = 0; c < d; c++) q[c] = query.data[r * d + c];
      tree.query(q, k, bestD, bestI, stack);
      visit(r, bestD, bestI, k);
    }
  }

  toJSON() {
    const s = this.state;
    if (!s || !this.points || !this.targets) throw notFitted(this.kind);
    return {
      kind: KIND,
      params: this.params,
      state: { ...s, points: toBase64(this.points), targets: toBase64(this.targets) } as unknown,
    };
  }

  restore(state: KnnState): this {
    this.state = state;
    this.encoder = StandardEncoder.fromJSON(state.encoder);
    this.points = fromBase64(state.points, state.rows * state.width);
    this.targets = fromBase64(state.targets, state.rows);
    return this;
  }
}

function uniform(bestI: Int32Array, k: number, targets: Float64Array): number {
  let s = 0;
  for (let j = 0; j < k; j++) s += targets[bestI[j]];
  return s / k;
}

/** Weights 1/distance; exact matches (distance 0), if any, share all the weight (as scikit-learn). */
function distanceWeighted(bestD: Float64Array, bestI: Int32Array, k: number, targets: Float64Array): number {
  if (bestD[0] === 0) {
    let s = 0;
    let m = 0;
    for (let j = 0; j < k && bestD[j] === 0; j++, m++) s += targets[bestI[j]];
    return s / m;
  }
  let s = 0;
  let ws = 0;
  for (let j = 0; j < k; j++) {
    const w = 1 / Math.sqrt(bestD[j]);
    s += w * targets[bestI[j]];
    ws += w;
  }
  return s / ws;
}

function toBase64(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromBase64(text: string, length: number): Float64Array {
  const buf = Buffer.from(text, 'base64');
  if (buf.length !== length * 8)
    throw new UserError(`${KIND}: corrupt saved model: expected ${length * 8} bytes, got ${buf.length}`);
  const out = new Float64Array(length);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

const defaults: Params = { k: 5, weights: 'uniform' };

export const knnFactory: LearnerFactory = {
  kind: KIND,
  defaults,
  space: {
    k: { type: 'randint', low: 1, high: 50 },
    weights: { type: 'choice', values: ['uniform', 'distance'] },
  },
  sampleWeights: false,
  create: (params) => new KNearestNeighbors(resolveParams(KIND, defaults, params, knnFactory.space)),
  fromJSON: (json) => new KNearestNeighbors(resolveParams(KIND, defaults, json.params)).restore(json.state as KnnState),
};
