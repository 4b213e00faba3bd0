import { UserError } from '../../runtime/errors.js';
import { Random } from '../../runtime/random.js';
import { nearestEven, slope } from '../../data/knots/columns.js';
import type { KnotData } from '../../data/knots/load.js';

export interface Split {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/** A seeded random split of row indices into train / validation / test. */
export function splitRows(
  n: number,
  validationFraction: number,
  testFraction: number,
  seed: number,
  where: string,
): Split {
  if (validationFraction + testFraction >= 0.9) {
    throw new UserError(
      `${where}: data.validation_fraction + data.test_fraction: expected a sum below 0.9 (training needs rows), got ${validationFraction + testFraction}`,
    );
  }
  const order = new Random(seed).fork('knots-split').permutation(n);
  const nTest = Math.round(n * testFraction);
  const nValidation = Math.round(n * validationFraction);
  if (nTest < 1 || nValidation < 1 || n - nTest - nValidation < 2) {
    throw new UserError(
      `${where}: expected enough rows for a train/validation/test split, got ${n} (validation ${nValidation}, test ${nTest})`,
    );
  }
  return {
    test: order.slice(0, nTest),
    validation: order.slice(nTest, nTest + nValidation),
    train: order.slice(nTest + nValidation),
  };
}

/** Fewest rows a split should have for its metric to mean something. */
const FEW_SPLIT_ROWS = 20;

/** A warning when a split is a handful of rows (`synthetic_rows: 5`): its metrics are noise. */
export function smallSplitWarning(rows: Split): string | undefined {
  const thin = (['train', 'validation', 'test'] as const).filter((k) => rows[k].length < FEW_SPLIT_ROWS);
  if (!thin.length) return undefined;
  return `${thin.map((k) => `the ${k} split has ${rows[k].length} rows`).join(', ')} (fewer than ${FEW_SPLIT_ROWS}): its metrics are noise; use more rows (data.synthetic_rows or a larger file)`;
}

export function pick(values: Float64Array, rows: Int32Array): Float64Array {
  return Float64Array.from(rows, (r) => values[r]);
}

export function meanSquaredError(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  let ss = 0;
  for (let i = 0; i < truth.length; i++) ss += (predicted[i] - truth[i]) ** 2;
  return ss / truth.length;
}

/** Share of rows whose prediction, rounded to the nearest even integer, equals the signature. */
export function evenAccuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (nearestEven(predicted[i]) === truth[i]) hits++;
  return hits / truth.length;
}

/** slope(K)/2 for the selected rows: the formula of Davies et al. the model is compared with. */
export function slopeOverTwo(data: KnotData, rows: Int32Array): Float64Array {
  return Float64Array.from(
    rows,
    (r) => slope(data.longitudinal[r], data.meridionalReal[r], data.meridionalImag[r]) / 2,
  );
}
