/**
 * Compact plain-JSON form of a classification tree (class-tree.ts) and its sparse leaves: fully
 * grown forests on a few thousand rows have thousands of nodes per tree, so this keeps only what
 * such a tree needs: the feature per node (16-bit when the features allow), threshold and left
 * child per split (the right child is always left + 1, as the grower adds them), the leaf number
 * per leaf, and per leaf its non-zero classes, with the frequencies only of mixed leaves (a pure
 * leaf's is exactly 1). About a third of the generic TreeJSON plus dense leaves.
 */
import type { SparseLeaves } from './class-tree.js';
import type { FlatTree } from './tree.js';

export interface ClassTreeJSON {
  nodes: number;
  /** Per node, Int16 (or Int32 when `wide`) base64; -1 marks a leaf. */
  feature: string;
  wide: boolean;
  /** Per split node in node order: Float64 threshold and Int32 left child. */
  threshold: string;
  left: string;
  /** Per leaf node in node order: Int32 leaf number. */
  leaf: string;
  /** Per leaf number: Uint16 count of non-zero classes; then all their classes (Uint16). */
  counts: string;
  classes: string;
  /** Float64 frequencies of the leaves with more than one class, in leaf order. */
  probs: string;
}

export function classTreeToJSON(tree: FlatTree, leaves: SparseLeaves): ClassTreeJSON {
  const n = tree.feature.length;
  const wide = tree.feature.some((f) => f > 32767);
  const feature = wide ? Int32Array.from(tree.feature) : Int16Array.from(tree.feature);
  const threshold: number[] = [];
  const left: number[] = [];
  const leaf: number[] = [];
  for (let i = 0; i < n; i++) {
    if (tree.feature[i] >= 0) {
      if (tree.right[i] !== tree.left[i] + 1) throw new Error('classTreeToJSON: expected right = left + 1');
      threshold.push(tree.threshold[i]);
      left.push(tree.left[i]);
    } else leaf.push(tree.value[i]);
  }
  const L = leaves.start.length - 1;
  const counts = new Uint16Array(L);
  const probs: number[] = [];
  for (let l = 0; l < L; l++) {
    counts[l] = leaves.start[l + 1] - leaves.start[l];
    if (counts[l] > 1) for (let e = leaves.start[l]; e < leaves.start[l + 1]; e++) probs.push(leaves.probs[e]);
  }
  return {
    nodes: n,
    feature: b64(feature),
    wide,
    threshold: b64(Float64Array.from(threshold)),
    left: b64(Int32Array.from(left)),
    leaf: b64(Int32Array.from(leaf)),
    counts: b64(counts),
    classes: b64(leaves.classes),
    probs: b64(Float64Array.from(probs)),
  };
}

export function classTreeFromJSON(json: ClassTreeJSON): { tree: FlatTree; leaves: SparseLeaves } {
  const n = json.nodes;
  const featureIn = json.wide ? new Int32Array(bytes(json.feature)) : new Int16Array(bytes(json.feature));
  if (featureIn.length !== n)
    throw new Error(`corrupt classification tree: expected ${n} nodes, got ${featureIn.length}`);
  const thresholdIn = new Float64Array(bytes(json.threshold));
  const leftIn = new Int32Array(bytes(json.left));
  const leafIn = new Int32Array(bytes(json.leaf));
  const tree: FlatTree = {
    feature: Int32Array.from(featureIn),
    threshold: new Float64Array(n),
    bin: new Int32Array(n),
    missingLeft: new Uint8Array(n),
    left: new Int32Array(n).fill(-1),
    right: new Int32Array(n).fill(-1),
    value: new Float64Array(n),
  };
  let s = 0;
  let l = 0;
  for (let i = 0; i < n; i++) {
    if (featureIn[i] >= 0) {
      tree.threshold[i] = thresholdIn[s];
      tree.left[i] = leftIn[s];
      tree.right[i] = leftIn[s] + 1;
      s++;
    } else tree.value[i] = leafIn[l++];
  }
  const counts = new Uint16Array(bytes(json.counts));
  const classes = new Uint16Array(bytes(json.classes));
  const mixed = new Float64Array(bytes(json.probs));
  const start = new Int32Array(counts.length + 1);
  for (let k = 0; k < counts.length; k++) start[k + 1] = start[k] + counts[k];
  if (start[counts.length] !== classes.length)
    throw new Error('corrupt classification tree: leaf class counts do not match');
  const probs = new Float64Array(classes.length);
  let m = 0;
  for (let k = 0; k < counts.length; k++) {
    if (counts[k] === 1) probs[start[k]] = 1;
    else for (let e = start[k]; e < start[k + 1]; e++) probs[e] = mixed[m++];
  }
  return { tree, leaves: { start, classes, probs } };
}

function b64(a: ArrayBufferView): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

/** A fresh, aligned copy of base64 bytes. */
function bytes(text: string): ArrayBuffer {
  const buf = Buffer.from(text, 'base64');
  const out = new ArrayBuffer(buf.length);
  new Uint8Array(out).set(buf);
  return out;
}
