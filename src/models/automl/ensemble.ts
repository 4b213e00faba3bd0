/**
 * Ensembles over the out-of-fold predictions of the kept trials (one value per row, or row-major
 * class probabilities, which greedy selection averages the same way):
 * - greedy ensemble selection with replacement (Caruana et al. 2004), started from the best single
 *   model and cut at its best round, so it is never worse in CV than its best member;
 * - stacking: a second-level learner on the members' out-of-fold predictions (optionally beside the
 *   original features), scored on the same folds.
 */
import type { Learner, LearnerFactory, Matrix, Params } from '../../learners/learner.js';
import { takeRows, takeValues } from '../../learners/preprocess.js';

export type Loss = (y: ArrayLike<number>, p: ArrayLike<number>) => number;

export interface GreedyResult {
  /** Weight per member (non-negative, summing to 1). */
  weights: number[];
  loss: number;
  /** CV loss after each round (round 0: the best single model). */
  history: number[];
}

/** Clips predictions below at `min` (0 for non-negative targets); null leaves them alone. */
export function clampBelow(p: Float64Array, min: number | null): Float64Array {
  if (min !== null) for (let i = 0; i < p.length; i++) if (p[i] < min) p[i] = min;
  return p;
}

export function weightedSum(preds: Float64Array[], weights: number[]): Float64Array {
  const n = preds[0]?.length ?? 0;
  const out = new Float64Array(n);
  for (let m = 0; m < preds.length; m++) {
    const w = weights[m];
    if (w === 0) continue;
    const p = preds[m];
    for (let i = 0; i < n; i++) out[i] += w * p[i];
  }
  return out;
}

export function greedySelection(preds: Float64Array[], y: Float64Array, loss: Loss, rounds: number): GreedyResult {
  const M = preds.length;
  if (M === 0) throw new Error('greedy ensemble selection needs at least one model');
  // One value per row, or (classification) K probabilities per row.
  const n = preds[0].length;
  const counts = new Array<number>(M).fill(0);
  let first = 0;
  let firstLoss = Infinity;
  for (let m = 0; m < M; m++) {
    const l = loss(y, preds[m]);
    if (l < firstLoss) [firstLoss, first] = [l, m];
  }
  counts[first] = 1;
  const sum = Float64Array.from(preds[first]);
  let size = 1;
  const history = [firstLoss];
  let bestLoss = firstLoss;
  let bestCounts = counts.slice();
  const trial = new Float64Array(n);
  for (let r = 0; r < rounds; r++) {
    let pick = -1;
    let pickLoss = Infinity;
    for (let m = 0; m < M; m++) {
      const p = preds[m];
      for (let i = 0; i < n; i++) trial[i] = (sum[i] + p[i]) / (size + 1);
      const l = loss(y, trial);
      if (l < pickLoss) [pickLoss, pick] = [l, m];
    }
    counts[pick]++;
    size++;
    const p = preds[pick];
    for (let i = 0; i < n; i++) sum[i] += p[i];
    history.push(pickLoss);
    if (pickLoss < bestLoss) {
      bestLoss = pickLoss;
      bestCounts = counts.slice();
    }
  }
  const total = bestCounts.reduce((a, b) => a + b, 0);
  return { weights: bestCounts.map((c) => c / total), loss: bestLoss, history };
}

/** The level-2 design: one column per member prediction, then (optionally) the original features. */
export function stackMatrix(preds: Float64Array[], names: string[], X: Matrix | null): Matrix {
  const columns: Float64Array[] = [...preds];
  const colNames = [...names];
  const categorical: boolean[] = preds.map(() => false);
  const categories: number[] = preds.map(() => 0);
  if (X) {
    X.columns.forEach((c, j) => {
      columns.push(Float64Array.from(c));
      colNames.push(X.names[j]);
      categorical.push(X.categorical?.[j] ?? false);
      categories.push(X.categories?.[j] ?? 0);
    });
  }
  return { rows: preds[0].length, columns, names: colNames, categorical, categories };
}

export interface StackResult {
  oof: Float64Array;
  loss: number;
  /** The stacker fitted on every training row, for the holdout and for predict. */
  model: Learner;
}

/** Scores a second-level learner on the given folds (its own out-of-fold predictions), then fits it on all rows. */
export async function stack(
  design: Matrix,
  y: Float64Array,
  folds: Int32Array,
  k: number,
  factory: LearnerFactory,
  params: Partial<Params>,
  seed: number,
  loss: Loss,
): Promise<StackResult> {
  const oof = new Float64Array(y.length);
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const valid: number[] = [];
    for (let i = 0; i < y.length; i++) (folds[i] === f ? valid : train).push(i);
    const learner = factory.create(params);
    await learner.fit(takeRows(design, train), takeValues(y, train), { seed: seed + f });
    const p = learner.predict(takeRows(design, valid));
    for (let i = 0; i < valid.length; i++) oof[valid[i]] = p[i];
  }
  const model = factory.create(params);
  await model.fit(design, y, { seed: seed + k });
  return { oof, loss: loss(y, oof), model };
}
