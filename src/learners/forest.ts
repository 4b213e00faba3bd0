/**
 * Random forest and extra trees on binned data, with scikit-learn's defaults (RandomForestRegressor,
 * ExtraTreesRegressor): fully grown trees on bootstrap samples (forest) or on all rows with random
 * thresholds (extra trees), averaged. Trees train in worker threads when the forest is big enough
 * for that to pay; the result does not depend on the number of threads.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UserError } from '../runtime/errors.js';
import type { FitOptions, Learner, LearnerFactory, Matrix, Params } from './learner.js';
import { applyBinning, fitBinning } from './binning.js';
import { trainTrees, type ForestJob, type ForestShare } from './forest-train.js';
import type { FlatTree, TreeJSON } from './tree.js';
import type { TreePack } from './tree-pack.js';
import { TreeEnsemble } from './tree-ensemble.js';
import { checkFitInputs, checkPredictInputs, notFitted, numberIn, positiveInt, resolveParams } from './validate.js';

interface ForestState {
  features: number;
  names: string[];
  /** Models saved before format 2 (read only). */
  trees?: TreeJSON[];
  pack?: TreePack;
  importance: number[];
}

/** Below this much work (trees x rows x features) worker start-up costs more than it saves. */
const PARALLEL_WORK_THRESHOLD = 4_000_000;

export class Forest extends TreeEnsemble<ForestState> implements Learner {
  constructor(
    readonly kind: string,
    readonly params: Params,
    private readonly extra: boolean,
  ) {
    super();
    validateParams(kind, params);
  }

  async fit(X: Matrix, y: Float64Array, options: FitOptions): Promise<void> {
    this.trees = [];
    this.state = undefined;
    await this.growTo(X, y, options, this.params.n_estimators as number);
  }

  /**
   * Adds trees until the forest has `total` (fewer if the deadline stops it). Tree t's randomness
   * depends only on (seed, t), so a forest grown in steps equals one grown at once.
   */
  async growTo(X: Matrix, y: Float64Array, options: FitOptions, total: number): Promise<void> {
    checkFitInputs(this.kind, X, y, options);
    const p = this.params;
    const n = X.rows;
    const F = X.columns.length;
    if (this.state && this.state.features !== F)
      throw new UserError(
        `${this.kind}: expected ${this.state.features} feature columns (as in the trees so far), got ${F}`,
      );
    const start = this.trees.length;
    if (total <= start) return;
    const binning = fitBinning(X, p.max_bins as number, options.seed);
    const threads = this.threadCount(options, n, F, total - start);
    // Workers share the bin codes instead of copying them.
    const codes = new Uint8Array(threads > 1 ? new SharedArrayBuffer(n * F) : new ArrayBuffer(n * F));
    applyBinning(X, binning, codes);
    const maxDepth = p.max_depth as number;
    const job: ForestJob = {
      rows: n,
      features: F,
      codes,
      binning,
      y,
      weight: options.sampleWeight,
      seed: options.seed,
      deadlineEpochMs: options.deadlineMs === undefined ? undefined : performance.timeOrigin + options.deadlineMs,
      params: {
        bootstrap: p.bootstrap as boolean,
        maxSamples: p.max_samples as number,
        maxDepth: maxDepth > 0 ? maxDepth : Infinity,
        minSamplesLeaf: p.min_samples_leaf as number,
        minSamplesSplit: p.min_samples_split as number,
        featuresPerNode: Math.max(1, Math.floor((p.max_features as number) * F)),
        randomThresholds: this.extra,
      },
    };
    const ids = Array.from({ length: total - start }, (_, k) => start + k);
    const shares: number[][] = Array.from({ length: threads }, () => []);
    ids.forEach((t, k) => shares[k % threads].push(t));
    const results = await runShares(job, shares);
    const grown: FlatTree[] = new Array(total - start);
    const importance = Float64Array.from(this.state?.importance ?? new Array(F).fill(0));
    results.forEach((share, s) => {
      share.trees.forEach((tree, k) => (grown[shares[s][k] - start] = tree));
      for (let f = 0; f < F; f++) importance[f] += share.importance[f];
    });
    // A deadline may leave gaps (trees not started in time).
    this.trees.push(...grown.filter((t) => t !== undefined));
    this.state = { features: F, names: X.names.slice(), trees: [], importance: Array.from(importance) };
  }

  private threadCount(options: FitOptions, rows: number, features: number, total: number): number {
    const requested = (this.params.n_jobs as number) || options.threads || availableParallelism();
    if (requested <= 1 || total < 2 || total * rows * features < PARALLEL_WORK_THRESHOLD) return 1;
    return Math.min(requested, total);
  }

  get treeCount(): number {
    return this.treeTotal;
  }

  /** The trees so far, in id order. */
  get treeList(): readonly FlatTree[] {
    return this.trees;
  }

  /** Total impurity decrease per feature so far (not normalized). */
  get importance(): readonly number[] {
    return this.state?.importance ?? [];
  }

  predict(X: Matrix): Float64Array {
    const s = this.state;
    if (!s) throw notFitted(this.kind);
    checkPredictInputs(this.kind, X, s.features);
    const out = new Float64Array(X.rows);
    this.addPrediction(X, out, 1 / Math.max(1, this.treeTotal));
    return out;
  }

  restore(state: ForestState): this {
    return this.restoreTrees(state);
  }
}

/** Share 0 trains on this thread while the others train in workers. */
async function runShares(job: ForestJob, shares: number[][]): Promise<ForestShare[]> {
  if (shares.length === 1) return [trainTrees(job, shares[0])];
  const workers = shares.slice(1).map(
    (treeIds) =>
      new Promise<ForestShare>((resolve, reject) => {
        const worker = new Worker(new URL('./forest-worker.js', import.meta.url), { workerData: { job, treeIds } });
        worker.once('message', (share: ForestShare) => {
          resolve(share);
          void worker.terminate();
        });
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`forest worker exited with code ${code}`));
        });
      }),
  );
  const local = trainTrees(job, shares[0]);
  return [local, ...(await Promise.all(workers))];
}

function validateParams(kind: string, p: Params): void {
  positiveInt(kind, p, 'n_estimators', 1);
  positiveInt(kind, p, 'max_depth', 0);
  positiveInt(kind, p, 'min_samples_leaf', 1);
  positiveInt(kind, p, 'min_samples_split', 2);
  numberIn(kind, p, 'max_features', 0, 1, true);
  numberIn(kind, p, 'max_samples', 0, 1, true);
  const bins = positiveInt(kind, p, 'max_bins', 2);
  if (bins > 255) throw new UserError(`${kind}: max_bins: expected an integer in [2, 255], got ${bins}`);
  positiveInt(kind, p, 'n_jobs', 0);
}

function forestFactory(kind: string, extra: boolean): LearnerFactory {
  const defaults: Params = {
    n_estimators: 100,
    /** 0 = grow until leaves are pure or min_samples_* stop it. */
    max_depth: 0,
    min_samples_leaf: 1,
    min_samples_split: 2,
    /** Fraction of the features drawn at each split. */
    max_features: 1,
    bootstrap: !extra,
    /** Bootstrap sample size as a fraction of the rows. */
    max_samples: 1,
    max_bins: 255,
    /** Threads: 0 = FitOptions.threads or all cores. */
    n_jobs: 0,
  };
  return {
    kind,
    defaults,
    space: {
      max_features: { type: 'uniform', low: 0.2, high: 1 },
      min_samples_leaf: { type: 'randint', low: 1, high: 16 },
      max_depth: { type: 'choice', values: [0, 8, 12, 16, 24] },
      max_samples: { type: 'uniform', low: 0.5, high: 1 },
    },
    budgetParam: 'n_estimators',
    create: (params) => new Forest(kind, resolveParams(kind, defaults, params), extra),
    fromJSON: (json) =>
      new Forest(kind, resolveParams(kind, defaults, json.params), extra).restore(json.state as ForestState),
  };
}

export const randomForestFactory = forestFactory('random_forest', false);
export const extraTreesFactory = forestFactory('extra_trees', true);
