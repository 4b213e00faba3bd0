import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../../src/runtime/random.js';
import type { Matrix } from '../../src/learners/learner.js';

export const DATA = resolve(fileURLToPath(new URL('../../../data/classification/', import.meta.url)));

/** A CSV of data/classification as a Matrix and class indices (labels sorted). */
export function loadCsv(name: string): { X: Matrix; y: Float64Array; classes: string[] } {
  const lines = readFileSync(resolve(DATA, name), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => l.split(','));
  const last = header.length - 1;
  const labels = rows.map((r) => r[last]);
  const classes = [...new Set(labels)].sort((a, b) =>
    Number.isNaN(Number(a)) ? (a < b ? -1 : 1) : Number(a) - Number(b),
  );
  const y = Float64Array.from(labels, (l) => classes.indexOf(l));
  const columns = header.slice(0, last).map((_, j) => Float64Array.from(rows, (r) => Number(r[j])));
  return { X: { rows: rows.length, columns, names: header.slice(0, last) }, y, classes };
}

/** Gaussian blobs: K classes in F dimensions, class k centred at k * spread on a random direction. */
export function blobs(n: number, K: number, F: number, seed: number, spread = 2): { X: Matrix; y: Float64Array } {
  const rng = new Random(seed);
  const centres = Array.from({ length: K }, () => Array.from({ length: F }, () => rng.normal(0, spread)));
  const y = Float64Array.from({ length: n }, (_, i) => i % K);
  const columns = Array.from({ length: F }, (_, j) => Float64Array.from(y, (k) => centres[k][j] + rng.normal(0, 1)));
  return { X: { rows: n, columns, names: columns.map((_, j) => `x${j}`) }, y };
}

export function split(
  X: Matrix,
  y: Float64Array,
  every: number,
): { Xtr: Matrix; ytr: Float64Array; Xte: Matrix; yte: Float64Array } {
  const tr: number[] = [];
  const te: number[] = [];
  for (let i = 0; i < X.rows; i++) (i % every === 0 ? te : tr).push(i);
  const take = (rows: number[]): Matrix => ({
    rows: rows.length,
    columns: X.columns.map((c) => Float64Array.from(rows, (i) => c[i])),
    names: X.names,
  });
  return {
    Xtr: take(tr),
    ytr: Float64Array.from(tr, (i) => y[i]),
    Xte: take(te),
    yte: Float64Array.from(te, (i) => y[i]),
  };
}
