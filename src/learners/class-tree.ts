/**
 * Grows one classification tree (CART, gini or entropy) on binned data, for the random forest and
 * extra-trees classifiers. Depth-first; at each node every candidate feature's rows are counted
 * into per-bin class weights (a sparse histogram touching only the node's rows), then scanned in
 * bin order for the best cut, or (extra trees) cut once at a uniform random threshold between the
 * node's smallest and largest value. Missing values sort after every value bin, so they always go
 * right (FlatTree.missingLeft = 0). Categorical codes are treated as ordinal here. Leaves keep the
 * weighted class frequencies, sparsely (a fully grown tree's leaves are mostly pure: one entry
 * instead of K); the FlatTree's node value is the leaf's number.
 */
import type { Random } from '../runtime/random.js';
import type { BinnedData } from './binning.js';
import { TreeBuilder, type FlatTree } from './tree.js';

export type Criterion = 'gini' | 'entropy';

export interface ClassTreeParams {
  maxDepth: number;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  featuresPerNode: number;
  randomThresholds: boolean;
  criterion: Criterion;
  rng: Random;
}

/** Leaf l's non-zero class frequencies: classes / probs at [start[l], start[l + 1]). */
export interface SparseLeaves {
  start: Int32Array;
  classes: Uint16Array;
  probs: Float64Array;
}

export interface ClassTree {
  tree: FlatTree;
  leaves: SparseLeaves;
}

const SLOTS = 257;

/** Reusable buffers for one data set. */
export class ClassTreeGrower {
  private readonly binW: Float64Array;
  private readonly binC: Int32Array;
  private readonly scratch: Int32Array;
  private readonly cand: Int32Array;
  private readonly left: Float64Array;
  private readonly total: Float64Array;

  constructor(
    readonly data: BinnedData,
    readonly K: number,
  ) {
    this.binW = new Float64Array(SLOTS * K);
    this.binC = new Int32Array(SLOTS);
    this.scratch = new Int32Array(data.rows);
    this.cand = new Int32Array(data.features);
    this.left = new Float64Array(K);
    this.total = new Float64Array(K);
  }

  /** Grows a tree over rows index[0..count) with row weights w (0 excluded by the caller). */
  grow(
    y: Int32Array,
    w: Float64Array,
    index: Int32Array,
    count: number,
    params: ClassTreeParams,
    importance?: Float64Array,
  ): ClassTree {
    const K = this.K;
    const builder = new TreeBuilder();
    const leafStart: number[] = [0];
    const leafClasses: number[] = [];
    const leafProbs: number[] = [];
    const { codes, features } = this.data;
    const total = this.total;
    // Each node's class weights come from its parent's split (the root's are summed here).
    const rootTotals = new Float64Array(K);
    for (let k = 0; k < count; k++) rootTotals[y[index[k]]] += w[index[k]];
    const stack: { id: number; start: number; end: number; depth: number; totals: Float64Array }[] = [
      { id: builder.addNode(), start: 0, end: count, depth: 0, totals: rootTotals },
    ];
    while (stack.length > 0) {
      const node = stack.pop()!;
      total.set(node.totals);
      let W = 0;
      for (let k = 0; k < K; k++) W += total[k];
      const m = node.end - node.start;
      let classesPresent = 0;
      for (let k = 0; k < K; k++) if (total[k] > 0) classesPresent++;
      const split =
        classesPresent > 1 &&
        node.depth < params.maxDepth &&
        m >= params.minSamplesSplit &&
        m >= 2 * params.minSamplesLeaf
          ? this.findSplit(y, w, index, node.start, node.end, W, params)
          : undefined;
      if (!split) {
        builder.value[node.id] = leafStart.length - 1;
        for (let k = 0; k < K; k++) {
          if (W > 0 ? total[k] > 0 : true) {
            leafClasses.push(k);
            leafProbs.push(W > 0 ? total[k] / W : 1 / K);
          }
        }
        leafStart.push(leafClasses.length);
        continue;
      }
      // Stable partition: code <= bin goes left.
      const f = split.feature;
      let l = node.start;
      let r = 0;
      for (let k = node.start; k < node.end; k++) {
        const i = index[k];
        if (codes[i * features + f] <= split.bin) index[l++] = i;
        else this.scratch[r++] = i;
      }
      index.set(this.scratch.subarray(0, r), l);
      const t = this.data.binning.thresholds[f];
      const leftId = builder.addNode();
      const rightId = builder.addNode();
      builder.setSplit(node.id, f, split.bin, split.bin < t.length ? t[split.bin] : Infinity, false, leftId, rightId);
      if (importance) importance[f] += split.gain;
      const right = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        const r = total[k] - split.left[k];
        // Weights are sums of integers (bootstrap counts) times sample weights: clear rounding residue.
        right[k] = r > 1e-9 * W ? r : 0;
      }
      stack.push({ id: rightId, start: l, end: node.end, depth: node.depth + 1, totals: right });
      stack.push({ id: leftId, start: node.start, end: l, depth: node.depth + 1, totals: split.left });
    }
    return {
      tree: builder.finish(),
      leaves: {
        start: Int32Array.from(leafStart),
        classes: Uint16Array.from(leafClasses),
        probs: Float64Array.from(leafProbs, Math.fround),
      },
    };
  }

  private findSplit(
    y: Int32Array,
    w: Float64Array,
    index: Int32Array,
    start: number,
    end: number,
    W: number,
    params: ClassTreeParams,
  ): { feature: number; bin: number; gain: number; left: Float64Array } | undefined {
    const K = this.K;
    const { codes, features } = this.data;
    const { nBins, binLow, binHigh } = this.data.binning;
    const cand = this.cand;
    for (let f = 0; f < features; f++) cand[f] = f;
    const take = Math.min(params.featuresPerNode, features);
    const rng = params.rng;
    for (let a = 0; a < take; a++) {
      const b = a + Math.floor(rng.next() * (features - a));
      const t = cand[a];
      cand[a] = cand[b];
      cand[b] = t;
    }
    const binW = this.binW;
    const binC = this.binC;
    const left = this.left;
    const total = this.total;
    const entropy = params.criterion === 'entropy';
    const parent = impurityScore(total, W, K, entropy);
    const msl = params.minSamplesLeaf;
    const m = end - start;
    let bestScore = -Infinity;
    let bestFeature = -1;
    let bestBin = 0;
    const bestLeft = new Float64Array(K);
    for (let c = 0; c < take; c++) {
      const f = cand[c];
      let lo = SLOTS;
      let hi = -1;
      for (let k = start; k < end; k++) {
        const i = index[k];
        const b = codes[i * features + f];
        binW[b * K + y[i]] += w[i];
        binC[b]++;
        if (b < lo) lo = b;
        if (b > hi) hi = b;
      }
      if (hi > lo) {
        const missing = nBins[f];
        left.fill(0);
        let WL = 0;
        let CL = 0;
        if (params.randomThresholds) {
          // Value range of the node (missing values excluded).
          const vhi = hi === missing ? lastBelow(binC, missing, lo) : hi;
          if (vhi > lo) {
            const u = binLow[f][lo] + rng.next() * (binHigh[f][vhi] - binLow[f][lo]);
            let cut = lo;
            for (let b = lo; b < vhi; b++) {
              if (b > lo && binHigh[f][b] > u) break;
              if (binC[b] === 0) continue;
              for (let k = 0; k < K; k++) left[k] += binW[b * K + k];
              CL += binC[b];
              cut = b;
            }
            WL = 0;
            for (let k = 0; k < K; k++) WL += left[k];
            if (CL >= msl && m - CL >= msl) {
              const score = splitScore(left, total, WL, W, K, entropy);
              if (score > bestScore) {
                [bestScore, bestFeature, bestBin] = [score, f, cut];
                bestLeft.set(left);
              }
            }
          }
        } else {
          for (let b = lo; b < hi; b++) {
            const cb = binC[b];
            if (cb === 0) continue;
            for (let k = 0; k < K; k++) {
              const v = binW[b * K + k];
              left[k] += v;
              WL += v;
            }
            CL += cb;
            if (CL < msl) continue;
            if (m - CL < msl) break;
            const score = splitScore(left, total, WL, W, K, entropy);
            if (score > bestScore) {
              [bestScore, bestFeature, bestBin] = [score, f, b];
              bestLeft.set(left);
            }
          }
        }
      }
      for (let b = lo; b <= hi; b++) {
        if (binC[b] === 0) continue;
        binC[b] = 0;
        binW.fill(0, b * K, b * K + K);
      }
    }
    if (bestFeature < 0) return undefined;
    const gain = bestScore - parent;
    if (!(gain > 1e-12 * Math.max(1, Math.abs(parent)))) return undefined;
    return { feature: bestFeature, bin: bestBin, gain, left: bestLeft };
  }
}

function lastBelow(binC: Int32Array, missing: number, lo: number): number {
  for (let b = missing - 1; b > lo; b--) if (binC[b] > 0) return b;
  return lo;
}

/**
 * Minus the node's weighted impurity (W * gini or W * entropy), so that a split's score is the
 * sum over its children and larger is better: gini -> sum c_k^2 / W - W; entropy -> sum c log(c / W).
 */
function impurityScore(c: Float64Array, W: number, K: number, entropy: boolean): number {
  if (W <= 0) return 0;
  let s = 0;
  if (entropy) {
    for (let k = 0; k < K; k++) if (c[k] > 0) s += c[k] * Math.log(c[k] / W);
    return s;
  }
  for (let k = 0; k < K; k++) s += c[k] * c[k];
  return s / W - W;
}

function splitScore(
  left: Float64Array,
  total: Float64Array,
  WL: number,
  W: number,
  K: number,
  entropy: boolean,
): number {
  const WR = W - WL;
  if (WL <= 0 || WR <= 0) return -Infinity;
  let sl = 0;
  let sr = 0;
  if (entropy) {
    for (let k = 0; k < K; k++) {
      const l = left[k];
      const r = total[k] - l;
      if (l > 0) sl += l * Math.log(l / WL);
      if (r > 1e-12) sr += r * Math.log(r / WR);
    }
    return sl + sr;
  }
  for (let k = 0; k < K; k++) {
    const l = left[k];
    const r = total[k] - l;
    sl += l * l;
    sr += r * r;
  }
  return sl / WL - WL + sr / WR - WR;
}
