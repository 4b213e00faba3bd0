/**
 * Histogram gradient boosting for classification (scikit-learn's HistGradientBoostingClassifier):
 * binary log loss with one tree per round, or the softmax loss with one tree per class per round.
 * The features are binned once and one Grower (its histogram pool and row buffers) serves every
 * class's tree; each round computes the class probabilities once, then grows the K trees on them.
 */
import { Random } from '../runtime/random.js';
import { normalizedImportance, type Matrix, type Params } from './learner.js';
import { applyBinning, fitBinning } from './binning.js';
import { classCount, classPrior, type ClassFitOptions, type Classifier, type ClassifierFactory } from './classifier.js';
import { classBoostingLoss } from './class-losses.js';
import { boostingGrowParams, earlyStoppingData, gbmFactory, RoundSampler, validateBoostingParams } from './gbm.js';
import { Grower } from './grower.js';
import { addTreePrediction, addTreePredictionBinned, addTreesPrediction, treeFromJSON, treeToJSON, type FlatTree, type TreeJSON } from './tree.js';
import { packTrees, unpackTrees, type TreePack } from './tree-pack.js';
import { checkFitInputs, checkPredictInputs, notFitted, resolveParams } from './validate.js';

const KIND = 'gbm';

const { loss: _loss, ...defaults } = gbmFactory.defaults;

interface GbmClassifierState {
  features: number;
  names: string[];
  classes: number;
  /** Raw score columns: 1 (binary) or K. */
  width: number;
  baseline: number[];
  /** Round-major: round r, score column c at r * width + c (models saved before format 2; read only). */
  trees?: TreeJSON[];
  /** The same trees, packed (tree-pack.ts). */
  pack?: TreePack;
  importance: number[];
  validationLoss?: number[];
  stoppedEarly: boolean;
}

export class GradientBoostingClassifier implements Classifier {
  readonly kind = KIND;
  private state?: GbmClassifierState;
  private trees: FlatTree[] = [];

  constructor(readonly params: Params) {
    validateBoostingParams(KIND, params);
  }

  get classes(): number {
    return this.state?.classes ?? 0;
  }

  get rounds(): number {
    return this.state ? this.trees.length / this.state.width : 0;
  }

  fit(X: Matrix, y: Float64Array, options: ClassFitOptions): void {
    checkFitInputs(KIND, X, y, options);
    const K = classCount(KIND, y, options.classes);
    const p = this.params;
    const loss = classBoostingLoss(K);
    const W = loss.width;
    const rng = new Random(options.seed);
    let w = options.sampleWeight;
    let valX: Matrix | undefined;
    let valY: Float64Array | undefined;
    ({ X, y, weight: w, valX, valY } = earlyStoppingData(KIND, p, X, y, w, options, rng));

    const n = X.rows;
    const F = X.columns.length;
    const binning = fitBinning(X, p.max_bins as number, options.seed);
    const data = applyBinning(X, binning);
    const grower = new Grower(data);
    const baseline = loss.baseline(classPrior(y, w, K));
    const rawCols = Array.from({ length: W }, (_, c) => new Float64Array(n).fill(baseline[c]));
    const rawRows = new Float64Array(n * W);
    const grad = new Float64Array(n);
    const hess = new Float64Array(n);
    const index = new Int32Array(n);
    for (let i = 0; i < n; i++) index[i] = i;
    const importance = new Float64Array(F);
    const lr = p.learning_rate as number;
    const l2 = p.l2_regularization as number;
    const sampler = new RoundSampler(p, n, F, rng);
    const growParams = boostingGrowParams(p, F, sampler.featureAllowed);
    const leafValue = (G: number, H: number) => (-lr * G) / (H + l2);

    const valCols = valX ? Array.from({ length: W }, (_, c) => new Float64Array(valX!.rows).fill(baseline[c])) : undefined;
    const valRows = valX ? new Float64Array(valX.rows * W) : undefined;
    const valLoss: number[] = [];
    const patience = p.n_iter_no_change as number;
    const tol = p.tol as number;
    let bestRound = 0;
    let bestLoss = valX ? loss.loss(valY!, interleave(valCols!, valRows!), undefined) : Infinity;
    let stoppedEarly = false;
    const trees: FlatTree[] = [];
    const maxIter = p.max_iter as number;

    for (let round = 0; round < maxIter; round++) {
      if (options.deadlineMs !== undefined && performance.now() > options.deadlineMs) break;
      const proba = loss.proba(interleave(rawCols, rawRows));
      const count = sampler.draw(index);
      // One tree per score column, all on this round's probabilities and row sample.
      for (let c = 0; c < W; c++) {
        loss.gradients(y, proba, W === 1 ? 1 : c, w, grad, hess);
        const grown = grower.grow(grad, hess, index, count, growParams, leafValue, importance);
        const tree = grown.tree;
        const raw = rawCols[c];
        for (let l = 0; l < grown.leafNodes.length; l++) {
          const v = tree.value[grown.leafNodes[l]];
          for (let k = grown.leafStart[l]; k < grown.leafEnd[l]; k++) raw[index[k]] += v;
        }
        if (count < n) addTreePredictionBinned(tree, data.codes, F, binning.nBins, index.subarray(count), raw);
        trees.push(tree);
        if (valX) addTreePrediction(tree, valX, valCols![c]);
      }
      if (valX) {
        const current = loss.loss(valY!, interleave(valCols!, valRows!), undefined);
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
    this.trees = valX ? trees.slice(0, bestRound * W) : trees;
    this.state = {
      features: F,
      names: X.names.slice(),
      classes: K,
      width: W,
      baseline: Array.from(baseline),
      trees: [],
      importance: Array.from(importance),
      validationLoss: valX ? valLoss.slice(0, bestRound) : undefined,
      stoppedEarly,
    };
  }

  /** Raw scores, row-major (n x width). */
  predictRaw(X: Matrix): Float64Array {
    const s = this.state;
    if (!s) throw notFitted(KIND);
    checkPredictInputs(KIND, X, s.features);
    const W = s.width;
    const cols = s.baseline.map((b, c) => {
      const out = new Float64Array(X.rows).fill(b);
      addTreesPrediction(this.trees.filter((_, t) => t % W === c), X, out);
      return out;
    });
    return interleave(cols, new Float64Array(X.rows * W));
  }

  predictProba(X: Matrix): Float64Array {
    return classBoostingLoss(this.classes).proba(this.predictRaw(X));
  }

  predict(X: Matrix): Float64Array {
    const proba = this.predictProba(X);
    const K = this.classes;
    return Float64Array.from({ length: X.rows }, (_, i) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (proba[i * K + k] > proba[i * K + best]) best = k;
      return best;
    });
  }

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

  static restore(params: Params, state: GbmClassifierState): GradientBoostingClassifier {
    const model = new GradientBoostingClassifier(params);
    const { trees, pack, ...rest } = state;
    model.state = rest;
    model.trees = pack ? unpackTrees(pack).trees : (trees ?? []).map(treeFromJSON);
    return model;
  }
}

/** Column arrays -> one row-major array (into `out`). */
function interleave(cols: Float64Array[], out: Float64Array): Float64Array {
  const W = cols.length;
  if (W === 1) {
    out.set(cols[0]);
    return out;
  }
  for (let c = 0; c < W; c++) {
    const col = cols[c];
    for (let i = 0; i < col.length; i++) out[i * W + c] = col[i];
  }
  return out;
}

export const gbmClassifierFactory: ClassifierFactory = {
  kind: KIND,
  defaults,
  space: gbmFactory.space,
  budgetParam: 'max_iter',
  create: (params) => new GradientBoostingClassifier(resolveParams(KIND, defaults, params)),
  fromJSON: (json) => GradientBoostingClassifier.restore(resolveParams(KIND, defaults, json.params), json.state as GbmClassifierState),
};
