/**
 * What the tree-ensemble learners (boosting and forests, regressors and classifiers) share: their
 * trees, the per-feature importance, and the saved form (the trees packed by tree-pack.ts; models
 * saved before format 2 hold them as JSON, read only).
 */
import { normalizedImportance, type Params } from './learner.js';
import type { SparseLeaves } from './class-tree.js';
import { treeFromJSON, type FlatTree, type TreeJSON } from './tree.js';
import { packTrees, unpackTrees, type TreePack } from './tree-pack.js';
import { notFitted } from './validate.js';

export interface EnsembleState {
  features: number;
  names: string[];
  /** Total split gain (impurity decrease) per feature, not normalized. */
  importance: number[];
  /** Models saved before format 2 (read only). */
  trees?: unknown[];
  pack?: TreePack;
}

/** A boosted ensemble's state: an ensemble's, and how early stopping went. */
export interface BoostedState extends EnsembleState {
  /** Validation loss after each kept round (when early stopping ran). */
  validationLoss?: number[];
  stoppedEarly: boolean;
}

export abstract class TreeEnsemble<S extends EnsembleState> {
  abstract readonly kind: string;
  abstract readonly params: Params;
  protected state?: S;
  protected trees: FlatTree[] = [];
  /** Classification trees' leaf class frequencies, saved beside the trees (forest classifiers). */
  protected leaves?: SparseLeaves[];

  /** Total split gain per feature, normalized to sum 1. */
  featureImportance(): Record<string, number> {
    const s = this.state;
    if (!s) throw notFitted(this.kind);
    return normalizedImportance(s.names, s.importance);
  }

  toJSON() {
    const s = this.state;
    if (!s) throw notFitted(this.kind);
    const { trees: _trees, ...rest } = s;
    return {
      kind: this.kind,
      params: this.params,
      state: { ...rest, pack: packTrees(this.trees, this.leaves) } as unknown,
    };
  }

  /** Sets the state and the trees of a saved model whose trees are regression trees. */
  protected restoreTrees(state: S): this {
    const { trees, pack, ...rest } = state;
    this.state = rest as S;
    this.trees = pack ? unpackTrees(pack).trees : ((trees ?? []) as TreeJSON[]).map(treeFromJSON);
    return this;
  }
}
