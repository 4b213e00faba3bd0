/**
 * Exact k-nearest-neighbour search (squared Euclidean distance) with a k-d tree: nodes split at
 * the median of their widest dimension down to `leafSize` points, and a query skips any box whose
 * nearest corner is farther than the current k-th neighbour. Ties are broken by the lower point
 * index, so the result equals a brute-force scan.
 */
export class KdTree {
  private readonly order: Int32Array;
  private readonly nodeStart: number[] = [];
  private readonly nodeEnd: number[] = [];
  private readonly nodeLeft: number[] = [];
  private readonly nodeRight: number[] = [];
  /** Per node, d lower then d upper bounds of its points. */
  private bounds: Float64Array = new Float64Array(0);
  private boundsList: number[] = [];

  constructor(
    private readonly points: Float64Array,
    private readonly n: number,
    private readonly d: number,
    private readonly leafSize = 30,
  ) {
    this.order = new Int32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = i;
    if (n > 0) this.build(0, n);
    this.bounds = Float64Array.from(this.boundsList);
    this.boundsList = [];
  }

  private build(start: number, end: number): number {
    const { d, points, order } = this;
    const id = this.nodeStart.length;
    this.nodeStart.push(start);
    this.nodeEnd.push(end);
    this.nodeLeft.push(-1);
    this.nodeRight.push(-1);
    const lo = new Array<number>(d).fill(Infinity);
    const hi = new Array<number>(d).fill(-Infinity);
    for (let k = start; k < end; k++) {
      const base = order[k] * d;
      for (let c = 0; c < d; c++) {
        const v = points[base + c];
        if (v < lo[c]) lo[c] = v;
        if (v > hi[c]) hi[c] = v;
      }
    }
    this.boundsList.push(...lo, ...hi);
    if (end - start <= this.leafSize) return id;
    let dim = 0;
    for (let c = 1; c < d; c++) if (hi[c] - lo[c] > hi[dim] - lo[dim]) dim = c;
    if (hi[dim] === lo[dim]) return id; // all points identical
    const mid = (start + end) >>> 1;
    this.select(start, end - 1, mid, dim);
    const left = this.build(start, mid);
    const right = this.build(mid, end);
    this.nodeLeft[id] = left;
    this.nodeRight[id] = right;
    return id;
  }

  /** Quickselect: order[start..end] rearranged so order[kth] has the kth smallest value in dim. */
  private select(lo: number, hi: number, kth: number, dim: number): void {
    const { order, points, d } = this;
    const value = (k: number) => points[order[k] * d + dim];
    while (hi > lo) {
      const pivot = value((lo + hi) >>> 1);
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (value(i) < pivot) i++;
        while (value(j) > pivot) j--;
        if (i <= j) {
          const t = order[i];
          order[i] = order[j];
          order[j] = t;
          i++;
          j--;
        }
      }
      if (kth <= j) hi = j;
      else if (kth >= i) lo = i;
      else return;
    }
  }

  /**
   * The k nearest points to q: squared distances ascending into bestD, point indices into bestI.
   * Returns how many were found (min(k, n)).
   */
  query(q: Float64Array, k: number, bestD: Float64Array, bestI: Int32Array, stack: Int32Array): number {
    const { d, points, order, bounds } = this;
    let filled = 0;
    let worst = Infinity;
    let worstIndex = -1;
    if (this.n === 0) return 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      // Distance from q to the node's box.
      const b = node * 2 * d;
      let boxDist = 0;
      for (let c = 0; c < d; c++) {
        const v = q[c];
        const lo = bounds[b + c];
        const hi = bounds[b + d + c];
        const gap = v < lo ? lo - v : v > hi ? v - hi : 0;
        boxDist += gap * gap;
      }
      if (boxDist > worst) continue;
      const left = this.nodeLeft[node];
      if (left >= 0) {
        const right = this.nodeRight[node];
        // Visit the nearer child first: push it last.
        const dl = centerDistance(q, bounds, left, d);
        const dr = centerDistance(q, bounds, right, d);
        if (dl <= dr) {
          stack[top++] = right;
          stack[top++] = left;
        } else {
          stack[top++] = left;
          stack[top++] = right;
        }
        continue;
      }
      for (let s = this.nodeStart[node]; s < this.nodeEnd[node]; s++) {
        const i = order[s];
        const base = i * d;
        let dist = 0;
        for (let c = 0; c < d; c++) {
          const diff = points[base + c] - q[c];
          dist += diff * diff;
          if (dist > worst) break;
        }
        if (filled === k && (dist > worst || (dist === worst && i > worstIndex))) continue;
        let pos = filled < k ? filled++ : k - 1;
        while (pos > 0 && (bestD[pos - 1] > dist || (bestD[pos - 1] === dist && bestI[pos - 1] > i))) {
          bestD[pos] = bestD[pos - 1];
          bestI[pos] = bestI[pos - 1];
          pos--;
        }
        bestD[pos] = dist;
        bestI[pos] = i;
        if (filled === k) {
          worst = bestD[k - 1];
          worstIndex = bestI[k - 1];
        }
      }
    }
    return filled;
  }

  /** Stack size a query needs. */
  get stackSize(): number {
    return this.nodeStart.length + 1;
  }
}

function centerDistance(q: Float64Array, bounds: Float64Array, node: number, d: number): number {
  const b = node * 2 * d;
  let s = 0;
  for (let c = 0; c < d; c++) {
    const diff = q[c] - 0.5 * (bounds[b + c] + bounds[b + d + c]);
    s += diff * diff;
  }
  return s;
}
