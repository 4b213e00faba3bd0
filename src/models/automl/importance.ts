import { Random } from '../../runtime/random.js';
import type { Matrix } from '../tabular/learner.js';
import { takeRows, takeValues } from '../tabular/preprocess.js';

export interface FeatureImportance {
  feature: string;
  /** Increase of the loss when the feature's values are shuffled. */
  importance: number;
}

/**
 * Permutation importance (Breiman 2001): the loss increase when one feature's column is shuffled.
 * The row sample is sized from a timed probe so the whole pass fits `timeBudgetMs`; if it still runs
 * over (by half), it gives up and returns nothing rather than a partial ranking.
 */
export function permutationImportance(predict: (X: Matrix) => Float64Array, X: Matrix, y: Float64Array, loss: (y: ArrayLike<number>, p: ArrayLike<number>) => number, options: { seed: number; maxRows: number; timeBudgetMs: number }): FeatureImportance[] {
  const start = performance.now();
  const rng = new Random(options.seed ^ 0x1a9b);
  const order = rng.permutation(X.rows);
  const probeRows = Math.min(100, X.rows);
  const probe = takeRows(X, order.slice(0, probeRows));
  predict(probe); // warm-up
  const t0 = performance.now();
  predict(probe);
  const perRow = Math.max(1e-6, (performance.now() - t0) / probeRows);
  const left = options.timeBudgetMs - (performance.now() - start);
  const rows = Math.min(X.rows, options.maxRows, Math.floor(left / ((X.columns.length + 1) * perRow)));
  if (rows < 50) return [];
  const index = Array.from(order.slice(0, rows)).sort((a, b) => a - b);
  const Xs = takeRows(X, index);
  const ys = takeValues(y, index);
  const base = loss(ys, predict(Xs));
  const stopAt = start + 1.5 * options.timeBudgetMs;
  const out: FeatureImportance[] = [];
  for (let j = 0; j < X.columns.length; j++) {
    if (performance.now() > stopAt) return [];
    const shuffled = Float64Array.from(Xs.columns[j]);
    rng.shuffle(shuffled);
    const columns = Xs.columns.slice() as Float64Array[];
    columns[j] = shuffled;
    out.push({ feature: X.names[j], importance: loss(ys, predict({ ...Xs, columns })) - base });
  }
  return out.sort((a, b) => b.importance - a.importance);
}
