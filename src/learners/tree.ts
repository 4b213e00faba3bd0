/**
 * A regression tree in flat arrays (node 0 is the root; feature -1 marks a leaf). A row goes left
 * when x <= threshold, and a missing x follows missingLeft. `bin` keeps the split's bin index so
 * training rows can be routed on their bin codes without the raw values. A categorical split
 * (catMask[node] set) sends a category code c left when catMask[node][min(c, length - 1)] is 1.
 */
import type { Matrix } from './learner.js';

export interface FlatTree {
  feature: Int32Array;
  threshold: Float64Array;
  bin: Int32Array;
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  /** Per node: the left-going category bins of a categorical split (absent: no categorical splits). */
  catMask?: (Uint8Array | null)[];
}

/** Grows node by node; `finish()` packs the arrays. */
export class TreeBuilder {
  feature: number[] = [];
  threshold: number[] = [];
  bin: number[] = [];
  missingLeft: number[] = [];
  left: number[] = [];
  right: number[] = [];
  value: number[] = [];
  catMask: (Uint8Array | null)[] = [];
  private anyCategorical = false;

  addNode(): number {
    this.catMask.push(null);
    this.feature.push(-1);
    this.threshold.push(0);
    this.bin.push(0);
    this.missingLeft.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.value.push(0);
    return this.feature.length - 1;
  }

  setSplit(
    node: number,
    feature: number,
    bin: number,
    threshold: number,
    missingLeft: boolean,
    left: number,
    right: number,
  ): void {
    this.feature[node] = feature;
    this.bin[node] = bin;
    this.threshold[node] = threshold;
    this.missingLeft[node] = missingLeft ? 1 : 0;
    this.left[node] = left;
    this.right[node] = right;
  }

  /** Makes node a categorical split: `leftBins` of the feature's `bins` go left. */
  setCategories(node: number, leftBins: ArrayLike<number>, bins: number): void {
    const mask = new Uint8Array(bins);
    for (let k = 0; k < leftBins.length; k++) mask[leftBins[k]] = 1;
    this.catMask[node] = mask;
    this.threshold[node] = NaN;
    this.anyCategorical = true;
  }

  finish(): FlatTree {
    return {
      ...(this.anyCategorical ? { catMask: this.catMask } : {}),
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      bin: Int32Array.from(this.bin),
      missingLeft: Uint8Array.from(this.missingLeft),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      // Leaf values are Float32 (as saved, tree-pack.ts), so a reloaded model predicts exactly as this one.
      value: Float64Array.from(this.value, Math.fround),
    };
  }
}

/** Adds scale * tree(x) to out[i] for every row of X. */
export function addTreePrediction(tree: FlatTree, X: Matrix, out: Float64Array, scale = 1): void {
  addTreesPrediction([tree], X, out, scale);
}

export const BLOCK_ROWS = 2048;

/**
 * Adds scale * sum of the trees' outputs to out[i] for every row of X. Rows are copied in blocks
 * into a row-major buffer, so each traversal reads one small contiguous row.
 */
export function addTreesPrediction(trees: FlatTree[], X: Matrix, out: Float64Array, scale = 1): void {
  forRowBlocks(X, (block) => {
    for (const tree of trees) {
      if (tree.catMask) traverseCategorical(tree, block, out, scale);
      else traverse(tree, block, out, scale);
    }
  });
}

/** Up to BLOCK_ROWS rows of X copied row-major: buf[r * F + f] for r < m, row r being row start + r of X. */
export interface RowBlock {
  buf: Float64Array;
  F: number;
  m: number;
  start: number;
}

/** Calls `each` with X in blocks of up to BLOCK_ROWS rows (one RowBlock, refilled for each). */
export function forRowBlocks(X: Matrix, each: (block: RowBlock) => void): void {
  const F = X.columns.length;
  const block: RowBlock = { buf: new Float64Array(Math.min(BLOCK_ROWS, X.rows) * F), F, m: 0, start: 0 };
  const buf = block.buf;
  for (let start = 0; start < X.rows; start += BLOCK_ROWS) {
    const m = Math.min(BLOCK_ROWS, X.rows - start);
    for (let f = 0; f < F; f++) {
      const col = X.columns[f];
      for (let r = 0; r < m; r++) buf[r * F + f] = col[start + r];
    }
    block.m = m;
    block.start = start;
    each(block);
  }
}

/**
 * A tree's routing for prediction, derived once per tree: children[2n] / children[2n + 1] are
 * node n's left / right child, missingRight[n] is 1 when a missing value goes right.
 */
interface Routing {
  children: Int32Array;
  missingRight: Int32Array;
}

const routings = new WeakMap<FlatTree, Routing>();

function routingOf(tree: FlatTree): Routing {
  let routing = routings.get(tree);
  if (!routing) {
    const n = tree.feature.length;
    const children = new Int32Array(2 * n);
    const missingRight = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      children[2 * i] = tree.left[i];
      children[2 * i + 1] = tree.right[i];
      missingRight[i] = tree.missingLeft[i] === 1 ? 0 : 1;
    }
    routing = { children, missingRight };
    routings.set(tree, routing);
  }
  return routing;
}

/**
 * Routes four rows at a time: their four independent walks overlap in the CPU (one walk alone
 * stalls on each dependent load), ~30% faster than one row at a time. A row goes right when
 * x > threshold, or when x is missing and missing values go right (as in the class comment).
 */
function traverse(tree: FlatTree, block: RowBlock, out: Float64Array, scale: number): void {
  const { buf, F, m, start: offset } = block;
  const { feature, threshold, value } = tree;
  const { children, missingRight } = routingOf(tree);
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const b0 = r * F;
    const b1 = b0 + F;
    const b2 = b1 + F;
    const b3 = b2 + F;
    let n0 = 0;
    let n1 = 0;
    let n2 = 0;
    let n3 = 0;
    for (;;) {
      const f0 = feature[n0];
      const f1 = feature[n1];
      const f2 = feature[n2];
      const f3 = feature[n3];
      if (f0 < 0 && f1 < 0 && f2 < 0 && f3 < 0) break;
      if (f0 >= 0) {
        const x = buf[b0 + f0];
        n0 = children[2 * n0 + (+(x > threshold[n0]) | (+(x !== x) & missingRight[n0]))];
      }
      if (f1 >= 0) {
        const x = buf[b1 + f1];
        n1 = children[2 * n1 + (+(x > threshold[n1]) | (+(x !== x) & missingRight[n1]))];
      }
      if (f2 >= 0) {
        const x = buf[b2 + f2];
        n2 = children[2 * n2 + (+(x > threshold[n2]) | (+(x !== x) & missingRight[n2]))];
      }
      if (f3 >= 0) {
        const x = buf[b3 + f3];
        n3 = children[2 * n3 + (+(x > threshold[n3]) | (+(x !== x) & missingRight[n3]))];
      }
    }
    out[offset + r] += value[n0] * scale;
    out[offset + r + 1] += value[n1] * scale;
    out[offset + r + 2] += value[n2] * scale;
    out[offset + r + 3] += value[n3] * scale;
  }
  for (; r < m; r++) {
    const base = r * F;
    let node = 0;
    let f: number;
    while ((f = feature[node]) >= 0) {
      const x = buf[base + f];
      node = children[2 * node + (+(x > threshold[node]) | (+(x !== x) & missingRight[node]))];
    }
    out[offset + r] += value[node] * scale;
  }
}

function traverseCategorical(tree: FlatTree, block: RowBlock, out: Float64Array, scale: number): void {
  const { buf, F, m, start: offset } = block;
  const { feature, threshold, missingLeft, left, right, value } = tree;
  const catMask = tree.catMask!;
  for (let r = 0; r < m; r++) {
    const base = r * F;
    let node = 0;
    let f: number;
    while ((f = feature[node]) >= 0) {
      const x = buf[base + f];
      const mask = catMask[node];
      if (x !== x) node = missingLeft[node] === 1 ? left[node] : right[node];
      else if (mask !== null) node = mask[categoryBin(x, mask.length)] === 1 ? left[node] : right[node];
      else node = x <= threshold[node] ? left[node] : right[node];
    }
    out[offset + r] += value[node] * scale;
  }
}

/** The bin of category code x (as binning's thresholds at j + 0.5 would place it). */
export function categoryBin(x: number, bins: number): number {
  const b = Math.ceil(x - 0.5);
  return b < 0 ? 0 : b >= bins ? bins - 1 : b;
}

/** The leaf reached by each row of row-major bin codes (rows listed in `index`). */
export function addTreePredictionBinned(
  tree: FlatTree,
  codes: Uint8Array,
  features: number,
  missingBin: Int32Array,
  index: ArrayLike<number>,
  out: Float64Array,
): void {
  const { feature, bin, missingLeft, left, right, value, catMask } = tree;
  for (let k = 0; k < index.length; k++) {
    const i = index[k];
    const base = i * features;
    let node = 0;
    let f: number;
    while ((f = feature[node]) >= 0) {
      const c = codes[base + f];
      const mask = catMask ? catMask[node] : null;
      if (c === missingBin[f]) node = missingLeft[node] === 1 ? left[node] : right[node];
      else if (mask !== null) node = mask[c] === 1 ? left[node] : right[node];
      else node = c <= bin[node] ? left[node] : right[node];
    }
    out[i] += value[node];
  }
}

// --- serialization: typed arrays as base64 inside plain JSON (exact, and ~5x smaller than number lists)

export interface TreeJSON {
  nodes: number;
  feature: string;
  threshold: string;
  missingLeft: string;
  left: string;
  right: string;
  value: string;
  /** Categorical splits: node -> left-going bins, with the feature's bin count. */
  categories?: { node: number; bins: number; left: number[] }[];
}

export function treeToJSON(tree: FlatTree): TreeJSON {
  return {
    nodes: tree.feature.length,
    feature: toBase64(tree.feature),
    threshold: toBase64(tree.threshold),
    missingLeft: toBase64(tree.missingLeft),
    left: toBase64(tree.left),
    right: toBase64(tree.right),
    value: toBase64(tree.value),
    ...(tree.catMask
      ? {
          categories: tree.catMask.flatMap((mask, node) =>
            mask ? [{ node, bins: mask.length, left: Array.from(mask.keys()).filter((b) => mask[b] === 1) }] : [],
          ),
        }
      : {}),
  };
}

export function treeFromJSON(json: TreeJSON): FlatTree {
  const feature = new Int32Array(fromBase64(json.feature, 4 * json.nodes));
  return {
    feature,
    threshold: new Float64Array(fromBase64(json.threshold, 8 * json.nodes)),
    // Bin indices only matter during training; a reloaded tree predicts from raw values.
    bin: new Int32Array(json.nodes),
    missingLeft: new Uint8Array(fromBase64(json.missingLeft, json.nodes)),
    left: new Int32Array(fromBase64(json.left, 4 * json.nodes)),
    right: new Int32Array(fromBase64(json.right, 4 * json.nodes)),
    value: new Float64Array(fromBase64(json.value, 8 * json.nodes)),
    ...(json.categories ? { catMask: categoryMasks(json.categories, json.nodes) } : {}),
  };
}

function categoryMasks(categories: NonNullable<TreeJSON['categories']>, nodes: number): (Uint8Array | null)[] {
  const masks: (Uint8Array | null)[] = new Array(nodes).fill(null);
  for (const { node, bins, left } of categories) {
    const mask = new Uint8Array(bins);
    for (const b of left) mask[b] = 1;
    masks[node] = mask;
  }
  return masks;
}

function toBase64(array: ArrayBufferView): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

function fromBase64(text: string, bytes: number): ArrayBuffer {
  const buf = Buffer.from(text, 'base64');
  if (buf.length !== bytes) throw new Error(`corrupt tree: expected ${bytes} bytes, got ${buf.length}`);
  // Copy into a fresh, aligned buffer (Buffer.from may return a view into a shared pool).
  const out = new ArrayBuffer(bytes);
  new Uint8Array(out).set(buf);
  return out;
}
