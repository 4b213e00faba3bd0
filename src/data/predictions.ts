/**
 * What a model's predict step returns, independent of where it goes (an Arrow file for
 * `sciml predict`, JSON or Arrow over HTTP for `sciml serve`): named columns of equal length.
 */
import type { Table, Vector } from 'apache-arrow';
import { arrowTable, float32VectorColumn, float64Column, int32Column, utf8Column } from './arrow.js';

export type PredictionColumn =
  | { name: string; kind: 'float64'; values: Float64Array }
  | { name: string; kind: 'int32'; values: Int32Array }
  | { name: string; kind: 'string'; values: (string | null)[] }
  /** Fixed-length vectors (a recovered trace), row-major. */
  | { name: string; kind: 'vector'; length: number; values: Float32Array };

export interface Predictions {
  rows: number;
  columns: PredictionColumn[];
}

export function predictionsToArrow(p: Predictions, leading: Record<string, Vector> = {}): Table {
  const columns: Record<string, Vector> = { ...leading };
  for (const c of p.columns) {
    switch (c.kind) {
      case 'float64':
        columns[c.name] = float64Column(c.values);
        break;
      case 'int32':
        columns[c.name] = int32Column(c.values);
        break;
      case 'string':
        columns[c.name] = utf8Column(c.values);
        break;
      case 'vector':
        columns[c.name] = float32VectorColumn(c.values, c.length);
        break;
    }
  }
  return arrowTable(columns);
}

/** Rows [start, end) of every column (views where the storage allows). */
export function sliceRows(p: Predictions, start: number, end: number): Predictions {
  return {
    rows: end - start,
    columns: p.columns.map((c): PredictionColumn => {
      if (c.kind === 'vector') return { ...c, values: c.values.subarray(start * c.length, end * c.length) };
      if (c.kind === 'string') return { ...c, values: c.values.slice(start, end) };
      if (c.kind === 'int32') return { ...c, values: c.values.subarray(start, end) };
      return { ...c, values: c.values.subarray(start, end) };
    }),
  };
}
