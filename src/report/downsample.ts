/**
 * Keeping chart data small. Charts inline their data (in the .vl.json and as SVG paths), so a
 * 100k-point loss curve would make a 10 MB report that draws no better than 1,000 points.
 *
 * - `lttbIndices` / `downsampleRows`: Largest-Triangle-Three-Buckets (Steinarsson 2013) keeps the
 *   visual shape of a line (peaks and dips survive, flat stretches thin out). The line builder
 *   applies it per series when a chart has more than `maxPoints` rows per series.
 * - `strideRows`: evenly spaced rows, for scatter plots where every point weighs the same.
 */
/** Indices (ascending) of at most `maxPoints` points of (x[i], y[i]) chosen by LTTB. NaN y never chosen except ends. */
export function lttbIndices(x: ArrayLike<number>, y: ArrayLike<number>, maxPoints: number): number[] {
  const n = y.length;
  if (maxPoints >= n || n <= 2) return Array.from({ length: n }, (_, i) => i);
  if (maxPoints < 3) return maxPoints <= 1 ? [0] : [0, n - 1];
  const picked = [0];
  const bucket = (n - 2) / (maxPoints - 2);
  let a = 0;
  for (let b = 0; b < maxPoints - 2; b++) {
    const start = Math.floor(b * bucket) + 1;
    const end = Math.min(Math.floor((b + 1) * bucket) + 1, n - 1);
    // The average of the next bucket is the third corner of the triangle.
    const nextStart = end;
    const nextEnd = Math.min(Math.floor((b + 2) * bucket) + 1, n);
    let avgX = 0;
    let avgY = 0;
    let count = 0;
    for (let i = nextStart; i < nextEnd; i++) {
      if (Number.isFinite(y[i])) {
        avgX += x[i];
        avgY += y[i];
        count++;
      }
    }
    if (count > 0) {
      avgX /= count;
      avgY /= count;
    } else {
      avgX = x[n - 1];
      avgY = y[n - 1];
    }
    let best = -1;
    let bestArea = -1;
    for (let i = start; i < end; i++) {
      if (!Number.isFinite(y[i])) continue;
      const area = Math.abs((x[a] - avgX) * (y[i] - y[a]) - (x[a] - x[i]) * (avgY - y[a]));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    if (best >= 0) {
      picked.push(best);
      a = best;
    }
  }
  picked.push(n - 1);
  return picked;
}

/**
 * Thins line-chart rows to about `maxPoints` per series: LTTB on each y field (the union of the
 * picks, so every field keeps its own peaks), separately for each value of `groupBy`. Rows must be
 * ordered by x within a series. A non-numeric x (dates as strings) is treated as the row position.
 */
export function downsampleRows<R extends Record<string, unknown>>(
  rows: R[],
  options: { x: string; ys: string[]; maxPoints: number; groupBy?: string },
): R[] {
  const groups = new Map<unknown, number[]>();
  rows.forEach((row, i) => {
    const key = options.groupBy ? row[options.groupBy] : '';
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(i);
  });
  if ([...groups.values()].every((g) => g.length <= options.maxPoints)) return rows;
  const keep = new Set<number>();
  for (const members of groups.values()) {
    if (members.length <= options.maxPoints) {
      members.forEach((i) => keep.add(i));
      continue;
    }
    const xs = Float64Array.from(members, (i, k) => {
      const v = rows[i][options.x];
      return typeof v === 'number' ? v : k;
    });
    for (const field of options.ys) {
      const ys = Float64Array.from(members, (i) => {
        const v = rows[i][field];
        return typeof v === 'number' ? v : NaN;
      });
      for (const k of lttbIndices(xs, ys, options.maxPoints)) keep.add(members[k]);
    }
  }
  return rows.filter((_, i) => keep.has(i));
}

/** At most `maxRows` evenly spaced rows (first row always kept). */
export function strideRows<T>(rows: T[], maxRows: number): T[] {
  if (rows.length <= maxRows) return rows;
  return Array.from({ length: maxRows }, (_, k) => rows[Math.floor((k * rows.length) / maxRows)]);
}
