/**
 * What a model's predict step returns, independent of where it goes (an Arrow file for
 * `sciml predict`, JSON or Arrow over HTTP for `sciml serve`): named columns of equal length.
 */
import type { Table, Vector } from 'apache-arrow';
import { arrowTable, float32VectorColumn, float64Column, int32Column, utf8Column } from './arrow.js';
import { hint } from '../config/didyoumean.js';
import { UserError } from '../runtime/errors.js';
import type { DataTable } from './table.js';
import { writeTableFile } from './write-table.js';

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

/** The `row` column of a predictions file: the input's row numbers 0..rows-1. */
function rowNumbers(rows: number): Vector {
  return int32Column(Int32Array.from({ length: rows }, (_, i) => i));
}

/**
 * The leading columns of a predictions file: `row` (the input's row number) and the input columns
 * `keep` names (`--keep id,site`), passed through unchanged so predictions join back to their rows.
 */
export function leadingColumns(
  table: DataTable,
  keep: string[] = [],
  predicted: string[] = [],
): Record<string, Vector> {
  const leading: Record<string, Vector> = { row: rowNumbers(table.numRows) };
  for (const name of keep) {
    const column = table.columns.find((c) => c.name === name);
    if (!column)
      throw new UserError(
        `--keep: column '${name}' is not in ${table.source}${hint(
          name,
          table.columns.map((c) => c.name),
        )}; columns: ${table.columns.map((c) => c.name).join(', ')}`,
      );
    if (name in leading || predicted.includes(name))
      throw new UserError(`--keep: column '${name}' would clash with the prediction column of that name`);
    leading[name] = column.kind === 'number' ? float64Column(column.values) : utf8Column(column.values);
  }
  return leading;
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

/** `sciml predict`'s file: the input's row numbers and `keep` columns, then the predictions, in the format `output`'s extension names. */
export async function writePredictionsFile(
  table: DataTable,
  predictions: Predictions,
  keep: string[] | undefined,
  output: string,
): Promise<void> {
  const leading = leadingColumns(
    table,
    keep,
    predictions.columns.map((c) => c.name),
  );
  await writeTableFile(predictionsToArrow(predictions, leading), output);
}

/** `sciml predict`'s file for inputs without columns to pass through (traces, events): `row`, then the predictions. */
export async function writeRowNumberedPredictions(
  predictions: Predictions,
  output: string,
): Promise<{ rows: number; output: string }> {
  await writeTableFile(predictionsToArrow(predictions, { row: rowNumbers(predictions.rows) }), output);
  return { rows: predictions.rows, output };
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
