/**
 * Grows one histogram tree on binned data, for gradient boosting and for forests alike.
 *
 * Each node's gradient/hessian/count histogram (one slot per bin, plus the missing bin) is built
 * only for the smaller child; the larger child's is the parent's minus it (the subtraction trick).
 * Splits maximize the second-order gain GL^2/(HL+l2) + GR^2/(HR+l2) - G^2/(H+l2), trying missing
 * values on both sides. With a leaf budget the frontier is expanded best-gain-first (leaf-wise, as
 * LightGBM); without one it is depth-first, which bounds the histograms held at once.
 *
 * Forests pass grad = w*y, hess = w, l2 = 0: the gain is then exactly the variance reduction.
 */
import type { Random } from '../runtime/random.js';
import type { BinnedData } from './binning.js';
import { TreeBuilder, type FlatTree } from './tree.js';

export interface GrowParams {
  /** Leaf budget (Infinity: grow until other limits stop it). */
  maxLeaves: number;
  maxDepth: number;
  minSamplesLeaf: number;
  /** A node needs at least this many rows to be split (default 2 * minSamplesLeaf). */
  minSamplesSplit?: number;
  /** Smallest hessian sum allowed in a child. */
  minChildWeight: number;
  l2: number;
  minGain: number;
  /** Extra-trees: one random threshold per candidate feature instead of the best. */
  randomThresholds: boolean;
  /** Features drawn per node (<= features allowed); draws need `rng`. */
  featuresPerNode: number;
  /** Per-tree column subset (1 = allowed); undefined = all. */
  featureAllowed?: Uint8Array;
  rng?: Random;
  /**
   * Split categorical features (binning.categorical) into two sets of categories, scanning the
   * categories ordered by G/(H + 10) as LightGBM does; otherwise their codes are ordinal.
   */
  categoricalSplits?: boolean;
}

export interface GrownTree {
  tree: FlatTree;
  /** Leaf node ids and their row ranges [start, end) in the row index after partitioning. */
  leafNodes: Int32Array;
  leafStart: Int32Array;
  leafEnd: Int32Array;
}

/** Computes a leaf's value from its sums (and its rows: index[start..end)), e.g. -G/(H+l2). */
export type LeafValue = (G: number, H: number, start: number, end: number) => number;

interface Split {
  feature: number;
  bin: number;
  missingLeft: boolean;
  gain: number;
  GL: number;
  HL: number;
  CL: number;
  /** Categorical split: the bins (categories) that go left. */
  catBins?: Int32Array;
}

/** Smoothing of the G/H ratio that orders categories (LightGBM's cat_smooth). */
const CAT_SMOOTH = 10;

interface Node {
  id: number;
  start: number;
  end: number;
  depth: number;
  G: number;
  H: number;
  C: number;
  hist: Float64Array | undefined;
  split: Split | undefined;
}

/** Reusable buffers, sized once per data set (a booster grows many trees with one Grower). */
export class Grower {
  private readonly pool: Float64Array[] = [];
  private readonly scratch: Int32Array;
  private readonly orderedGrad: Float64Array;
  private readonly orderedHess: Float64Array;
  private readonly candidates: Int32Array;
  /** Kept all-zero between uses: small nodes accumulate one feature at a time into it. */
  private readonly sparseHist: Float64Array;
  private readonly occupied: Int32Array;
  /** Nodes with fewer rows skip histograms: their splits come from their rows directly. */
  private readonly sparseBelow: number;
  readonly missingBin: Int32Array;

  // The best split found so far by the current findSplit.
  private bestScore = -Infinity;
  private bestFeature = -1;
  private bestBin = 0;
  private bestMissingLeft = false;
  private bestGL = 0;
  private bestHL = 0;
  private bestCL = 0;
  private bestCatBins: Int32Array | undefined;
  private readonly catOrder = new Int32Array(257);
  private readonly catRatio = new Float64Array(257);

  constructor(readonly data: BinnedData) {
    this.scratch = new Int32Array(data.rows);
    this.orderedGrad = new Float64Array(data.rows);
    this.orderedHess = new Float64Array(data.rows);
    this.candidates = new Int32Array(data.features);
    this.missingBin = data.binning.nBins;
    this.sparseHist = new Float64Array(data.binning.totalSlots * 3);
    this.occupied = new Int32Array(257);
    // Dense costs ~7 passes over all slots per node; sparse ~3 passes over the node's rows per feature.
    this.sparseBelow = Math.max(8, Math.floor((2.5 * data.binning.totalSlots) / Math.max(1, data.features)));
  }

  /**
   * Grows a tree over the rows index[0..count) (the index is permuted in place: each leaf's rows end
   * up contiguous). Adds each split's gain to importance[feature] when given.
   */
  grow(grad: Float64Array, hess: Float64Array, index: Int32Array, count: number, params: GrowParams, leafValue: LeafValue, importance?: Float64Array): GrownTree {
    const builder = new TreeBuilder();
    const leafNodes: number[] = [];
    const leafStart: number[] = [];
    const leafEnd: number[] = [];
    const finalize = (node: Node) => {
      builder.value[node.id] = leafValue(node.G, node.H, node.start, node.end);
      leafNodes.push(node.id);
      leafStart.push(node.start);
      leafEnd.push(node.end);
      if (node.hist) this.release(node.hist);
      node.hist = undefined;
    };

    let G = 0;
    let H = 0;
    for (let k = 0; k < count; k++) {
      const i = index[k];
      G += grad[i];
      H += hess[i];
    }
    const root: Node = { id: builder.addNode(), start: 0, end: count, depth: 0, G, H, C: count, hist: undefined, split: undefined };
    const bestFirst = Number.isFinite(params.maxLeaves);
    const frontier: Node[] = [];
    let leaves = 1;
    if (this.canSplit(root, params)) {
      if (root.C >= this.sparseBelow) {
        root.hist = this.acquire();
        this.buildHistogram(root.hist, grad, hess, index, 0, count);
      }
      root.split = this.findSplit(root, params, grad, hess, index);
    }
    if (root.split) frontier.push(root);
    else finalize(root);

    while (frontier.length > 0) {
      if (leaves >= params.maxLeaves) {
        for (const node of frontier) finalize(node);
        break;
      }
      const node = bestFirst ? popBest(frontier) : frontier.pop()!;
      const split = node.split!;
      const mid = this.partition(index, node.start, node.end, split);
      const leftId = builder.addNode();
      const rightId = builder.addNode();
      const f = split.feature;
      builder.setSplit(node.id, f, split.bin, this.thresholdFor(f, split.bin), split.missingLeft, leftId, rightId);
      if (split.catBins) builder.setCategories(node.id, split.catBins, this.data.binning.nBins[f]);
      if (importance) importance[f] += split.gain;
      leaves++;

      const left: Node = {
        id: leftId, start: node.start, end: mid, depth: node.depth + 1,
        G: split.GL, H: split.HL, C: split.CL, hist: undefined, split: undefined,
      };
      const right: Node = {
        id: rightId, start: mid, end: node.end, depth: node.depth + 1,
        G: node.G - split.GL, H: node.H - split.HL, C: node.C - split.CL, hist: undefined, split: undefined,
      };
      const wantLeft = leaves < params.maxLeaves && this.canSplit(left, params);
      const wantRight = leaves < params.maxLeaves && this.canSplit(right, params);
      const [small, large] = left.C <= right.C ? [left, right] : [right, left];
      const denseSmall = (small === left ? wantLeft : wantRight) && small.C >= this.sparseBelow;
      const denseLarge = (large === left ? wantLeft : wantRight) && large.C >= this.sparseBelow;
      const parentHist = node.hist;
      node.hist = undefined;
      if (parentHist && denseLarge) {
        // The subtraction trick: build the smaller child, derive the larger from the parent.
        const smallHist = this.acquire();
        this.buildHistogram(smallHist, grad, hess, index, small.start, small.end);
        subtractInPlace(parentHist, smallHist);
        large.hist = parentHist;
        if (denseSmall) small.hist = smallHist;
        else this.release(smallHist);
      } else {
        if (parentHist) this.release(parentHist);
        if (denseLarge) {
          large.hist = this.acquire();
          this.buildHistogram(large.hist, grad, hess, index, large.start, large.end);
        }
        if (denseSmall) {
          small.hist = this.acquire();
          this.buildHistogram(small.hist, grad, hess, index, small.start, small.end);
        }
      }
      if (wantLeft) left.split = this.findSplit(left, params, grad, hess, index);
      if (wantRight) right.split = this.findSplit(right, params, grad, hess, index);
      // Depth-first: push right then left so the left subtree is expanded first.
      for (const child of [right, left]) {
        if (child.split) frontier.push(child);
        else finalize(child);
      }
    }
    return {
      tree: builder.finish(),
      leafNodes: Int32Array.from(leafNodes),
      leafStart: Int32Array.from(leafStart),
      leafEnd: Int32Array.from(leafEnd),
    };
  }

  private canSplit(node: Node, params: GrowParams): boolean {
    return (
      node.depth < params.maxDepth &&
      node.C >= 2 * params.minSamplesLeaf &&
      node.C >= (params.minSamplesSplit ?? 2) &&
      node.H >= 2 * params.minChildWeight
    );
  }

  private thresholdFor(feature: number, bin: number): number {
    const t = this.data.binning.thresholds[feature];
    // bin == nBins - 1 (all values left, missing right): any x at all goes left.
    return bin < t.length ? t[bin] : Infinity;
  }

  private acquire(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.data.binning.totalSlots * 3);
  }

  private release(hist: Float64Array): void {
    this.pool.push(hist);
  }

  private buildHistogram(hist: Float64Array, grad: Float64Array, hess: Float64Array, index: Int32Array, start: number, end: number): void {
    hist.fill(0);
    const { codes, features } = this.data;
    const offsets = this.data.binning.offsets;
    const og = this.orderedGrad;
    const oh = this.orderedHess;
    const n = end - start;
    for (let k = 0; k < n; k++) {
      const i = index[start + k];
      og[k] = grad[i];
      oh[k] = hess[i];
    }
    for (let k = 0; k < n; k++) {
      const base = index[start + k] * features;
      const g = og[k];
      const h = oh[k];
      for (let f = 0; f < features; f++) {
        const s = (offsets[f] + codes[base + f]) * 3;
        hist[s] += g;
        hist[s + 1] += h;
        hist[s + 2] += 1;
      }
    }
  }

  /** Stable partition of index[start..end) by the split; returns the first right position. */
  private partition(index: Int32Array, start: number, end: number, split: Split): number {
    const { codes, features } = this.data;
    const f = split.feature;
    const bin = split.bin;
    const missing = this.missingBin[f];
    const missingLeft = split.missingLeft;
    const scratch = this.scratch;
    let l = start;
    let r = 0;
    if (split.catBins) {
      const mask = new Uint8Array(256);
      for (const b of split.catBins) mask[b] = 1;
      for (let k = start; k < end; k++) {
        const i = index[k];
        const c = codes[i * features + f];
        if (c === missing ? missingLeft : mask[c] === 1) index[l++] = i;
        else scratch[r++] = i;
      }
      index.set(scratch.subarray(0, r), l);
      return l;
    }
    for (let k = start; k < end; k++) {
      const i = index[k];
      const c = codes[i * features + f];
      const goLeft = c === missing ? missingLeft : c <= bin;
      if (goLeft) index[l++] = i;
      else scratch[r++] = i;
    }
    index.set(scratch.subarray(0, r), l);
    return l;
  }

  /**
   * The best split of a node over its candidate features, from its histogram or (small nodes)
   * from a per-feature sparse histogram of its rows; undefined when no split gains.
   */
  private findSplit(node: Node, params: GrowParams, grad: Float64Array, hess: Float64Array, index: Int32Array): Split | undefined {
    const { nBins, offsets } = this.data.binning;
    const l2 = params.l2;
    const { G, H, C } = node;
    const parentScore = (G * G) / (H + l2);

    // Candidate features: the allowed ones, or a random subset of them of size featuresPerNode.
    const cand = this.candidates;
    let m = 0;
    for (let f = 0; f < this.data.features; f++) if (!params.featureAllowed || params.featureAllowed[f]) cand[m++] = f;
    let take = m;
    if (params.featuresPerNode < m && params.rng) {
      const rng = params.rng;
      for (let a = 0; a < params.featuresPerNode; a++) {
        const b = a + Math.floor(rng.next() * (m - a));
        const t = cand[a];
        cand[a] = cand[b];
        cand[b] = t;
      }
      take = params.featuresPerNode;
    }

    this.bestScore = -Infinity;
    this.bestFeature = -1;
    this.bestCatBins = undefined;
    const occ = this.occupied;
    const dense = node.hist !== undefined;
    for (let c = 0; c < take; c++) {
      const f = cand[c];
      const nb = nBins[f];
      const off = offsets[f] * 3;
      let hist: Float64Array;
      let T: number;
      if (dense) {
        hist = node.hist!;
        T = 0;
        for (let b = 0; b < nb; b++) if (hist[off + b * 3 + 2] > 0) occ[T++] = b;
      } else if (params.randomThresholds) {
        this.randomDirect(f, nb, grad, hess, index, node, params);
        continue;
      } else {
        hist = this.sparseHist;
        T = this.accumulateSparse(f, off, nb, grad, hess, index, node.start, node.end);
      }
      if (params.categoricalSplits && this.data.binning.categorical[f]) this.scanCategorical(f, hist, off, nb, occ, T, node, params);
      else if (params.randomThresholds) this.scanRandom(f, hist, off, nb, occ, T, node, params);
      else this.scanBest(f, hist, off, nb, occ, T, node, params);
      if (!dense) {
        for (let t = 0; t < T; t++) {
          const s = off + occ[t] * 3;
          hist[s] = hist[s + 1] = hist[s + 2] = 0;
        }
        const ms = off + nb * 3;
        hist[ms] = hist[ms + 1] = hist[ms + 2] = 0;
      }
    }
    if (this.bestFeature < 0) return undefined;
    const gain = this.bestScore - parentScore;
    // A gain lost in rounding noise (a pure node) is no split.
    if (!(gain > params.minGain) || gain <= 1e-10 * this.bestScore) return undefined;
    const split: Split = {
      feature: this.bestFeature, bin: this.bestBin, missingLeft: this.bestMissingLeft, gain,
      GL: this.bestGL, HL: this.bestHL, CL: this.bestCL,
      catBins: this.bestCatBins,
    };
    const f = split.feature;
    if (!split.missingLeft && node.hist && node.hist[(offsets[f] + nBins[f]) * 3 + 2] === 0) {
      // Missing values never seen here: send them where most training rows went.
      split.missingLeft = split.CL >= C - split.CL;
    } else if (!split.missingLeft && !node.hist && !this.sawMissing(f, index, node.start, node.end)) {
      split.missingLeft = split.CL >= C - split.CL;
    }
    return split;
  }

  private sawMissing(f: number, index: Int32Array, start: number, end: number): boolean {
    const { codes, features } = this.data;
    const missing = this.missingBin[f];
    for (let k = start; k < end; k++) if (codes[index[k] * features + f] === missing) return true;
    return false;
  }

  /** Accumulates feature f of the node's rows into sparseHist; lists the occupied value bins, sorted. */
  private accumulateSparse(f: number, off: number, nb: number, grad: Float64Array, hess: Float64Array, index: Int32Array, start: number, end: number): number {
    const { codes, features } = this.data;
    const hist = this.sparseHist;
    const occ = this.occupied;
    let T = 0;
    for (let k = start; k < end; k++) {
      const i = index[k];
      const c = codes[i * features + f];
      const s = off + c * 3;
      if (hist[s + 2] === 0 && c !== nb) occ[T++] = c;
      hist[s] += grad[i];
      hist[s + 1] += hess[i];
      hist[s + 2] += 1;
    }
    // Insertion sort: T is small here.
    for (let a = 1; a < T; a++) {
      const v = occ[a];
      let b = a - 1;
      while (b >= 0 && occ[b] > v) {
        occ[b + 1] = occ[b];
        b--;
      }
      occ[b + 1] = v;
    }
    return T;
  }

  private consider(f: number, bin: number, missingLeft: boolean, GL: number, HL: number, CL: number, node: Node, params: GrowParams): void {
    const CR = node.C - CL;
    const HR = node.H - HL;
    if (CL < params.minSamplesLeaf || CR < params.minSamplesLeaf || HL < params.minChildWeight || HR < params.minChildWeight) return;
    const GR = node.G - GL;
    const score = (GL * GL) / (HL + params.l2) + (GR * GR) / (HR + params.l2);
    if (score > this.bestScore) {
      this.bestScore = score;
      this.bestFeature = f;
      this.bestBin = bin;
      this.bestMissingLeft = missingLeft;
      this.bestGL = GL;
      this.bestHL = HL;
      this.bestCL = CL;
      this.bestCatBins = undefined;
    }
  }

  /**
   * Categorical feature: order the node's categories by G/(H + smoothing) and try each prefix of
   * that order as the left set (the optimal binary partition for squared error), missing on
   * either side.
   */
  private scanCategorical(f: number, hist: Float64Array, off: number, nb: number, occ: Int32Array, T: number, node: Node, params: GrowParams): void {
    const order = this.catOrder;
    const ratio = this.catRatio;
    for (let t = 0; t < T; t++) {
      const s = off + occ[t] * 3;
      order[t] = occ[t];
      ratio[occ[t]] = hist[s] / (hist[s + 1] + CAT_SMOOTH);
    }
    for (let a = 1; a < T; a++) {
      const v = order[a];
      let b = a - 1;
      while (b >= 0 && ratio[order[b]] > ratio[v]) {
        order[b + 1] = order[b];
        b--;
      }
      order[b + 1] = v;
    }
    const before = this.bestScore;
    const ms = off + nb * 3;
    const Gm = hist[ms];
    const Hm = hist[ms + 1];
    const Cm = hist[ms + 2];
    let GL = 0;
    let HL = 0;
    let CL = 0;
    let bestPrefix = -1;
    for (let t = 0; t < T - 1; t++) {
      const s = off + order[t] * 3;
      GL += hist[s];
      HL += hist[s + 1];
      CL += hist[s + 2];
      const score = this.bestScore;
      this.consider(f, 0, false, GL, HL, CL, node, params);
      if (Cm > 0) this.consider(f, 0, true, GL + Gm, HL + Hm, CL + Cm, node, params);
      if (this.bestScore > score) bestPrefix = t + 1;
    }
    if (Cm > 0 && T > 0) {
      const score = this.bestScore;
      this.consider(f, 0, false, node.G - Gm, node.H - Hm, node.C - Cm, node, params);
      if (this.bestScore > score) bestPrefix = T;
    }
    if (this.bestScore > before && bestPrefix > 0) this.bestCatBins = order.slice(0, bestPrefix);
  }

  /** Every threshold between occupied bins, with missing values tried on each side. */
  private scanBest(f: number, hist: Float64Array, off: number, nb: number, occ: Int32Array, T: number, node: Node, params: GrowParams): void {
    const ms = off + nb * 3;
    const Gm = hist[ms];
    const Hm = hist[ms + 1];
    const Cm = hist[ms + 2];
    let GL = 0;
    let HL = 0;
    let CL = 0;
    for (let t = 0; t < T - 1; t++) {
      const b = occ[t];
      const s = off + b * 3;
      GL += hist[s];
      HL += hist[s + 1];
      CL += hist[s + 2];
      this.consider(f, b, false, GL, HL, CL, node, params);
      if (Cm > 0) this.consider(f, b, true, GL + Gm, HL + Hm, CL + Cm, node, params);
    }
    // Missing values alone on the right.
    if (Cm > 0 && T > 0) this.consider(f, nb - 1, false, node.G - Gm, node.H - Hm, node.C - Cm, node, params);
  }

  /** scanRandom for a small node, straight from its rows (same draws, same split). */
  private randomDirect(f: number, nb: number, grad: Float64Array, hess: Float64Array, index: Int32Array, node: Node, params: GrowParams): void {
    const { codes, features } = this.data;
    const start = node.start;
    const end = node.end;
    let lo = 256;
    let hi = -1;
    for (let k = start; k < end; k++) {
      const c = codes[index[k] * features + f];
      if (c === nb) continue;
      if (c < lo) lo = c;
      if (c > hi) hi = c;
    }
    if (hi <= lo) return;
    const high = this.data.binning.binHigh[f];
    const low = this.data.binning.binLow[f];
    const u = low[lo] + params.rng!.next() * (high[hi] - low[lo]);
    let GL = 0;
    let HL = 0;
    let CL = 0;
    let Gm = 0;
    let Hm = 0;
    let Cm = 0;
    let cut = lo;
    for (let k = start; k < end; k++) {
      const i = index[k];
      const c = codes[i * features + f];
      if (c === nb) {
        Gm += grad[i];
        Hm += hess[i];
        Cm++;
      } else if (c === lo || (c !== hi && high[c] <= u)) {
        GL += grad[i];
        HL += hess[i];
        CL++;
        if (c > cut) cut = c;
      }
    }
    this.consider(f, cut, false, GL, HL, CL, node, params);
    if (Cm > 0) this.consider(f, cut, true, GL + Gm, HL + Hm, CL + Cm, node, params);
  }

  /** Extra-trees: one uniform threshold between the node's smallest and largest value. */
  private scanRandom(f: number, hist: Float64Array, off: number, nb: number, occ: Int32Array, T: number, node: Node, params: GrowParams): void {
    if (T < 2) return; // constant (or all missing) here
    const lo = occ[0];
    const hi = occ[T - 1];
    const low = this.data.binning.binLow[f];
    const high = this.data.binning.binHigh[f];
    const u = low[lo] + params.rng!.next() * (high[hi] - low[lo]);
    const ms = off + nb * 3;
    let GL = 0;
    let HL = 0;
    let CL = 0;
    let cut = lo;
    // Left: the occupied bins whose values all lie at or below u (at least lo, never hi).
    for (let t = 0; t < T - 1; t++) {
      const b = occ[t];
      if (t > 0 && high[b] > u) break;
      const s = off + b * 3;
      GL += hist[s];
      HL += hist[s + 1];
      CL += hist[s + 2];
      cut = b;
    }
    this.consider(f, cut, false, GL, HL, CL, node, params);
    if (hist[ms + 2] > 0) this.consider(f, cut, true, GL + hist[ms], HL + hist[ms + 1], CL + hist[ms + 2], node, params);
  }
}

function subtractInPlace(parent: Float64Array, child: Float64Array): void {
  for (let s = 0; s < parent.length; s++) parent[s] -= child[s];
}

function popBest(frontier: Node[]): Node {
  let best = 0;
  for (let k = 1; k < frontier.length; k++) if (frontier[k].split!.gain > frontier[best].split!.gain) best = k;
  const node = frontier[best];
  frontier[best] = frontier[frontier.length - 1];
  frontier.pop();
  return node;
}
