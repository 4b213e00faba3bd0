import { Random } from '../runtime/random.js';

/** A seeded holdout split: `trainCount` rows for the search, the rest held out. Indices ascending. */
export function holdoutSplit(
  rows: number,
  trainCount: number,
  seed: number,
): { train: Int32Array; holdout: Int32Array } {
  const perm = new Random(seed ^ 0x5eed).permutation(rows);
  const train = perm.slice(0, trainCount).sort();
  const holdout = perm.slice(trainCount).sort();
  return { train, holdout };
}

/** Fold number (0..k-1) of each row: a seeded permutation dealt round-robin, so folds differ in size by at most one. */
export function kFoldAssignment(rows: number, k: number, seed: number): Int32Array {
  const perm = new Random(seed ^ 0xf01d).permutation(rows);
  const fold = new Int32Array(rows);
  for (let i = 0; i < rows; i++) fold[perm[i]] = i % k;
  return fold;
}

/**
 * A seeded stratified holdout split: within each class a seeded permutation, the first
 * round(share) rows go to training (at least one per class when the class has two or more rows).
 */
export function stratifiedHoldoutSplit(
  y: ArrayLike<number>,
  trainCount: number,
  seed: number,
): { train: Int32Array; holdout: Int32Array } {
  const byClass = rowsByClass(y);
  const share = trainCount / y.length;
  const rng = new Random(seed ^ 0x5eed);
  const train: number[] = [];
  const holdout: number[] = [];
  for (const rows of byClass) {
    const perm = rng.permutation(rows.length);
    let keep = Math.round(share * rows.length);
    if (rows.length >= 2) keep = Math.min(rows.length - 1, Math.max(1, keep));
    perm.forEach((p, j) => (j < keep ? train : holdout).push(rows[p]));
  }
  return { train: Int32Array.from(train).sort(), holdout: Int32Array.from(holdout).sort() };
}

/**
 * Stratified fold numbers: each class's rows in a seeded order are dealt round-robin, continuing
 * where the previous class stopped, so every fold gets its share of every class (within one row)
 * and the folds differ in size by at most one.
 */
export function stratifiedKFoldAssignment(y: ArrayLike<number>, k: number, seed: number): Int32Array {
  const byClass = rowsByClass(y);
  const rng = new Random(seed ^ 0xf01d);
  const fold = new Int32Array(y.length);
  let next = 0;
  for (const rows of byClass) {
    const perm = rng.permutation(rows.length);
    for (let j = 0; j < rows.length; j++) fold[rows[perm[j]]] = next++ % k;
  }
  return fold;
}

function rowsByClass(y: ArrayLike<number>): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < y.length; i++) (out[y[i]] ??= []).push(i);
  return out.map((rows) => rows ?? []);
}
