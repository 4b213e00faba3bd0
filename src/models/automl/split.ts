import { Random } from '../../runtime/random.js';

/** A seeded holdout split: `trainCount` rows for the search, the rest held out. Indices ascending. */
export function holdoutSplit(rows: number, trainCount: number, seed: number): { train: Int32Array; holdout: Int32Array } {
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
