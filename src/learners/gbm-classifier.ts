/**
 * Histogram gradient boosting for classification (scikit-learn's HistGradientBoostingClassifier):
 * binary log loss with one tree per round, or the softmax loss with one tree per class per round.
 * Boosted by the one `Booster` (booster.ts) with one score column per tree of a round.
 */
import { Random } from '../runtime/random.js';
import type { Matrix, Params } from './learner.js';
import { classCount, classPrior, type ClassFitOptions, type Classifier, type ClassifierFactory } from './classifier.js';
import { classBoostingLoss, type ClassBoostingLoss } from './class-losses.js';
import { Booster, boostRounds, earlyStoppingData, validateBoostingParams, type BoostObjective } from './booster.js';
import { gbmFactory } from './gbm.js';
import type { TreeJSON } from './tree.js';
import { TreeEnsemble, type BoostedState } from './tree-ensemble.js';
import { checkFitInputs, checkPredictInputs, notFitted, resolveParams } from './validate.js';

const KIND = 'gbm';

const { loss: _loss, ...defaults } = gbmFactory.defaults;

interface GbmClassifierState extends BoostedState {
  classes: number;
  /** Raw score columns: 1 (binary) or K. */
  width: number;
  baseline: number[];
  /** Round-major: round r, score column c at r * width + c (models saved before format 2; read only). */
  trees?: TreeJSON[];
}

export class GradientBoostingClassifier extends TreeEnsemble<GbmClassifierState> implements Classifier {
  readonly kind = KIND;

  constructor(readonly params: Params) {
    super();
    validateBoostingParams(KIND, params);
  }

  get classes(): number {
    return this.state?.classes ?? 0;
  }

  get rounds(): number {
    return this.state ? this.treeTotal / this.state.width : 0;
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

    const booster = Booster.start(p, X, classObjective(loss, y, w, K), options.seed, rng);
    const valRows = valX ? new Float64Array(valX.rows * W) : undefined;
    const validation = valX
      ? { X: valX, loss: (cols: Float64Array[]) => loss.loss(valY!, interleave(cols, valRows!), undefined) }
      : undefined;
    const { rounds, validationLoss, stoppedEarly } = boostRounds(booster, p, options.deadlineMs, validation);
    this.trees = booster.trees.slice(0, rounds * W);
    this.state = {
      features: X.columns.length,
      names: X.names.slice(),
      classes: K,
      width: W,
      baseline: booster.baseline,
      trees: [],
      importance: Array.from(booster.importance),
      validationLoss,
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
      this.addPrediction(X, out, 1, c, W);
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

  static restore(params: Params, state: GbmClassifierState): GradientBoostingClassifier {
    return new GradientBoostingClassifier(params).restoreTrees(state);
  }
}

/** A classification loss as a boosting objective: each round's probabilities from all score columns, then one tree per column on them. */
function classObjective(
  loss: ClassBoostingLoss,
  y: Float64Array,
  w: Float64Array | undefined,
  K: number,
): BoostObjective {
  const W = loss.width;
  const rawRows = new Float64Array(y.length * W);
  let proba: Float64Array = new Float64Array(0);
  return {
    width: W,
    baseline: loss.baseline(classPrior(y, w, K)),
    beginRound(raw) {
      proba = loss.proba(interleave(raw, rawRows));
    },
    gradients: (c, _raw, grad, hess) => loss.gradients(y, proba, W === 1 ? 1 : c, w, grad, hess),
  };
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
  fromJSON: (json) =>
    GradientBoostingClassifier.restore(resolveParams(KIND, defaults, json.params), json.state as GbmClassifierState),
};
