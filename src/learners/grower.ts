/**
 * Grows one histogram tree on binned data, for gradient boosting and for forests alike (the
 * orchestration of scikit-learn's grower.py; histograms in `histogram.ts`, splits in
 * `splitting.ts`).
 *
 * Each node's gradient/hessian/count histogram (one slot per bin, plus the missing bin) is built
 * only for the smaller child; the larger child's is the parent's minus it (the subtraction trick).
 * With a leaf budget the frontier is expanded best-gain-first (leaf-wise, as LightGBM); without
 * one it is depth-first, which bounds the histograms held at once.
 *
 * Forests pass grad = w*y, hess = w, l2 = 0: the gain is then exactly the variance reduction.
 */
import type { BinnedData } from './binning.js';
import { HistogramBuilder, subtractInPlace } from './histogram.js';
import { SplitFinder, type GrowParams, type Split } from './splitting.js';
import { TreeBuilder, type FlatTree } from './tree.js';

export interface GrownTree {
  tree: FlatTree;
  /** Leaf node ids and their row ranges [start, end) in the row index after partitioning. */
  leafNodes: Int32Array;
  leafStart: Int32Array;
  leafEnd: Int32Array;
}

/** Computes a leaf's value from its sums (and its rows: index[start..end)), e.g. -G/(H+l2). */
export type LeafValue = (G: number, H: number, start: number, end: number) => number;

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
  private readonly scratch: Int32Array;
  private readonly histograms: HistogramBuilder;
  private readonly splitter: SplitFinder;
  /** Nodes with fewer rows skip histograms: their splits come from their rows directly. */
  private readonly sparseBelow: number;
  readonly missingBin: Int32Array;

  constructor(readonly data: BinnedData) {
    this.scratch = new Int32Array(data.rows);
    this.missingBin = data.binning.nBins;
    this.histograms = new HistogramBuilder(data);
    this.splitter = new SplitFinder(data, this.histograms);
    // Dense costs ~7 passes over all slots per node; sparse ~3 passes over the node's rows per feature.
    this.sparseBelow = Math.max(8, Math.floor((2.5 * data.binning.totalSlots) / Math.max(1, data.features)));
  }

  /**
   * Grows a tree over the rows index[0..count) (the index is permuted in place: each leaf's rows end
   * up contiguous). Adds each split's gain to importance[feature] when given.
   */
  grow(
    grad: Float64Array,
    hess: Float64Array,
    index: Int32Array,
    count: number,
    params: GrowParams,
    leafValue: LeafValue,
    importance?: Float64Array,
  ): GrownTree {
    const builder = new TreeBuilder();
    const leafNodes: number[] = [];
    const leafStart: number[] = [];
    const leafEnd: number[] = [];
    const finalize = (node: Node) => {
      builder.value[node.id] = leafValue(node.G, node.H, node.start, node.end);
      leafNodes.push(node.id);
      leafStart.push(node.start);
      leafEnd.push(node.end);
      if (node.hist) this.histograms.release(node.hist);
      node.hist = undefined;
    };

    let G = 0;
    let H = 0;
    for (let k = 0; k < count; k++) {
      const i = index[k];
      G += grad[i];
      H += hess[i];
    }
    const root: Node = {
      id: builder.addNode(),
      start: 0,
      end: count,
      depth: 0,
      G,
      H,
      C: count,
      hist: undefined,
      split: undefined,
    };
    const bestFirst = Number.isFinite(params.maxLeaves);
    const frontier: Node[] = [];
    let leaves = 1;
    if (this.canSplit(root, params)) {
      if (root.C >= this.sparseBelow) {
        root.hist = this.histograms.acquire();
        this.histograms.build(root.hist, grad, hess, index, 0, count);
      }
      root.split = this.splitter.find(root, params, grad, hess, index);
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
        id: leftId,
        start: node.start,
        end: mid,
        depth: node.depth + 1,
        G: split.GL,
        H: split.HL,
        C: split.CL,
        hist: undefined,
        split: undefined,
      };
      const right: Node = {
        id: rightId,
        start: mid,
        end: node.end,
        depth: node.depth + 1,
        G: node.G - split.GL,
        H: node.H - split.HL,
        C: node.C - split.CL,
        hist: undefined,
        split: undefined,
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
        const smallHist = this.histograms.acquire();
        this.histograms.build(smallHist, grad, hess, index, small.start, small.end);
        subtractInPlace(parentHist, smallHist);
        large.hist = parentHist;
        if (denseSmall) small.hist = smallHist;
        else this.histograms.release(smallHist);
      } else {
        if (parentHist) this.histograms.release(parentHist);
        if (denseLarge) {
          large.hist = this.histograms.acquire();
          this.histograms.build(large.hist, grad, hess, index, large.start, large.end);
        }
        if (denseSmall) {
          small.hist = this.histograms.acquire();
          this.histograms.build(small.hist, grad, hess, index, small.start, small.end);
        }
      }
      if (wantLeft) left.split = this.splitter.find(left, params, grad, hess, index);
      if (wantRight) right.split = this.splitter.find(right, params, grad, hess, index);
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
}

function popBest(frontier: Node[]): Node {
  let best = 0;
  for (let k = 1; k < frontier.length; k++) if (frontier[k].split!.gain > frontier[best].split!.gain) best = k;
  const node = frontier[best];
  frontier[best] = frontier[frontier.length - 1];
  frontier.pop();
  return node;
}
