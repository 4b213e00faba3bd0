/**
 * A loaded model's trees, predicted from their pack (tree-pack.ts) without unpacking them into
 * FlatTrees: about 8 bytes per node (the pack's own feature bytes, a right-child or leaf number,
 * a threshold index and a flag byte) instead of ~45 for a FlatTree and its routing; prediction
 * takes ~20% more CPU than with FlatTrees (one more indirection per step). Nodes are in
 * preorder, so a split's left child is the next node. Predictions are identical to the unpacked
 * trees' (the same thresholds, the same Float32 leaves, added in the same order).
 */
import type { Matrix } from './learner.js';
import { BLOCK_ROWS, categoryBin, forRowBlocks } from './tree.js';
import { decodeUint, decodeFloat32, decodeFloat64, preorderRights, type TreePack, TREE_PACK } from './tree-pack.js';

const MISSING_RIGHT = 1;
const CATEGORICAL = 2;

export class PackedTrees {
  /** The pack it was built from (saved again as is). */
  readonly pack: TreePack;
  readonly count: number;
  /** Per tree: its root node. */
  private readonly root: Uint32Array;
  /** Per node: feature + 1, 0 for a leaf. */
  private readonly feature: Uint8Array | Uint16Array | Uint32Array;
  /** Per split: its right child; per leaf: its leaf number (counted over all trees). */
  private readonly next: Int32Array;
  /** Per split: its threshold's index in `cuts`. */
  private readonly cut: Uint16Array | Uint32Array;
  private readonly flags: Uint8Array;
  private readonly cuts: Float64Array;
  private readonly masks = new Map<number, Uint8Array>();
  /** Regression trees: per leaf its value. */
  private readonly value?: Float32Array;
  /** Classification trees: per leaf its entries start[l]..start[l + 1] of `classes` / `probs`. */
  private readonly start?: Int32Array;
  private readonly classes?: Uint8Array | Uint16Array | Uint32Array;
  private readonly probs?: Float32Array;

  constructor(pack: TreePack) {
    if (pack.encoding !== TREE_PACK) throw new Error(`unknown tree encoding '${String(pack.encoding)}'`);
    if (pack.left !== undefined) throw new Error('PackedTrees: packs written before preorder are unpacked instead');
    this.pack = pack;
    const nodes = decodeUint(pack.nodes, 4, pack.trees, 'nodes');
    this.count = pack.trees;
    this.root = new Uint32Array(this.count + 1);
    for (let t = 0; t < this.count; t++) this.root[t + 1] = this.root[t] + nodes[t];
    const total = this.root[this.count];
    this.feature = decodeUint(pack.feature, pack.featureBytes, total, 'feature');
    let splits = 0;
    for (let i = 0; i < total; i++) if (this.feature[i] > 0) splits++;
    const cutCounts = decodeUint(pack.cutCounts, 4, undefined, 'cutCounts');
    const cutStart = new Uint32Array(cutCounts.length + 1);
    for (let f = 0; f < cutCounts.length; f++) cutStart[f + 1] = cutStart[f] + cutCounts[f];
    // One more entry, NaN: categorical splits point at it, so the common step tests only its threshold.
    this.cuts = new Float64Array(cutStart[cutCounts.length] + 1);
    this.cuts.set(decodeFloat64(pack.cuts, cutStart[cutCounts.length], 'cuts'));
    this.cuts[this.cuts.length - 1] = NaN;
    const cutIn = decodeUint(pack.cut, pack.cutBytes, splits, 'cut');
    const missingBits = decodeUint(pack.missingLeft, 1, Math.ceil(splits / 8), 'missingLeft');
    this.cut = this.cuts.length < 65536 ? new Uint16Array(total) : new Uint32Array(total);
    this.next = new Int32Array(total);
    this.flags = new Uint8Array(total);
    let s = 0;
    let l = 0;
    for (let p = 0; p < total; p++) {
      const f = this.feature[p] - 1;
      if (f >= 0) {
        if (f >= cutCounts.length) throw new Error(`corrupt tree pack: feature ${f} has no thresholds`);
        this.cut[p] = cutStart[f] + cutIn[s];
        if (((missingBits[s >> 3] >> (s & 7)) & 1) === 0) this.flags[p] = MISSING_RIGHT;
        s++;
      } else this.next[p] = l++;
    }
    const stack: number[] = [];
    for (let t = 0; t < this.count; t++)
      preorderRights(this.feature, t, this.root[t], this.root[t + 1], this.next, 0, stack);
    for (const c of pack.categories ?? []) {
      const node = this.root[c.tree] + c.node;
      const mask = new Uint8Array(c.bins);
      for (const b of c.left) mask[b] = 1;
      this.masks.set(node, mask);
      this.flags[node] |= CATEGORICAL;
      this.cut[node] = this.cuts.length - 1;
    }
    if (pack.value !== undefined) {
      this.value = decodeFloat32(pack.value, l, 'value');
      return;
    }
    const counts = decodeUint(pack.leafCounts!, pack.countBytes ?? 1, l, 'leafCounts');
    this.start = new Int32Array(l + 1);
    for (let k = 0; k < l; k++) this.start[k + 1] = this.start[k] + counts[k];
    const entries = this.start[l];
    this.classes = decodeUint(pack.leafClasses!, pack.classBytes ?? 1, entries, 'leafClasses');
    const mixed = decodeFloat32(pack.leafProbs!, undefined, 'leafProbs');
    this.probs = new Float32Array(entries);
    let m = 0;
    for (let k = 0; k < l; k++) {
      const a = this.start[k];
      if (counts[k] === 1) this.probs[a] = 1;
      else for (let e = a; e < this.start[k + 1]; e++) this.probs[e] = mixed[m++];
    }
    if (m !== mixed.length) throw new Error('corrupt tree pack: leaf frequencies do not match the leaf class counts');
  }

  /** The node after split n for value x (a missing value, or a categorical split). */
  private slowStep(n: number, x: number): number {
    const flag = this.flags[n];
    let right: boolean;
    if (x !== x) right = (flag & MISSING_RIGHT) !== 0;
    else if (flag & CATEGORICAL) {
      const mask = this.masks.get(n)!;
      right = mask[categoryBin(x, mask.length)] !== 1;
    } else right = x > this.cuts[this.cut[n]];
    return right ? this.next[n] : n + 1;
  }

  /**
   * The leaf numbers rows r..r+3 of the row-major block reach in tree t (into `leaves`). Four walks
   * at once overlap in the CPU (one walk alone stalls on each dependent load), as tree.ts does; the
   * common step (a number, a threshold split) is branch-free: n + 1, or its right child.
   */
  private leaves4(t: number, buf: Float64Array, F: number, r: number, leaves: Int32Array): void {
    const { feature, next, cut, cuts } = this;
    const b0 = r * F - 1;
    const b1 = b0 + F;
    const b2 = b1 + F;
    const b3 = b2 + F;
    let n0 = this.root[t];
    let n1 = n0;
    let n2 = n0;
    let n3 = n0;
    for (;;) {
      const f0 = feature[n0];
      const f1 = feature[n1];
      const f2 = feature[n2];
      const f3 = feature[n3];
      if ((f0 | f1 | f2 | f3) === 0) break;
      if (f0 !== 0) {
        const x = buf[b0 + f0];
        const c = cuts[cut[n0]];
        if (c !== c || x !== x) n0 = this.slowStep(n0, x);
        else n0 += 1 + +(x > c) * (next[n0] - n0 - 1);
      }
      if (f1 !== 0) {
        const x = buf[b1 + f1];
        const c = cuts[cut[n1]];
        if (c !== c || x !== x) n1 = this.slowStep(n1, x);
        else n1 += 1 + +(x > c) * (next[n1] - n1 - 1);
      }
      if (f2 !== 0) {
        const x = buf[b2 + f2];
        const c = cuts[cut[n2]];
        if (c !== c || x !== x) n2 = this.slowStep(n2, x);
        else n2 += 1 + +(x > c) * (next[n2] - n2 - 1);
      }
      if (f3 !== 0) {
        const x = buf[b3 + f3];
        const c = cuts[cut[n3]];
        if (c !== c || x !== x) n3 = this.slowStep(n3, x);
        else n3 += 1 + +(x > c) * (next[n3] - n3 - 1);
      }
    }
    leaves[r] = next[n0];
    leaves[r + 1] = next[n1];
    leaves[r + 2] = next[n2];
    leaves[r + 3] = next[n3];
  }

  /** The leaf number row r of the row-major block reaches in tree t. */
  private leaf(t: number, buf: Float64Array, F: number, r: number): number {
    const { feature, next, cut, cuts } = this;
    const base = r * F - 1;
    let n = this.root[t];
    let f: number;
    while ((f = feature[n]) !== 0) {
      const x = buf[base + f];
      const c = cuts[cut[n]];
      if (c !== c || x !== x) n = this.slowStep(n, x);
      else n += 1 + +(x > c) * (next[n] - n - 1);
    }
    return next[n];
  }

  /** The leaf numbers of the block's m rows in tree t (into `leaves`). */
  private leavesOf(t: number, buf: Float64Array, F: number, m: number, leaves: Int32Array): void {
    let r = 0;
    for (; r + 4 <= m; r += 4) this.leaves4(t, buf, F, r, leaves);
    for (; r < m; r++) leaves[r] = this.leaf(t, buf, F, r);
  }

  /**
   * Adds scale * the sum of trees first, first + step, ... (regression leaves) to out[i] for every
   * row of X, tree by tree in order as addTreesPrediction does.
   */
  addValues(X: Matrix, out: Float64Array, scale = 1, first = 0, step = 1): void {
    const value = this.value;
    if (!value) throw new Error('PackedTrees: these trees have class leaves, not values');
    const leaves = new Int32Array(Math.min(BLOCK_ROWS, X.rows));
    forRowBlocks(X, ({ buf, F, m, start: offset }) => {
      for (let t = first; t < this.count; t += step) {
        this.leavesOf(t, buf, F, m, leaves);
        for (let r = 0; r < m; r++) out[offset + r] += value[leaves[r]] * scale;
      }
    });
  }

  /** Adds scale * each tree's leaf class frequencies to the row-major n x K `out`. */
  addClassFrequencies(X: Matrix, out: Float64Array, K: number, scale: number): void {
    const { start, classes, probs } = this;
    if (!start || !classes || !probs) throw new Error('PackedTrees: these trees have values, not class leaves');
    const leaves = new Int32Array(Math.min(BLOCK_ROWS, X.rows));
    forRowBlocks(X, ({ buf, F, m, start: offset }) => {
      for (let t = 0; t < this.count; t++) {
        this.leavesOf(t, buf, F, m, leaves);
        for (let r = 0; r < m; r++) {
          const l = leaves[r];
          const row = (offset + r) * K;
          for (let e = start[l]; e < start[l + 1]; e++) out[row + classes[e]] += scale * probs[e];
        }
      }
    });
  }
}
