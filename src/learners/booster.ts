/**
 * Histogram gradient boosting with K score columns, for the regressor (one column) and the
 * classifier (one column for binary log loss, K for softmax) alike: features binned once, one
 * Grower (its histogram pool and row buffers) for every tree, each round's row and column sample
 * drawn once, then one leaf-wise tree per column on the gradients of the same raw scores.
 * The loss enters through a `BoostObjective`; `boostRounds` is the one boosting loop (deadline,
 * early stopping on a validation set).
 */
import { Random } from '../runtime/random.js';
import { UserError } from '../runtime/errors.js';
import type { FitOptions, Matrix, Params } from './learner.js';
import { applyBinning, fitBinning, type BinnedData } from './binning.js';
import { Grower, type LeafValue } from './grower.js';
import type { GrowParams } from './splitting.js';
import { holdOutValidation } from './preprocess.js';
import {
  addTreePrediction,
  addTreePredictionBinned,
  treeFromJSON,
  treeToJSON,
  type FlatTree,
  type TreeJSON,
} from './tree.js';
import { numberIn, positiveInt } from './validate.js';

/** What a loss gives the booster. */
export interface BoostObjective {
  /** Raw score columns (trees per round). */
  width: number;
  /** The starting raw score of each column. */
  baseline: ArrayLike<number>;
  /** Once per round, before its trees: e.g. the class probabilities of the current scores. */
  beginRound(raw: Float64Array[]): void;
  /** Gradients and hessians of column c's tree. */
  gradients(c: number, raw: Float64Array[], grad: Float64Array, hess: Float64Array): void;
  /** Leaf values other than -lr G / (H + l2) (median losses): given the booster's row index. */
  leafValue?(index: Int32Array): LeafValue;
}

/** A booster's state between rounds, for checkpoints: with the same X, y, weights, params and seed, `Booster.resume` continues it exactly. */
export interface BoosterState {
  trees: TreeJSON[];
  importance: Float64Array;
  /** Raw predictions on the training rows after the last round (column after column). */
  raw: Float64Array;
  /** Row order the grower left (the next round's histograms sum in this order). */
  index: Int32Array;
  rng: number[];
}

/**
 * Boosting one round at a time. The state it carries between rounds (raw scores, the row order,
 * the generator) is all `state()` returns, so training continued from a checkpoint grows the same
 * trees as training straight through.
 */
export class Booster {
  /** Round-major: round r, column c at r * width + c. */
  readonly trees: FlatTree[] = [];
  readonly width: number;
  readonly baseline: number[];
  readonly importance: Float64Array;
  private readonly raw: Float64Array[];
  private readonly index: Int32Array;
  private readonly grad: Float64Array;
  private readonly hess: Float64Array;
  private readonly data: BinnedData;
  private readonly grower: Grower;
  private readonly growParams: GrowParams;
  private readonly leafValue: LeafValue;
  private readonly sampler: RoundSampler;

  private constructor(
    p: Params,
    X: Matrix,
    private readonly objective: BoostObjective,
    seed: number,
    private readonly rng: Random,
  ) {
    const n = X.rows;
    const F = X.columns.length;
    const binning = fitBinning(X, p.max_bins as number, seed);
    this.data = applyBinning(X, binning);
    this.grower = new Grower(this.data);
    this.width = objective.width;
    this.baseline = Array.from(objective.baseline);
    this.raw = this.baseline.map((b) => new Float64Array(n).fill(b));
    this.grad = new Float64Array(n);
    this.hess = new Float64Array(n);
    this.index = new Int32Array(n);
    for (let i = 0; i < n; i++) this.index[i] = i;
    this.importance = new Float64Array(F);
    const lr = p.learning_rate as number;
    const l2 = p.l2_regularization as number;
    this.sampler = new RoundSampler(p, n, F, rng);
    this.growParams = boostingGrowParams(p, F, this.sampler.featureAllowed);
    this.leafValue = objective.leafValue?.(this.index) ?? ((G: number, H: number) => (-lr * G) / (H + l2));
  }

  /** A fresh booster; `rng` drives the row and column subsampling. */
  static start(params: Params, X: Matrix, objective: BoostObjective, seed: number, rng: Random): Booster {
    return new Booster(params, X, objective, seed, rng);
  }

  /** A booster continuing from `state()` of one built with the same inputs. */
  static resume(
    kind: string,
    params: Params,
    X: Matrix,
    objective: BoostObjective,
    seed: number,
    state: BoosterState,
  ): Booster {
    const W = objective.width;
    if (
      state.raw.length !== X.rows * W ||
      state.index.length !== X.rows ||
      state.importance.length !== X.columns.length
    ) {
      throw new UserError(
        `${kind}: checkpoint: expected state for ${X.rows} rows and ${X.columns.length} features, got ${state.raw.length / W} rows and ${state.importance.length} features`,
      );
    }
    const b = new Booster(params, X, objective, seed, Random.fromState(state.rng));
    b.raw.forEach((col, c) => col.set(state.raw.subarray(c * X.rows, (c + 1) * X.rows)));
    b.index.set(state.index);
    b.importance.set(state.importance);
    for (const t of state.trees) b.trees.push(treeFromJSON(t));
    return b;
  }

  get rounds(): number {
    return this.trees.length / this.width;
  }

  state(): BoosterState {
    const n = this.index.length;
    const raw = new Float64Array(n * this.width);
    this.raw.forEach((col, c) => raw.set(col, c * n));
    return {
      trees: this.trees.map(treeToJSON),
      importance: this.importance.slice(),
      raw,
      index: this.index.slice(),
      rng: this.rng.getState(),
    };
  }

  /** One boosting round: returns its trees, one per column. */
  grow(): FlatTree[] {
    const { raw, grad, hess, index, objective } = this;
    const n = index.length;
    const F = this.importance.length;
    objective.beginRound(raw);
    const count = this.sampler.draw(index);
    const trees: FlatTree[] = [];
    for (let c = 0; c < this.width; c++) {
      objective.gradients(c, raw, grad, hess);
      const grown = this.grower.grow(grad, hess, index, count, this.growParams, this.leafValue, this.importance);
      const tree = grown.tree;
      const col = raw[c];
      for (let l = 0; l < grown.leafNodes.length; l++) {
        const v = tree.value[grown.leafNodes[l]];
        for (let k = grown.leafStart[l]; k < grown.leafEnd[l]; k++) col[index[k]] += v;
      }
      if (count < n)
        addTreePredictionBinned(tree, this.data.codes, F, this.data.binning.nBins, index.subarray(count), col);
      this.trees.push(tree);
      trees.push(tree);
    }
    return trees;
  }
}

/** Early stopping's validation set: its rows and the loss of raw score columns on them. */
export interface BoostValidation {
  X: Matrix;
  loss(cols: Float64Array[]): number;
}

/**
 * The boosting loop: up to max_iter rounds or the deadline; with a validation set, stops after
 * n_iter_no_change rounds without a gain of tol and keeps the rounds up to the best.
 */
export function boostRounds(
  booster: Booster,
  p: Params,
  deadlineMs: number | undefined,
  validation?: BoostValidation,
): { rounds: number; validationLoss?: number[]; stoppedEarly: boolean } {
  const valCols = validation ? booster.baseline.map((b) => new Float64Array(validation.X.rows).fill(b)) : undefined;
  const valLoss: number[] = [];
  const patience = p.n_iter_no_change as number;
  const tol = p.tol as number;
  let bestRound = 0;
  let bestLoss = validation ? validation.loss(valCols!) : Infinity;
  let stoppedEarly = false;
  const maxIter = p.max_iter as number;
  for (let round = 0; round < maxIter; round++) {
    if (deadlineMs !== undefined && performance.now() > deadlineMs) break;
    const trees = booster.grow();
    if (!validation) continue;
    trees.forEach((tree, c) => addTreePrediction(tree, validation.X, valCols![c]));
    const current = validation.loss(valCols!);
    valLoss.push(current);
    if (current < bestLoss - tol) {
      bestLoss = current;
      bestRound = round + 1;
    } else if (round + 1 - bestRound >= patience) {
      stoppedEarly = true;
      break;
    }
  }
  if (!validation) return { rounds: booster.rounds, stoppedEarly };
  return { rounds: bestRound, validationLoss: valLoss.slice(0, bestRound), stoppedEarly };
}

/** Early stopping data: the given validation set, or a held-out fraction of the training rows (or none). */
export function earlyStoppingData(
  kind: string,
  p: Params,
  X: Matrix,
  y: Float64Array,
  w: Float64Array | undefined,
  options: FitOptions,
  rng: Random,
): { X: Matrix; y: Float64Array; weight?: Float64Array; valX?: Matrix; valY?: Float64Array } {
  const mode = p.early_stopping as string;
  if (mode !== 'off' && options.validation)
    return { X, y, weight: w, valX: options.validation.X, valY: options.validation.y };
  if (mode === 'on' || (mode === 'auto' && X.rows > 10_000)) {
    const nVal = Math.max(1, Math.floor((p.validation_fraction as number) * X.rows));
    if (X.rows - nVal < 2)
      throw new UserError(`${kind}: early_stopping: too few rows (${X.rows}) to hold out a validation fraction`);
    return holdOutValidation(X, y, w, p.validation_fraction as number, rng);
  }
  return { X, y, weight: w };
}

/** The grower settings of a boosting round (leaf-wise, second-order gain). */
function boostingGrowParams(p: Params, F: number, featureAllowed: Uint8Array | undefined): GrowParams {
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

  constructor(
    p: Params,
    private readonly n: number,
    private readonly F: number,
    private readonly rng: Random,
  ) {
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
