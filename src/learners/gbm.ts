/**
 * Histogram gradient boosting (LightGBM-style), with defaults matching scikit-learn's
 * HistGradientBoostingRegressor: features binned once, one leaf-wise histogram tree per round,
 * optional row/column subsampling and early stopping on a validation set.
 */
import { Random } from '../runtime/random.js';
import { UserError } from '../runtime/errors.js';
import { normalizedImportance, type FitOptions, type Learner, type LearnerFactory, type Matrix, type Params } from './learner.js';
import { applyBinning, fitBinning } from './binning.js';
import { Grower, type GrowParams } from './grower.js';
import { LOSSES, weightedMedian } from './losses.js';
import { holdOutValidation } from './preprocess.js';
import { addTreePrediction, addTreePredictionBinned, addTreesPrediction, treeFromJSON, treeToJSON, type FlatTree, type TreeJSON } from './tree.js';
import { packTrees, unpackTrees, type TreePack } from './tree-pack.js';
import { checkFitInputs, checkPredictInputs, notFitted, numberIn, positiveInt, resolveParams } from './validate.js';

const KIND = 'gbm';

const defaults: Params = {
  loss: 'squared_error',
  learning_rate: 0.1,
  max_iter: 100,
  max_leaf_nodes: 31,
  /** 0 = no limit. */
  max_depth: 0,
  min_samples_leaf: 20,
  l2_regularization: 0,
  max_bins: 255,
  /** Fraction of rows drawn (without replacement) for each tree. */
  subsample: 1,
  /** Fraction of features drawn for each tree. */
  colsample: 1,
  /** 'auto': on when more than 10,000 rows or a validation set is given; 'on'; 'off'. */
  early_stopping: 'auto',
  validation_fraction: 0.1,
  n_iter_no_change: 10,
  tol: 1e-7,
  /** Split categorical features into sets of categories (false: treat their codes as ordinal). */
  categorical_splits: true,
};

interface GbmState {
  features: number;
  names: string[];
  baseline: number;
  /** Models saved before format 2: one TreeJSON per tree (read only). */
  trees?: TreeJSON[];
  pack?: TreePack;
  importance: number[];
  /** Validation loss after each kept round (when early stopping ran). */
  validationLoss?: number[];
  stoppedEarly: boolean;
}

export class GradientBoosting implements Learner {
  readonly kind = KIND;
  private state?: GbmState;
  private trees: FlatTree[] = [];

  constructor(readonly params: Params) {
    validateParams(params);
  }

  fit(X: Matrix, y: Float64Array, options: FitOptions): void {
    checkFitInputs(KIND, X, y, options);
    const p = this.params;
    const loss = LOSSES[p.loss as string];
    loss.check?.(KIND, y);
    const rng = new Random(options.seed);
    let w = options.sampleWeight;

    let valX: Matrix | undefined;
    let valY: Float64Array | undefined;
    ({ X, y, weight: w, valX, valY } = earlyStoppingData(KIND, p, X, y, w, options, rng));

    const booster = Booster.start(p, X, y, w, options.seed, rng);
    const baseline = booster.baseline;
    const valRaw = valX ? new Float64Array(valX.rows).fill(baseline) : undefined;
    const valLoss: number[] = [];
    const patience = p.n_iter_no_change as number;
    const tol = p.tol as number;
    let bestRound = 0;
    let bestLoss = valX ? loss.loss(valY!, valRaw!, undefined) : Infinity;
    let stoppedEarly = false;
    const maxIter = p.max_iter as number;

    for (let round = 0; round < maxIter; round++) {
      if (options.deadlineMs !== undefined && performance.now() > options.deadlineMs) break;
      const tree = booster.grow();
      if (valX) {
        addTreePrediction(tree, valX, valRaw!);
        const current = loss.loss(valY!, valRaw!, undefined);
        valLoss.push(current);
        if (current < bestLoss - tol) {
          bestLoss = current;
          bestRound = round + 1;
        } else if (round + 1 - bestRound >= patience) {
          stoppedEarly = true;
          break;
        }
      }
    }
    const trees = booster.trees;
    const F = X.columns.length;
    const importance = booster.importance;
    // Keep the rounds up to the best validation loss.
    const kept = valX ? trees.slice(0, bestRound) : trees;
    this.trees = kept;
    this.state = {
      features: F,
      names: X.names.slice(),
      baseline,
      trees: [],
      importance: Array.from(importance),
      validationLoss: valX ? valLoss.slice(0, kept.length) : undefined,
      stoppedEarly,
    };
  }

  /** Number of boosting rounds kept. */
  get rounds(): number {
    return this.trees.length;
  }

  get stoppedEarly(): boolean {
    return this.state?.stoppedEarly ?? false;
  }

  predictRaw(X: Matrix): Float64Array {
    const s = this.state;
    if (!s) throw notFitted(KIND);
    checkPredictInputs(KIND, X, s.features);
    const out = new Float64Array(X.rows).fill(s.baseline);
    addTreesPrediction(this.trees, X, out);
    return out;
  }

  predict(X: Matrix): Float64Array {
    const raw = this.predictRaw(X);
    const loss = LOSSES[this.params.loss as string];
    if (loss.inverseLink(1) !== 1) for (let i = 0; i < raw.length; i++) raw[i] = loss.inverseLink(raw[i]);
    return raw;
  }

  /** Total split gain per feature, normalized to sum 1. */
  featureImportance(): Record<string, number> {
    const s = this.state;
    if (!s) throw notFitted(KIND);
    return normalizedImportance(s.names, s.importance);
  }

  toJSON() {
    const s = this.state;
    if (!s) throw notFitted(KIND);
    const { trees: _trees, ...rest } = s;
    return { kind: KIND, params: this.params, state: { ...rest, pack: packTrees(this.trees) } as unknown };
  }

  /** The model a booster has grown so far (all its rounds). */
  static fromBooster(params: Params, booster: Booster, names: string[]): GradientBoosting {
    const model = new GradientBoosting(params);
    model.trees = booster.trees.slice();
    model.state = { features: names.length, names: names.slice(), baseline: booster.baseline, trees: [], importance: Array.from(booster.importance), stoppedEarly: false };
    return model;
  }

  static restore(params: Params, state: GbmState): GradientBoosting {
    const model = new GradientBoosting(params);
    const { trees, pack, ...rest } = state;
    model.state = rest;
    model.trees = pack ? unpackTrees(pack).trees : (trees ?? []).map(treeFromJSON);
    return model;
  }
}

/** A booster's state between rounds, for checkpoints: with the same X, y, weights, params and seed, `Booster.resume` continues it exactly. */
export interface BoosterState {
  trees: TreeJSON[];
  importance: Float64Array;
  /** Raw predictions on the training rows after the last round. */
  raw: Float64Array;
  /** Row order the grower left (the next round's histograms sum in this order). */
  index: Int32Array;
  rng: number[];
}

/**
 * Histogram boosting one round at a time: binning, gradients, one leaf-wise tree per `grow()`. The
 * state it carries between rounds (raw predictions, the row order, the generator) is all
 * `state()` returns, so training continued from a checkpoint grows the same trees as training
 * straight through.
 */
export class Booster {
  readonly trees: FlatTree[] = [];
  readonly baseline: number;
  readonly importance: Float64Array;
  private readonly raw: Float64Array;
  private readonly index: Int32Array;
  private readonly grad: Float64Array;
  private readonly hess: Float64Array;
  private readonly residual: Float64Array;
  private readonly data: ReturnType<typeof applyBinning>;
  private readonly grower: Grower;
  private readonly growParams: GrowParams;
  private readonly leafValue: (G: number, H: number, start: number, end: number) => number;
  private readonly loss: (typeof LOSSES)[string];
  private readonly sampler: RoundSampler;
  private readonly nBins: Int32Array;

  private constructor(
    p: Params,
    X: Matrix,
    private readonly y: Float64Array,
    private readonly w: Float64Array | undefined,
    seed: number,
    private readonly rng: Random,
  ) {
    const n = X.rows;
    const F = X.columns.length;
    this.loss = LOSSES[p.loss as string];
    const binning = fitBinning(X, p.max_bins as number, seed);
    this.nBins = binning.nBins;
    this.data = applyBinning(X, binning);
    this.grower = new Grower(this.data);
    this.baseline = this.loss.baseline(y, w);
    this.raw = new Float64Array(n).fill(this.baseline);
    this.grad = new Float64Array(n);
    this.hess = new Float64Array(n);
    this.index = new Int32Array(n);
    for (let i = 0; i < n; i++) this.index[i] = i;
    this.importance = new Float64Array(F);
    const lr = p.learning_rate as number;
    const l2 = p.l2_regularization as number;
    this.sampler = new RoundSampler(p, n, F, rng);
    this.growParams = boostingGrowParams(p, F, this.sampler.featureAllowed);
    this.residual = new Float64Array(n);
    const { index, residual } = this;
    this.leafValue = this.loss.medianLeaves
      ? (_G: number, _H: number, start: number, end: number) => {
          const m = end - start;
          const r = new Float64Array(m);
          const ww = w ? new Float64Array(m) : undefined;
          for (let k = 0; k < m; k++) {
            const i = index[start + k];
            r[k] = residual[i];
            if (ww) ww[k] = w![i];
          }
          return lr * weightedMedian(r, ww);
        }
      : (G: number, H: number) => (-lr * G) / (H + l2);
  }

  /** A fresh booster; `rng` drives the row and column subsampling. */
  static start(params: Params, X: Matrix, y: Float64Array, w: Float64Array | undefined, seed: number, rng: Random): Booster {
    return new Booster(params, X, y, w, seed, rng);
  }

  /** A booster continuing from `state()` of one built with the same inputs. */
  static resume(params: Params, X: Matrix, y: Float64Array, w: Float64Array | undefined, seed: number, state: BoosterState): Booster {
    if (state.raw.length !== X.rows || state.index.length !== X.rows || state.importance.length !== X.columns.length) {
      throw new UserError(`${KIND}: checkpoint: expected state for ${X.rows} rows and ${X.columns.length} features, got ${state.raw.length} rows and ${state.importance.length} features`);
    }
    const b = new Booster(params, X, y, w, seed, Random.fromState(state.rng));
    b.raw.set(state.raw);
    b.index.set(state.index);
    b.importance.set(state.importance);
    for (const t of state.trees) b.trees.push(treeFromJSON(t));
    return b;
  }

  get rounds(): number {
    return this.trees.length;
  }

  state(): BoosterState {
    return { trees: this.trees.map(treeToJSON), importance: this.importance.slice(), raw: this.raw.slice(), index: this.index.slice(), rng: this.rng.getState() };
  }

  /** One boosting round: returns the new tree. */
  grow(): FlatTree {
    const { y, w, raw, grad, hess, index, residual } = this;
    const n = raw.length;
    const F = this.importance.length;
    this.loss.gradients(y, raw, w, grad, hess);
    if (this.loss.medianLeaves) for (let i = 0; i < n; i++) residual[i] = y[i] - raw[i];
    const count = this.sampler.draw(index);
    const grown = this.grower.grow(grad, hess, index, count, this.growParams, this.leafValue, this.importance);
    const tree = grown.tree;
    for (let l = 0; l < grown.leafNodes.length; l++) {
      const v = tree.value[grown.leafNodes[l]];
      for (let k = grown.leafStart[l]; k < grown.leafEnd[l]; k++) raw[index[k]] += v;
    }
    if (count < n) addTreePredictionBinned(tree, this.data.codes, F, this.nBins, index.subarray(count), raw);
    this.trees.push(tree);
    return tree;
  }
}

/** Early stopping data: the given validation set, or a held-out fraction of the training rows (or none). */
export function earlyStoppingData(kind: string, p: Params, X: Matrix, y: Float64Array, w: Float64Array | undefined, options: FitOptions, rng: Random): { X: Matrix; y: Float64Array; weight?: Float64Array; valX?: Matrix; valY?: Float64Array } {
  const mode = p.early_stopping as string;
  if (mode !== 'off' && options.validation) return { X, y, weight: w, valX: options.validation.X, valY: options.validation.y };
  if (mode === 'on' || (mode === 'auto' && X.rows > 10_000)) {
    const nVal = Math.max(1, Math.floor((p.validation_fraction as number) * X.rows));
    if (X.rows - nVal < 2) throw new UserError(`${kind}: early_stopping: too few rows (${X.rows}) to hold out a validation fraction`);
    return holdOutValidation(X, y, w, p.validation_fraction as number, rng);
  }
  return { X, y, weight: w };
}

/** The grower settings of a boosting round (leaf-wise, second-order gain). */
export function boostingGrowParams(p: Params, F: number, featureAllowed: Uint8Array | undefined): GrowParams {
  const maxDepth = p.max_depth as number;
  return {
    maxLeaves: p.max_leaf_nodes as number,
    maxDepth: maxDepth > 0 ? maxDepth : Infinity,
    minSamplesLeaf: p.min_samples_leaf as number,
    minChildWeight: 1e-3,
    l2: p.l2_regularization as number,
    minGain: 0,
    randomThresholds: false,
    featuresPerNode: F,
    featureAllowed,
    categoricalSplits: p.categorical_splits as boolean,
  };
}

/** Each round's row sample (subsample) and column subset (colsample). */
export class RoundSampler {
  readonly sampleCount: number;
  readonly colCount: number;
  readonly featureAllowed: Uint8Array | undefined;

  constructor(p: Params, private readonly n: number, private readonly F: number, private readonly rng: Random) {
    this.sampleCount = Math.max(2, Math.round((p.subsample as number) * n));
    this.colCount = Math.max(1, Math.round((p.colsample as number) * F));
    this.featureAllowed = this.colCount < F ? new Uint8Array(F) : undefined;
  }

  /** Draws the round's rows into index[0..count) and its columns; returns count. */
  draw(index: Int32Array): number {
    const { n, F, rng, sampleCount } = this;
    if (sampleCount < n) {
      // Partial Fisher-Yates: the first sampleCount entries become a uniform sample.
      for (let a = 0; a < sampleCount; a++) {
        const b = a + Math.floor(rng.next() * (n - a));
        const t = index[a];
        index[a] = index[b];
        index[b] = t;
      }
    }
    if (this.featureAllowed) {
      this.featureAllowed.fill(0);
      const perm = rng.permutation(F);
      for (let k = 0; k < this.colCount; k++) this.featureAllowed[perm[k]] = 1;
    }
    return Math.min(sampleCount, n);
  }
}

function validateParams(p: Params): void {
  if (!(String(p.loss) in LOSSES)) throw new UserError(`${KIND}: loss: expected one of ${Object.keys(LOSSES).join(', ')}, got '${p.loss}'`);
  validateBoostingParams(KIND, p);
}

/** The parameters the regressor and the classifier share. */
export function validateBoostingParams(KIND: string, p: Params): void {
  numberIn(KIND, p, 'learning_rate', 0, 10, true);
  positiveInt(KIND, p, 'max_iter', 0);
  positiveInt(KIND, p, 'max_leaf_nodes', 2);
  positiveInt(KIND, p, 'max_depth', 0);
  positiveInt(KIND, p, 'min_samples_leaf', 1);
  numberIn(KIND, p, 'l2_regularization', 0, Infinity);
  const bins = positiveInt(KIND, p, 'max_bins', 2);
  if (bins > 255) throw new UserError(`${KIND}: max_bins: expected an integer in [2, 255], got ${bins}`);
  numberIn(KIND, p, 'subsample', 0, 1, true);
  numberIn(KIND, p, 'colsample', 0, 1, true);
  if (!['auto', 'on', 'off'].includes(String(p.early_stopping))) {
    throw new UserError(`${KIND}: early_stopping: expected auto, on or off, got '${p.early_stopping}'`);
  }
  numberIn(KIND, p, 'validation_fraction', 0, 1, true);
  positiveInt(KIND, p, 'n_iter_no_change', 1);
  numberIn(KIND, p, 'tol', 0, Infinity);
}

export const gbmFactory: LearnerFactory = {
  kind: KIND,
  defaults,
  space: {
    learning_rate: { type: 'loguniform', low: 0.01, high: 0.3 },
    max_leaf_nodes: { type: 'qrandint', low: 7, high: 127, q: 2 },
    min_samples_leaf: { type: 'qrandint', low: 2, high: 64, q: 2 },
    l2_regularization: { type: 'loguniform', low: 1e-6, high: 10 },
    subsample: { type: 'uniform', low: 0.5, high: 1 },
    colsample: { type: 'uniform', low: 0.5, high: 1 },
    max_bins: { type: 'choice', values: [63, 127, 255] },
  },
  budgetParam: 'max_iter',
  create: (params) => new GradientBoosting(resolveParams(KIND, defaults, params)),
  fromJSON: (json) => GradientBoosting.restore(resolveParams(KIND, defaults, json.params), json.state as GbmState),
};
