/**
 * Gradient/hessian/count histograms of binned data (scikit-learn's histogram.pyx): one slot of
 * three numbers per bin of every feature, plus each feature's missing bin. Dense histograms of a
 * node's rows over all features, from a pool the grower returns them to; for small nodes, one
 * feature at a time into a scratch histogram kept all-zero between uses.
 */
import type { BinnedData } from './binning.js';

export class HistogramBuilder {
  private readonly pool: Float64Array[] = [];
  private readonly orderedGrad: Float64Array;
  private readonly orderedHess: Float64Array;
  /** Kept all-zero between uses: small nodes accumulate one feature at a time into it. */
  readonly sparseHist: Float64Array;
  /** The occupied value bins of the last accumulateSparse (or of a dense feature, filled by the splitter). */
  readonly occupied: Int32Array;

  constructor(private readonly data: BinnedData) {
    this.orderedGrad = new Float64Array(data.rows);
    this.orderedHess = new Float64Array(data.rows);
    this.sparseHist = new Float64Array(data.binning.totalSlots * 3);
    this.occupied = new Int32Array(257);
  }

  acquire(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.data.binning.totalSlots * 3);
  }

  release(hist: Float64Array): void {
    this.pool.push(hist);
  }

  /** The histogram of the rows index[start..end) over every feature, into `hist`. */
  build(
    hist: Float64Array,
    grad: Float64Array,
    hess: Float64Array,
    index: Int32Array,
    start: number,
    end: number,
  ): void {
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

  /** Accumulates feature f of the rows into sparseHist; lists the occupied value bins, sorted, in `occupied`; returns how many. */
  accumulateSparse(
    f: number,
    off: number,
    nb: number,
    grad: Float64Array,
    hess: Float64Array,
    index: Int32Array,
    start: number,
    end: number,
  ): number {
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

  /** Zeroes what accumulateSparse wrote for feature f (its T occupied bins and its missing bin). */
  clearSparse(off: number, nb: number, T: number): void {
    const hist = this.sparseHist;
    const occ = this.occupied;
    for (let t = 0; t < T; t++) {
      const s = off + occ[t] * 3;
      hist[s] = hist[s + 1] = hist[s + 2] = 0;
    }
    const ms = off + nb * 3;
    hist[ms] = hist[ms + 1] = hist[ms + 2] = 0;
  }
}

/** The subtraction trick: parent -= child leaves the sibling's histogram in `parent`. */
export function subtractInPlace(parent: Float64Array, child: Float64Array): void {
  for (let s = 0; s < parent.length; s++) parent[s] -= child[s];
}
