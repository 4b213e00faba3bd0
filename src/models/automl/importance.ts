import { Random } from '../../runtime/random.js';
import type { Matrix } from '../../learners/learner.js';
import { takeRows, takeValues } from '../../learners/preprocess.js';

export interface FeatureImportance {
  feature: string;
  /** Increase of the loss when the feature's values are shuffled. */
  importance: number;
}

/**
 * Permutation importance (Breiman 2001): the loss increase when one feature's column is shuffled.
 * All permutations go through the model in one batch (ensembles of many fold models have a large
 * cost per call); the row sample is sized from two timed probes so the pass fits `timeBudgetMs`.
 * Returns nothing when even 50 rows would not fit.
 */
export function permutationImportance(
  predict: (X: Matrix) => Float64Array,
  X: Matrix,
  y: Float64Array,
  loss: (y: ArrayLike<number>, p: ArrayLike<number>) => number,
  options: { seed: number; maxRows: number; timeBudgetMs: number },
): FeatureImportance[] {
  const start = performance.now();
  const rng = new Random(options.seed ^ 0x1a9b);
  const order = rng.permutation(X.rows);
  const timed = (n: number): number => {
    const Xp = takeRows(X, order.slice(0, Math.min(n, X.rows)));
    const t0 = performance.now();
    predict(Xp);
    return performance.now() - t0;
  };
  const [n1, n2] = [20, Math.min(200, X.rows)];
  const t1 = timed(n1);
  const t2 = timed(n2);
  const perRow = Math.max(1e-6, (t2 - t1) / Math.max(1, n2 - n1));
  const perCall = Math.max(0, t1 - perRow * n1);
  const F = X.columns.length;
  const left = options.timeBudgetMs - (performance.now() - start);
  const rows = Math.min(X.rows, options.maxRows, Math.floor((left - perCall) / (perRow * (F + 1))));
  if (rows < 50) return [];
  const index = Array.from(order.slice(0, rows)).sort((a, b) => a - b);
  const Xs = takeRows(X, index);
  const ys = takeValues(y, index);
  // Block 0: the rows as they are; block j+1: feature j shuffled.
  const columns = Xs.columns.map((col, c) => {
    const out = new Float64Array(rows * (F + 1));
    for (let b = 0; b <= F; b++) {
      const block = Float64Array.from(col);
      if (b === c + 1) rng.shuffle(block);
      out.set(block, b * rows);
    }
    return out;
  });
  const p = predict({ ...Xs, rows: rows * (F + 1), columns });
  // Values per row: 1, or K class probabilities.
  const width = p.length / (rows * (F + 1));
  const block = rows * width;
  const base = loss(ys, p.subarray(0, block));
  const out = X.names.map((feature, j) => ({
    feature,
    importance: loss(ys, p.subarray((j + 1) * block, (j + 2) * block)) - base,
  }));
  return out.sort((a, b) => b.importance - a.importance);
}
