/**
 * A model's trees packed together (the saved form of gbm and forest models since model format 2):
 * no per-node JSON, each field one typed array over all nodes of all trees, as narrow as the model
 * allows. Thresholds are quantized without loss: every split threshold is one of the binning's
 * thresholds (or +Infinity), so each feature's distinct thresholds are listed once (Float64) and a
 * split stores its index into that list (one byte for up to 256). Leaf values are Float32, which
 * the tree builder already rounds them to, so a reloaded model predicts exactly as the fitted one.
 * Nodes are stored in preorder (a split, its left subtree, then its right subtree), so which nodes
 * are leaves is the whole structure: no child indices are stored. Classification trees' sparse
 * leaves are stored in that order too, so the leaf number is implicit.
 */
import type { SparseLeaves } from './class-tree.js';
import type { FlatTree } from './tree.js';

export const TREE_PACK = 'tree-pack-1';

export interface TreePack {
  encoding: typeof TREE_PACK;
  trees: number;
  /** Uint32 per tree: its node count. */
  nodes: string;
  /** Per node: feature + 1 (0 marks a leaf), in `featureBytes`-wide unsigned integers. */
  feature: string;
  featureBytes: 1 | 2 | 4;
  /** Per feature: its distinct split thresholds (Float64, ascending), concatenated; `cutCounts` (Uint32 per feature) splits them. */
  cuts: string;
  cutCounts: string;
  /** Per split node: index into its feature's thresholds (`cutBytes` wide). */
  cut: string;
  cutBytes: 1 | 2 | 4;
  /** Per split node: one bit, missing values go left. */
  missingLeft: string;
  /** Packs written before nodes were stored in preorder: per split node its left child (`leftBytes` wide), the right child being left + 1. */
  left?: string;
  leftBytes?: 1 | 2 | 4;
  /** Regression trees: Float32 per leaf node. */
  value?: string;
  /** Classification trees: per leaf node (in node order) its count of non-zero classes, those classes, and the Float32 frequencies of leaves with more than one. */
  leafCounts?: string;
  countBytes?: 1 | 2;
  leafClasses?: string;
  classBytes?: 1 | 2;
  leafProbs?: string;
  /** Categorical splits: tree, node, the feature's bin count and the left-going bins. */
  categories?: { tree: number; node: number; bins: number; left: number[] }[];
}

type UintArray = Uint8Array | Uint16Array | Uint32Array;

function widthFor(max: number): 1 | 2 | 4 {
  return max < 256 ? 1 : max < 65536 ? 2 : 4;
}

function uintArray(bytes: 1 | 2 | 4, length: number): UintArray {
  return bytes === 1 ? new Uint8Array(length) : bytes === 2 ? new Uint16Array(length) : new Uint32Array(length);
}

function b64(a: ArrayBufferView): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

/** A fresh, aligned copy of base64 bytes, checked to hold `count` elements of `bytes` each. */
function decode(text: string, bytes: number, count: number | undefined, what: string): ArrayBuffer {
  const buf = Buffer.from(text, 'base64');
  if (count !== undefined && buf.length !== bytes * count)
    throw new Error(`corrupt tree pack: ${what}: expected ${count} values, got ${buf.length / bytes}`);
  const out = new ArrayBuffer(buf.length);
  new Uint8Array(out).set(buf);
  return out;
}

export function decodeUint(text: string, bytes: 1 | 2 | 4, count: number | undefined, what: string): UintArray {
  const buf = decode(text, bytes, count, what);
  return bytes === 1 ? new Uint8Array(buf) : bytes === 2 ? new Uint16Array(buf) : new Uint32Array(buf);
}

export function decodeFloat32(text: string, count: number | undefined, what: string): Float32Array {
  return new Float32Array(decode(text, 4, count, what));
}

export function decodeFloat64(text: string, count: number | undefined, what: string): Float64Array {
  return new Float64Array(decode(text, 8, count, what));
}

/** Packs trees (with their sparse leaves for classification trees). */
export function packTrees(trees: readonly FlatTree[], leaves?: readonly SparseLeaves[]): TreePack {
  let total = 0;
  let splits = 0;
  let maxFeature = 0;
  for (const t of trees) {
    const n = t.feature.length;
    total += n;
    for (let i = 0; i < n; i++) {
      if (t.feature[i] < 0) continue;
      splits++;
      if (t.feature[i] + 1 > maxFeature) maxFeature = t.feature[i] + 1;
    }
  }
  // Each feature's distinct thresholds (categorical splits carry NaN: they route by their mask).
  const perFeature: Set<number>[] = Array.from({ length: maxFeature }, () => new Set<number>());
  for (const t of trees)
    for (let i = 0; i < t.feature.length; i++)
      if (t.feature[i] >= 0 && !Number.isNaN(t.threshold[i])) perFeature[t.feature[i]].add(t.threshold[i]);
  const tables = perFeature.map((s) => Float64Array.from(s).sort());
  const indexOf = tables.map((tab) => new Map(Array.from(tab, (v, k) => [v, k] as [number, number])));
  const featureBytes = widthFor(maxFeature);
  const cutBytes = widthFor(Math.max(0, ...tables.map((t) => t.length)));
  const nodes = new Uint32Array(trees.length);
  const feature = uintArray(featureBytes, total);
  const cut = uintArray(cutBytes, splits);
  const missingLeft = new Uint8Array(Math.ceil(splits / 8));
  const leafTotal = total - splits;
  const value = leaves ? undefined : new Float32Array(leafTotal);
  const categories: NonNullable<TreePack['categories']> = [];
  let K = 1;
  for (const sl of leaves ?? []) for (const c of sl.classes) if (c + 1 > K) K = c + 1;
  // A leaf's class count is at most K, a class at most K - 1.
  const countBytes = K < 256 ? 1 : 2;
  const classBytes = K <= 256 ? 1 : 2;
  const leafCounts = leaves ? uintArray(countBytes, leafTotal) : undefined;
  const leafClasses: number[] = [];
  const leafProbs: number[] = [];
  let p = 0;
  let s = 0;
  let l = 0;
  trees.forEach((t, ti) => {
    const n = t.feature.length;
    nodes[ti] = n;
    const order = preorder(t);
    for (let j = 0; j < n; j++, p++) {
      const i = order[j];
      const f = t.feature[i];
      feature[p] = f + 1;
      if (f >= 0) {
        const mask = t.catMask?.[i];
        if (mask)
          categories.push({
            tree: ti,
            node: j,
            bins: mask.length,
            left: Array.from(mask.keys()).filter((b) => mask[b] === 1),
          });
        else cut[s] = indexOf[f].get(t.threshold[i])!;
        if (t.missingLeft[i] === 1) missingLeft[s >> 3] |= 1 << (s & 7);
        s++;
      } else {
        if (value) value[l] = t.value[i];
        else {
          const sl = leaves![ti];
          const leaf = t.value[i];
          const a = sl.start[leaf];
          const b = sl.start[leaf + 1];
          leafCounts![l] = b - a;
          for (let e = a; e < b; e++) leafClasses.push(sl.classes[e]);
          if (b - a > 1) for (let e = a; e < b; e++) leafProbs.push(sl.probs[e]);
        }
        l++;
      }
    }
  });
  const cutCounts = Uint32Array.from(tables, (t) => t.length);
  const cuts = new Float64Array(cutCounts.reduce((a, b) => a + b, 0));
  let o = 0;
  for (const t of tables) {
    cuts.set(t, o);
    o += t.length;
  }
  return {
    encoding: TREE_PACK,
    trees: trees.length,
    nodes: b64(nodes),
    feature: b64(feature),
    featureBytes,
    cuts: b64(cuts),
    cutCounts: b64(cutCounts),
    cut: b64(cut),
    cutBytes,
    missingLeft: b64(missingLeft),
    ...(value ? { value: b64(value) } : {}),
    ...(leaves
      ? {
          leafCounts: b64(leafCounts!),
          countBytes,
          leafClasses: b64(classBytes === 1 ? Uint8Array.from(leafClasses) : Uint16Array.from(leafClasses)),
          classBytes,
          leafProbs: b64(Float32Array.from(leafProbs)),
        }
      : {}),
    ...(categories.length ? { categories } : {}),
  };
}

/** The tree's node ids in preorder. */
function preorder(t: FlatTree): Int32Array {
  const order = new Int32Array(t.feature.length);
  const stack = [0];
  let k = 0;
  while (stack.length > 0) {
    const i = stack.pop()!;
    order[k++] = i;
    if (t.feature[i] >= 0) stack.push(t.right[i], t.left[i]);
  }
  if (k !== order.length) throw new Error(`packTrees: ${order.length - k} nodes unreachable from the root`);
  return order;
}

/**
 * The right children of the splits of tree t, a preorder tree at nodes from..to-1 of `feature`
 * (per node feature + 1, 0 marking a leaf): a split's left child is the node after it, and a node
 * after a leaf is the right child of the latest split still without one. Sets right[split] to that
 * child's node number minus `base`; `stack` is scratch.
 */
export function preorderRights(
  feature: UintArray,
  t: number,
  from: number,
  to: number,
  right: Int32Array,
  base: number,
  stack: number[],
): void {
  stack.length = 0;
  for (let p = from + 1; p < to; p++) {
    if (feature[p - 1] !== 0) stack.push(p - 1);
    else {
      const parent = stack.pop();
      if (parent === undefined) throw new Error('corrupt tree pack: more nodes than the tree has room for');
      right[parent] = p - base;
    }
  }
  if (to > from && (stack.length > 0 || feature[to - 1] !== 0))
    throw new Error(`corrupt tree pack: tree ${t} ends before its last split's right child`);
}

/**
 * The trees of a pack (and, for classification packs, their sparse leaves, the leaf number being
 * the leaf's position in node order). Each tree's arrays are views into a few shared buffers.
 */
export function unpackTrees(pack: TreePack): { trees: FlatTree[]; leaves?: SparseLeaves[] } {
  if (pack.encoding !== TREE_PACK) throw new Error(`unknown tree encoding '${String(pack.encoding)}'`);
  const nodes = new Uint32Array(decode(pack.nodes, 4, pack.trees, 'nodes'));
  let total = 0;
  for (const n of nodes) total += n;
  const featureIn = decodeUint(pack.feature, pack.featureBytes, total, 'feature');
  let splits = 0;
  for (let i = 0; i < total; i++) if (featureIn[i] > 0) splits++;
  const cutCounts = new Uint32Array(decode(pack.cutCounts, 4, undefined, 'cutCounts'));
  const cuts = new Float64Array(
    decode(
      pack.cuts,
      8,
      cutCounts.reduce((a, b) => a + b, 0),
      'cuts',
    ),
  );
  const cutStart = new Uint32Array(cutCounts.length + 1);
  for (let f = 0; f < cutCounts.length; f++) cutStart[f + 1] = cutStart[f] + cutCounts[f];
  const cut = decodeUint(pack.cut, pack.cutBytes, splits, 'cut');
  const missingBits = new Uint8Array(decode(pack.missingLeft, 1, Math.ceil(splits / 8), 'missingLeft'));
  const leftIn = pack.left !== undefined ? decodeUint(pack.left, pack.leftBytes ?? 4, splits, 'left') : undefined;
  const leafTotal = total - splits;
  const valueIn = pack.value !== undefined ? new Float32Array(decode(pack.value, 4, leafTotal, 'value')) : undefined;

  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const missingLeft = new Uint8Array(total);
  const left = new Int32Array(total).fill(-1);
  const right = new Int32Array(total).fill(-1);
  const value = new Float64Array(total);
  const bin = new Int32Array(total);
  let s = 0;
  let l = 0;
  let p = 0;
  const awaitingRight: number[] = [];
  for (let t = 0; t < nodes.length; t++) {
    const from = p;
    let leafInTree = 0;
    for (let i = 0; i < nodes[t]; i++, p++) {
      const f = featureIn[p] - 1;
      feature[p] = f;
      if (f >= 0) {
        if (f >= cutCounts.length) throw new Error(`corrupt tree pack: feature ${f} has no thresholds`);
        threshold[p] = cuts[cutStart[f] + cut[s]];
        missingLeft[p] = (missingBits[s >> 3] >> (s & 7)) & 1;
        // Preorder: a split's left child is the next node (its right child is set below).
        left[p] = leftIn ? leftIn[s] : i + 1;
        if (leftIn) right[p] = leftIn[s] + 1;
        s++;
      } else {
        value[p] = valueIn ? valueIn[l] : leafInTree++;
        l++;
      }
    }
    if (!leftIn) preorderRights(featureIn, t, from, p, right, from, awaitingRight);
  }
  const trees: FlatTree[] = [];
  let start = 0;
  for (let t = 0; t < nodes.length; t++) {
    const end = start + nodes[t];
    trees.push({
      feature: feature.subarray(start, end),
      threshold: threshold.subarray(start, end),
      bin: bin.subarray(start, end),
      missingLeft: missingLeft.subarray(start, end),
      left: left.subarray(start, end),
      right: right.subarray(start, end),
      value: value.subarray(start, end),
    });
    start = end;
  }
  for (const c of pack.categories ?? []) {
    const tree = trees[c.tree];
    tree.catMask ??= new Array<Uint8Array | null>(tree.feature.length).fill(null);
    const mask = new Uint8Array(c.bins);
    for (const b of c.left) mask[b] = 1;
    tree.catMask[c.node] = mask;
    tree.threshold[c.node] = NaN;
  }
  if (pack.leafCounts === undefined) return { trees };
  return { trees, leaves: unpackLeaves(pack, nodes, featureIn, leafTotal) };
}

function unpackLeaves(pack: TreePack, nodes: Uint32Array, featureIn: UintArray, leafTotal: number): SparseLeaves[] {
  const counts = decodeUint(pack.leafCounts!, pack.countBytes ?? 1, leafTotal, 'leafCounts');
  let entries = 0;
  for (const c of counts) entries += c;
  const classesIn = decodeUint(pack.leafClasses!, pack.classBytes ?? 1, entries, 'leafClasses');
  const mixed = new Float32Array(decode(pack.leafProbs!, 4, undefined, 'leafProbs'));
  const out: SparseLeaves[] = [];
  let p = 0;
  let l = 0;
  let e = 0;
  let m = 0;
  for (let t = 0; t < nodes.length; t++) {
    let treeLeaves = 0;
    let treeEntries = 0;
    for (let i = 0; i < nodes[t]; i++) {
      if (featureIn[p + i] === 0) {
        treeLeaves++;
        treeEntries += counts[l + treeLeaves - 1];
      }
    }
    const start = new Int32Array(treeLeaves + 1);
    const classes = new Uint16Array(treeEntries);
    const probs = new Float64Array(treeEntries);
    let k = 0;
    for (let j = 0; j < treeLeaves; j++, l++) {
      const c = counts[l];
      for (let q = 0; q < c; q++, e++, k++) {
        classes[k] = classesIn[e];
        probs[k] = c === 1 ? 1 : mixed[m++];
      }
      start[j + 1] = k;
    }
    out.push({ start, classes, probs });
    p += nodes[t];
  }
  if (m !== mixed.length) throw new Error('corrupt tree pack: leaf frequencies do not match the leaf class counts');
  return out;
}
