/**
 * Leak detection: a feature (or a few together) that nearly determines the target, such as parts
 * that add up to it. Flags a single column with |r| above a threshold, and a linear combination of
 * numeric columns with R^2 above a threshold, naming the smallest set found by forward selection.
 */
import type { Matrix } from '../learners/learner.js';

export interface LeakFinding {
  columns: string[];
  kind: 'correlation' | 'linear_combination';
  /** |r| for a correlation, R^2 for a combination. */
  value: number;
  message: string;
}

function numericColumns(X: Matrix): { name: string; values: Float64Array }[] {
  const out: { name: string; values: Float64Array }[] = [];
  for (let j = 0; j < X.columns.length; j++) {
    if (X.categorical?.[j]) continue;
    out.push({ name: X.names[j], values: Float64Array.from(X.columns[j]) });
  }
  return out;
}

/** Rows where the target and every numeric column are present. */
function completeRows(cols: { values: Float64Array }[], y: Float64Array): number[] {
  const rows: number[] = [];
  for (let i = 0; i < y.length; i++)
    if (Number.isFinite(y[i]) && cols.every((c) => Number.isFinite(c.values[i]))) rows.push(i);
  return rows;
}

function centered(values: Float64Array, rows: number[]): Float64Array {
  const out = new Float64Array(rows.length);
  let mean = 0;
  for (let i = 0; i < rows.length; i++) mean += values[rows[i]];
  mean /= rows.length || 1;
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]] - mean;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** R^2 of least squares of y on the centered columns (Cholesky on the Gram matrix, tiny ridge). */
function rSquared(columns: Float64Array[], y: Float64Array): number {
  const p = columns.length;
  const syy = dot(y, y);
  if (p === 0 || syy === 0) return 0;
  const g = new Float64Array(p * p);
  const b = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    b[a] = dot(columns[a], y);
    for (let c = 0; c <= a; c++) g[a * p + c] = g[c * p + a] = dot(columns[a], columns[c]);
  }
  for (let a = 0; a < p; a++) g[a * p + a] += 1e-12 * (g[a * p + a] + 1e-300);
  // Cholesky: g = L L^T, skipping (near-)dependent columns.
  const L = new Float64Array(p * p);
  const usable = new Array<boolean>(p).fill(true);
  for (let a = 0; a < p; a++) {
    let d = g[a * p + a];
    for (let k = 0; k < a; k++) d -= L[a * p + k] * L[a * p + k];
    if (!(d > 1e-10 * g[a * p + a])) {
      usable[a] = false;
      continue;
    }
    L[a * p + a] = Math.sqrt(d);
    for (let c = a + 1; c < p; c++) {
      let s = g[c * p + a];
      for (let k = 0; k < a; k++) s -= L[c * p + k] * L[a * p + k];
      L[c * p + a] = s / L[a * p + a];
    }
  }
  // Explained sum of squares = |L^-1 b|^2 over the usable columns.
  const z = new Float64Array(p);
  let explained = 0;
  for (let a = 0; a < p; a++) {
    if (!usable[a]) continue;
    let s = b[a];
    for (let k = 0; k < a; k++) if (usable[k]) s -= L[a * p + k] * z[k];
    z[a] = s / L[a * p + a];
    explained += z[a] * z[a];
  }
  return Math.min(1, explained / syy);
}

export function findLeaks(
  X: Matrix,
  y: Float64Array,
  options: { correlation: number; r2: number; maxRows?: number },
): LeakFinding[] {
  const cols = numericColumns(X);
  let rows = completeRows(cols, y);
  const maxRows = options.maxRows ?? 20000;
  if (rows.length > maxRows) rows = rows.filter((_, i) => i % Math.ceil(rows.length / maxRows) === 0);
  if (rows.length < 3) return [];
  const yc = centered(y, rows);
  const xs = cols.map((c) => centered(c.values, rows));
  const findings: LeakFinding[] = [];
  const syy = dot(yc, yc);
  const flagged = new Set<number>();
  for (let j = 0; j < xs.length; j++) {
    const sxx = dot(xs[j], xs[j]);
    if (sxx === 0 || syy === 0) continue;
    const r = dot(xs[j], yc) / Math.sqrt(sxx * syy);
    if (Math.abs(r) > options.correlation) {
      flagged.add(j);
      findings.push({
        columns: [cols[j].name],
        kind: 'correlation',
        value: Math.abs(r),
        message: `column '${cols[j].name}' nearly determines the target (|r| = ${Math.abs(r).toFixed(4)}): a leak? drop it if it is not known at prediction time`,
      });
    }
  }
  if (rSquared(xs, yc) > options.r2) {
    // Forward selection of the smallest set that reaches the threshold (at most 5 columns).
    const chosen: number[] = [];
    let best = 0;
    while (chosen.length < Math.min(5, xs.length) && best <= options.r2) {
      let pick = -1;
      let pickR2 = -1;
      for (let j = 0; j < xs.length; j++) {
        if (chosen.includes(j)) continue;
        const r2 = rSquared(
          [...chosen, j].map((k) => xs[k]),
          yc,
        );
        if (r2 > pickR2) {
          pickR2 = r2;
          pick = j;
        }
      }
      chosen.push(pick);
      best = pickR2;
    }
    const names = best > options.r2 ? chosen.map((j) => cols[j].name) : cols.map((c) => c.name);
    if (!(names.length === 1 && flagged.has(chosen[0]))) {
      findings.push({
        columns: names,
        kind: 'linear_combination',
        value: best > options.r2 ? best : rSquared(xs, yc),
        message: `columns ${names.map((n) => `'${n}'`).join(' + ')} nearly determine the target together (linear R^2 = ${(best > options.r2 ? best : rSquared(xs, yc)).toFixed(5)}): a leak? drop them if they are not known at prediction time`,
      });
    }
  }
  return findings;
}
