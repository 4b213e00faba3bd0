import { Random } from '../../src/runtime/random.js';
import type { Learner, Matrix } from '../../src/learners/learner.js';
import { learnerFromJSON } from '../../src/learners/registry.js';

export interface Dataset {
  X: Matrix;
  y: Float64Array;
}

/** Friedman #1: y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + noise, x5..x(d-1) irrelevant. */
export function friedman(n: number, seed: number, noise = 1, d = 8): Dataset {
  const rng = new Random(seed);
  const columns = Array.from({ length: d }, () => new Float64Array(n));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) columns[j][i] = rng.next();
    const x = (j: number) => columns[j][i];
    y[i] = 10 * Math.sin(Math.PI * x(0) * x(1)) + 20 * (x(2) - 0.5) ** 2 + 10 * x(3) + 5 * x(4) + noise * rng.normal();
  }
  return { X: { rows: n, columns, names: columns.map((_, j) => `x${j}`) }, y };
}

export function rmse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

export function std(y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m += y[i];
  m /= y.length;
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - m) ** 2;
  return Math.sqrt(s / y.length);
}

export function matrix(columns: number[][] | Float64Array[], names?: string[]): Matrix {
  const cols = columns.map((c) => Float64Array.from(c));
  return { rows: cols[0]?.length ?? 0, columns: cols, names: names ?? cols.map((_, j) => `x${j}`) };
}

/** Saves through JSON text and reloads with the registry, as `sciml evaluate` would. */
export function roundTrip(model: Learner): Learner {
  const text = JSON.stringify(model.toJSON());
  return learnerFromJSON(JSON.parse(text));
}
