/**
 * What the tree-ensemble learners (boosting and forests, regressors and classifiers) share: their
 * trees, the per-feature importance, and the saved form (the trees packed by tree-pack.ts; models
 * saved before format 2 hold them as JSON, read only).
 */
import { normalizedImportance, type Params } from './learner.js';
import type { SparseLeaves } from './class-tree.js';
import { addTreesPrediction, treeFromJSON, type FlatTree, type TreeJSON } from './tree.js';
import { packTrees, unpackTrees, type TreePack } from './tree-pack.js';
import { PackedTrees } from './packed-trees.js';
import type { Matrix } from './learner.js';
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
  /** A loaded model's trees, predicted from their pack (no FlatTrees: `trees` stays empty). */
  protected packed?: PackedTrees;
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
      state: { ...rest, pack: this.packed?.pack ?? packTrees(this.trees, this.leaves) } as unknown,
    };
  }

  /** How many trees the model has. */
  protected get treeTotal(): number {
    return this.packed ? this.packed.count : this.trees.length;
  }

  /** Adds scale * the sum of trees first, first + step, ... to out[i] for every row of X. */
  protected addPrediction(X: Matrix, out: Float64Array, scale = 1, first = 0, step = 1): void {
    if (this.packed) this.packed.addValues(X, out, scale, first, step);
    else
      addTreesPrediction(
        step === 1 && first === 0 ? this.trees : this.trees.filter((_, t) => t % step === first),
        X,
        out,
        scale,
      );
  }

  /** A pack of preorder trees loads as PackedTrees; older packs and per-tree JSON unpack to FlatTrees. */
  protected static packedOf(pack: TreePack | undefined): PackedTrees | undefined {
    return pack && pack.left === undefined ? new PackedTrees(pack) : undefined;
  }

  /** Sets the state and the trees of a saved model whose trees are regression trees. */
  protected restoreTrees(state: S): this {
    const { trees, pack, ...rest } = state;
    this.state = rest as S;
    this.packed = TreeEnsemble.packedOf(pack);
    if (this.packed) this.trees = [];
    else this.trees = pack ? unpackTrees(pack).trees : ((trees ?? []) as TreeJSON[]).map(treeFromJSON);
    return this;
  }
}
