/**
 * Probability calibration for learners whose probabilities are votes (forests' leaf frequencies,
 * k-NN's neighbour votes): q_k proportional to (p_k + eps)^a, a temperature on the smoothed
 * log-probabilities. eps from a small grid and a by golden-section search minimize the log loss of
 * the out-of-fold probabilities; `crossFitted` fits it on the other folds' rows for each fold, so the
 * calibrated out-of-fold predictions stay honest.
 */
import { logLossOfProba } from '../../learners/class-losses.js';
import { gatherRows, softmaxRows } from '../../learners/classifier.js';

export interface PowerCalibration {
  eps: number;
  power: number;
}

const EPS_GRID = [1e-4, 3e-3, 3e-2];

export function applyCalibration(P: Float64Array, K: number, c: PowerCalibration): Float64Array {
  return softmaxRows(
    P.map((p) => c.power * Math.log(p + c.eps)),
    K,
  );
}

const MAX_FIT_ROWS = 3000;

export function fitCalibration(yAll: ArrayLike<number>, PAll: Float64Array, K: number): PowerCalibration {
  // A systematic row sample is plenty for two parameters.
  const stride = Math.ceil(yAll.length / MAX_FIT_ROWS);
  const rows = Array.from({ length: Math.ceil(yAll.length / stride) }, (_, j) => j * stride);
  const y = stride > 1 ? rows.map((i) => yAll[i]) : yAll;
  const P = stride > 1 ? gatherRows(PAll, rows, K) : PAll;
  let best: PowerCalibration = { eps: 1e-3, power: 1 };
  let bestLoss = Infinity;
  for (const eps of EPS_GRID) {
    const f = (a: number) => logLossOfProba(y, applyCalibration(P, K, { eps, power: a }), K);
    // Golden-section search on the power in [0.05, 5].
    let lo = 0.05;
    let hi = 5;
    const g = (Math.sqrt(5) - 1) / 2;
    let x1 = hi - g * (hi - lo);
    let x2 = lo + g * (hi - lo);
    let f1 = f(x1);
    let f2 = f(x2);
    for (let it = 0; it < 18; it++) {
      if (f1 <= f2) {
        hi = x2;
        x2 = x1;
        f2 = f1;
        x1 = hi - g * (hi - lo);
        f1 = f(x1);
      } else {
        lo = x1;
        x1 = x2;
        f1 = f2;
        x2 = lo + g * (hi - lo);
        f2 = f(x2);
      }
    }
    const a = f1 <= f2 ? x1 : x2;
    const l = Math.min(f1, f2);
    if (l < bestLoss) [bestLoss, best] = [l, { eps, power: a }];
  }
  return best;
}

/** Calibrated out-of-fold probabilities, each fold's map fitted on the other folds' rows. */
export function crossFitted(
  y: ArrayLike<number>,
  oof: Float64Array,
  K: number,
  folds: Int32Array,
  k: number,
): Float64Array {
  const out = new Float64Array(oof.length);
  for (let f = 0; f < k; f++) {
    const inRows: number[] = [];
    const outRows: number[] = [];
    for (let i = 0; i < y.length; i++) (folds[i] === f ? outRows : inRows).push(i);
    if (outRows.length === 0) continue;
    const c = fitCalibration(
      inRows.map((i) => y[i]),
      gatherRows(oof, inRows, K),
      K,
    );
    const calibrated = applyCalibration(gatherRows(oof, outRows, K), K, c);
    outRows.forEach((i, j) => out.set(calibrated.subarray(j * K, (j + 1) * K), i * K));
  }
  return out;
}
