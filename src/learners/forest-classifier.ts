/**
 * Random forest and extra-trees classifiers (scikit-learn's RandomForestClassifier and
 * ExtraTreesClassifier): fully grown gini or entropy trees (class-tree.ts) on bootstrap samples
 * (forest) or all rows with random thresholds (extra trees), max_features 'sqrt' by default; the
 * probabilities are the mean of the leaves' class frequencies, as in scikit-learn. Those are not
 * calibrated (fully grown trees vote 0/1); the AutoML trial calibrates them (calibration.ts).
 * Trees train on one thread (the AutoML search runs trials in parallel).
 */
import { UserError } from '../runtime/errors.js';
import type { Matrix, Params } from './learner.js';
import { applyBinning, fitBinning } from './binning.js';
import { argmaxRows, classCount, type ClassFitOptions, type Classifier, type ClassifierFactory } from './classifier.js';
import { ClassTreeGrower, type Criterion, type SparseLeaves } from './class-tree.js';
import { treeRandom } from './forest-train.js';
import { addTreePrediction, type FlatTree } from './tree.js';
import { classTreeFromJSON, type ClassTreeJSON } from './class-tree-json.js';
import { unpackTrees, type TreePack } from './tree-pack.js';
import { TreeEnsemble } from './tree-ensemble.js';
import { checkFitInputs, checkPredictInputs, notFitted, numberIn, positiveInt, resolveParams } from './validate.js';

interface ForestClassifierState {
  features: number;
  names: string[];
  classes: number;
  /** Per tree, with its leaves' class frequencies (class-tree-json.ts): models saved before format 2 (read only). */
  trees?: ClassTreeJSON[];
  /** The trees and their leaves, packed (tree-pack.ts). */
  pack?: TreePack;
  importance: number[];
}

/** max_features: 'sqrt', 'log2', or a fraction of the features in (0, 1]. */
function featuresPerNode(kind: string, value: string, F: number): number {
  if (value === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(F)));
  if (value === 'log2') return Math.max(1, Math.floor(Math.log2(F)));
  const f = Number(value);
  if (!(f > 0 && f <= 1))
    throw new UserError(`${kind}: max_features: expected 'sqrt', 'log2' or a fraction in (0, 1], got '${value}'`);
  return Math.max(1, Math.floor(f * F));
}

class ForestClassifier extends TreeEnsemble<ForestClassifierState> implements Classifier {
  protected leaves: SparseLeaves[] = [];

  constructor(
    readonly kind: string,
    readonly params: Params,
    private readonly extra: boolean,
  ) {
    super();
    positiveInt(kind, params, 'n_estimators', 1);
    positiveInt(kind, params, 'max_depth', 0);
    positiveInt(kind, params, 'min_samples_leaf', 1);
    positiveInt(kind, params, 'min_samples_split', 2);
    numberIn(kind, params, 'max_samples', 0, 1, true);
    const bins = positiveInt(kind, params, 'max_bins', 2);
    if (bins > 255) throw new UserError(`${kind}: max_bins: expected an integer in [2, 255], got ${bins}`);
    if (!['gini', 'entropy'].includes(String(params.criterion)))
      throw new UserError(`${kind}: criterion: expected gini or entropy, got '${params.criterion}'`);
    featuresPerNode(kind, String(params.max_features), 1);
  }

  get classes(): number {
    return this.state?.classes ?? 0;
  }

  get treeCount(): number {
    return this.treeTotal;
  }

  fit(X: Matrix, y: Float64Array, options: ClassFitOptions): void {
    checkFitInputs(this.kind, X, y, options);
    const K = classCount(this.kind, y, options.classes);
    const p = this.params;
    const n = X.rows;
    const F = X.columns.length;
    const binning = fitBinning(X, p.max_bins as number, options.seed);
    const data = applyBinning(X, binning);
    const grower = new ClassTreeGrower(data, K);
    const labels = Int32Array.from(y);
    const weight = new Float64Array(n);
    const index = new Int32Array(n);
    const importance = new Float64Array(F);
    const maxDepth = p.max_depth as number;
    const bootstrap = p.bootstrap as boolean;
    const draws = Math.max(1, Math.round((p.max_samples as number) * n));
    const sw = options.sampleWeight;
    const trees: FlatTree[] = [];
    const leaves: SparseLeaves[] = [];
    for (let t = 0; t < (p.n_estimators as number); t++) {
      if (t > 0 && options.deadlineMs !== undefined && performance.now() > options.deadlineMs) break;
      const rng = treeRandom(options.seed, t);
      weight.fill(0);
      if (bootstrap) for (let d = 0; d < draws; d++) weight[Math.floor(rng.next() * n)]++;
      else weight.fill(1);
      let count = 0;
      for (let i = 0; i < n; i++) {
        if (sw) weight[i] *= sw[i];
        if (weight[i] > 0) index[count++] = i;
      }
      const grown = grower.grow(
        labels,
        weight,
        index,
        count,
        {
          maxDepth: maxDepth > 0 ? maxDepth : Infinity,
          minSamplesLeaf: p.min_samples_leaf as number,
          minSamplesSplit: p.min_samples_split as number,
          featuresPerNode: featuresPerNode(this.kind, String(p.max_features), F),
          randomThresholds: this.extra,
          criterion: p.criterion as Criterion,
          rng,
        },
        importance,
      );
      trees.push(grown.tree);
      leaves.push(grown.leaves);
    }
    this.trees = trees;
    this.leaves = leaves;
    this.state = { features: F, names: X.names.slice(), classes: K, trees: [], importance: Array.from(importance) };
  }

  predictProba(X: Matrix): Float64Array {
    const s = this.state;
    if (!s) throw notFitted(this.kind);
    checkPredictInputs(this.kind, X, s.features);
    const K = s.classes;
    const out = new Float64Array(X.rows * K);
    if (this.packed) {
      this.packed.addClassFrequencies(X, out, K, 1 / Math.max(1, this.packed.count));
      return out;
    }
    const leaf = new Float64Array(X.rows);
    const scale = 1 / Math.max(1, this.trees.length);
    this.trees.forEach((tree, t) => {
      leaf.fill(0);
      addTreePrediction(tree, X, leaf);
      const { start, classes, probs } = this.leaves[t];
      for (let i = 0; i < X.rows; i++) {
        const l = leaf[i];
        for (let e = start[l]; e < start[l + 1]; e++) out[i * K + classes[e]] += scale * probs[e];
      }
    });
    return out;
  }

  predict(X: Matrix): Float64Array {
    return argmaxRows(this.predictProba(X), this.classes);
  }

  restore(state: ForestClassifierState): this {
    const { trees, pack, ...rest } = state;
    this.state = rest;
    this.packed = TreeEnsemble.packedOf(pack);
    if (this.packed) {
      this.trees = [];
      this.leaves = [];
    } else if (pack) {
      const unpacked = unpackTrees(pack);
      if (!unpacked.leaves) throw new Error(`${this.kind}: the saved trees have no class frequencies`);
      this.trees = unpacked.trees;
      this.leaves = unpacked.leaves;
    } else {
      const restored = (trees ?? []).map(classTreeFromJSON);
      this.trees = restored.map((r) => r.tree);
      this.leaves = restored.map((r) => r.leaves);
    }
    return this;
  }
}

function forestClassifierFactory(kind: string, extra: boolean): ClassifierFactory {
  const defaults: Params = {
    n_estimators: 100,
    criterion: 'gini',
    max_depth: 0,
    min_samples_leaf: 1,
    min_samples_split: 2,
    max_features: 'sqrt',
    bootstrap: !extra,
    max_samples: 1,
    max_bins: 255,
  };
  return {
    kind,
    defaults,
    space: {
      criterion: { type: 'choice', values: ['gini', 'entropy'] },
      max_features: { type: 'choice', values: ['sqrt', '0.2', '0.35', '0.5', '0.7'] },
      min_samples_leaf: { type: 'randint', low: 1, high: 6 },
      max_depth: { type: 'choice', values: [0, 0, 16, 24] },
    },
    budgetParam: 'n_estimators',
    create: (params) => new ForestClassifier(kind, resolveParams(kind, defaults, params), extra),
    fromJSON: (json) =>
      new ForestClassifier(kind, resolveParams(kind, defaults, json.params), extra).restore(
        json.state as ForestClassifierState,
      ),
  };
}

export const randomForestClassifierFactory = forestClassifierFactory('random_forest', false);
export const extraTreesClassifierFactory = forestClassifierFactory('extra_trees', true);
