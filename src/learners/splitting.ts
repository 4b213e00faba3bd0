/**
 * Split finding on histograms (scikit-learn's splitting.pyx): the best split of a node over its
 * candidate features, maximizing the second-order gain GL^2/(HL+l2) + GR^2/(HR+l2) - G^2/(H+l2)
 * with missing values tried on both sides; categorical features split into two sets of categories
 * (LightGBM's ordering by G/(H + smoothing)); extra-trees draw one random threshold per feature.
 * Nodes without a histogram (small ones) are scanned one feature at a time from their rows.
 */
import type { Random } from '../runtime/random.js';
import type { BinnedData } from './binning.js';
import type { HistogramBuilder } from './histogram.js';

/** How a tree is grown: the grower's limits (leaves, depth, rows to split) and the split finder's. */
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

export interface Split {
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

/** What split finding reads of a node: its rows index[start..end), their sums, and its histogram (none for small nodes). */
export interface SplitNode {
  start: number;
  end: number;
  G: number;
  H: number;
  C: number;
  hist: Float64Array | undefined;
}

/**
 * What the scans of one candidate feature read: the node, its rows and the grower's settings (fixed
 * for one find) with its histogram (none for a small node: the sparse one, filled feature by feature),
 * the feature's slots in it (from `off`, nb value bins then the missing bin), and its T occupied
 * value bins in ascending order (`occ`).
 */
interface FeatureScan {
  node: SplitNode;
  params: GrowParams;
  grad: Float64Array;
  hess: Float64Array;
  index: Int32Array;
  f: number;
  off: number;
  nb: number;
  hist: Float64Array;
  occ: Int32Array;
  T: number;
}

export class SplitFinder {
  private readonly candidates: Int32Array;
  private readonly missingBin: Int32Array;

  // The best split found so far by the current find().
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

  constructor(
    private readonly data: BinnedData,
    private readonly histograms: HistogramBuilder,
  ) {
    this.candidates = new Int32Array(data.features);
    this.missingBin = data.binning.nBins;
  }

  /**
   * The best split of a node over its candidate features, from its histogram or (small nodes)
   * from a per-feature sparse histogram of its rows; undefined when no split gains.
   */
  find(
    node: SplitNode,
    params: GrowParams,
    grad: Float64Array,
    hess: Float64Array,
    index: Int32Array,
  ): Split | undefined {
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
    const occ = this.histograms.occupied;
    const dense = node.hist !== undefined;
    const hist = node.hist ?? this.histograms.sparseHist;
    const scan: FeatureScan = { node, params, grad, hess, index, f: 0, off: 0, nb: 0, hist, occ, T: 0 };
    for (let c = 0; c < take; c++) {
      const f = cand[c];
      const nb = nBins[f];
      const off = offsets[f] * 3;
      scan.f = f;
      scan.off = off;
      scan.nb = nb;
      if (dense) {
        let T = 0;
        for (let b = 0; b < nb; b++) if (hist[off + b * 3 + 2] > 0) occ[T++] = b;
        scan.T = T;
      } else if (params.randomThresholds) {
        this.randomDirect(scan);
        continue;
      } else {
        scan.T = this.histograms.accumulateSparse(f, off, nb, grad, hess, index, node.start, node.end);
      }
      if (params.categoricalSplits && this.data.binning.categorical[f]) this.scanCategorical(scan);
      else if (params.randomThresholds) this.scanRandom(scan);
      else this.scanPrefixes(scan, occ, false);
      if (!dense) this.histograms.clearSparse(off, nb, scan.T);
    }
    if (this.bestFeature < 0) return undefined;
    const gain = this.bestScore - parentScore;
    // A gain lost in rounding noise (a pure node) is no split.
    if (!(gain > params.minGain) || gain <= 1e-10 * this.bestScore) return undefined;
    const split: Split = {
      feature: this.bestFeature,
      bin: this.bestBin,
      missingLeft: this.bestMissingLeft,
      gain,
      GL: this.bestGL,
      HL: this.bestHL,
      CL: this.bestCL,
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

  private consider(
    f: number,
    bin: number,
    missingLeft: boolean,
    GL: number,
    HL: number,
    CL: number,
    node: SplitNode,
    params: GrowParams,
  ): void {
    const CR = node.C - CL;
    const HR = node.H - HL;
    if (
      CL < params.minSamplesLeaf ||
      CR < params.minSamplesLeaf ||
      HL < params.minChildWeight ||
      HR < params.minChildWeight
    )
      return;
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
  private scanCategorical(scan: FeatureScan): void {
    const { hist, off, occ, T } = scan;
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
    const bestPrefix = this.scanPrefixes(scan, order, true);
    if (this.bestScore > before && bestPrefix > 0) this.bestCatBins = order.slice(0, bestPrefix);
  }

  /**
   * Tries each proper prefix of bins[0..T) as the left side, missing values on either side, then
   * missing values alone on the right; returns the length of the prefix that last improved the
   * best split (-1: none). A categorical split's bin field is unused (its categories go left).
   */
  private scanPrefixes(scan: FeatureScan, bins: Int32Array, categorical: boolean): number {
    const { f, hist, off, nb, T, node, params } = scan;
    const ms = off + nb * 3;
    const Gm = hist[ms];
    const Hm = hist[ms + 1];
    const Cm = hist[ms + 2];
    let GL = 0;
    let HL = 0;
    let CL = 0;
    let bestPrefix = -1;
    for (let t = 0; t < T - 1; t++) {
      const b = bins[t];
      const s = off + b * 3;
      GL += hist[s];
      HL += hist[s + 1];
      CL += hist[s + 2];
      const score = this.bestScore;
      const bin = categorical ? 0 : b;
      this.consider(f, bin, false, GL, HL, CL, node, params);
      if (Cm > 0) this.consider(f, bin, true, GL + Gm, HL + Hm, CL + Cm, node, params);
      if (this.bestScore > score) bestPrefix = t + 1;
    }
    // Missing values alone on the right.
    if (Cm > 0 && T > 0) {
      const score = this.bestScore;
      this.consider(f, categorical ? 0 : nb - 1, false, node.G - Gm, node.H - Hm, node.C - Cm, node, params);
      if (this.bestScore > score) bestPrefix = T;
    }
    return bestPrefix;
  }

  /** scanRandom for a small node, straight from its rows (same draws, same split). */
  private randomDirect(scan: FeatureScan): void {
    const { f, nb, grad, hess, index, node, params } = scan;
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
  private scanRandom(scan: FeatureScan): void {
    const { f, hist, off, nb, occ, T, node, params } = scan;
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
    if (hist[ms + 2] > 0)
      this.consider(f, cut, true, GL + hist[ms], HL + hist[ms + 1], CL + hist[ms + 2], node, params);
  }
}
