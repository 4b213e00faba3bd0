/**
 * Histogram gradient boosting (LightGBM-style), with defaults matching scikit-learn's
 * HistGradientBoostingRegressor: features binned once, one leaf-wise histogram tree per round,
 * optional row/column subsampling and early stopping on a validation set.
 */
import { Random } from '../runtime/random.js';
import { UserError } from '../runtime/errors.js';
import type { FitOptions, Learner, LearnerFactory, Matrix, Params } from './learner.js';
import { Booster, boostRounds, earlyStoppingData, validateBoostingParams, type BoostObjective } from './booster.js';
import { LOSSES, weightedMedian } from './losses.js';
import type { TreeJSON } from './tree.js';
import { TreeEnsemble, type BoostedState } from './tree-ensemble.js';
import { checkFitInputs, checkPredictInputs, notFitted, resolveParams } from './validate.js';

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

interface GbmState extends BoostedState {
  baseline: number;
  /** Models saved before format 2: one TreeJSON per tree (read only). */
  trees?: TreeJSON[];
}

export class GradientBoosting extends TreeEnsemble<GbmState> implements Learner {
  readonly kind = KIND;

  constructor(readonly params: Params) {
    super();
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

    const booster = Booster.start(p, X, regressionObjective(p, y, w), options.seed, rng);
    const validation = valX
      ? { X: valX, loss: (cols: Float64Array[]) => loss.loss(valY!, cols[0], undefined) }
      : undefined;
    const { rounds, validationLoss, stoppedEarly } = boostRounds(booster, p, options.deadlineMs, validation);
    this.trees = booster.trees.slice(0, rounds);
    this.state = {
      features: X.columns.length,
      names: X.names.slice(),
      baseline: booster.baseline[0],
      trees: [],
      importance: Array.from(booster.importance),
      validationLoss,
      stoppedEarly,
    };
  }

  /** Number of boosting rounds kept. */
  get rounds(): number {
    return this.treeTotal;
  }

  get stoppedEarly(): boolean {
    return this.state?.stoppedEarly ?? false;
  }

  predictRaw(X: Matrix): Float64Array {
    const s = this.state;
    if (!s) throw notFitted(KIND);
    checkPredictInputs(KIND, X, s.features);
    const out = new Float64Array(X.rows).fill(s.baseline);
    this.addPrediction(X, out);
    return out;
  }

  predict(X: Matrix): Float64Array {
    const raw = this.predictRaw(X);
    const loss = LOSSES[this.params.loss as string];
    if (loss.inverseLink(1) !== 1) for (let i = 0; i < raw.length; i++) raw[i] = loss.inverseLink(raw[i]);
    return raw;
  }

  /** The model a booster has grown so far (all its rounds). */
  static fromBooster(params: Params, booster: Booster, names: string[]): GradientBoosting {
    const model = new GradientBoosting(params);
    model.trees = booster.trees.slice();
    model.state = {
      features: names.length,
      names: names.slice(),
      baseline: booster.baseline[0],
      trees: [],
      importance: Array.from(booster.importance),
      stoppedEarly: false,
    };
    return model;
  }

  static restore(params: Params, state: GbmState): GradientBoosting {
    return new GradientBoosting(params).restoreTrees(state);
  }
}

/** The regression losses as a boosting objective: one score column; median losses (absolute error) set leaves to the median residual. */
export function regressionObjective(p: Params, y: Float64Array, w: Float64Array | undefined): BoostObjective {
  const loss = LOSSES[p.loss as string];
  const residual = new Float64Array(loss.medianLeaves ? y.length : 0);
  const lr = p.learning_rate as number;
  return {
    width: 1,
    baseline: [loss.baseline(y, w)],
    beginRound(raw) {
      if (loss.medianLeaves) for (let i = 0; i < y.length; i++) residual[i] = y[i] - raw[0][i];
    },
    gradients: (_c, raw, grad, hess) => loss.gradients(y, raw[0], w, grad, hess),
    leafValue: loss.medianLeaves
      ? (index) => (_G: number, _H: number, start: number, end: number) => {
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
      : undefined,
  };
}

function validateParams(p: Params): void {
  if (!(String(p.loss) in LOSSES))
    throw new UserError(`${KIND}: loss: expected one of ${Object.keys(LOSSES).join(', ')}, got '${p.loss}'`);
  validateBoostingParams(KIND, p);
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
