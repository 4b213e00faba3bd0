/**
 * Turning text cells into typed columns: the type inference shared by the CSV reader (and anything
 * else that reads text tables).
 *
 * Rule: a column is numeric when every non-missing cell parses as a finite number; otherwise it is
 * a string column. In a numeric column, '' and the usual missing-value spellings (NA, NaN, null,
 * ...) become NaN. In a string column only the empty cell is missing (null): "NA" may be a real
 * category there (North America, sodium).
 */
import type { Column, StringColumn } from './table.js';

const MISSING_TOKENS = new Set([
  '',
  'NA',
  'N/A',
  'n/a',
  'NaN',
  'nan',
  '-NaN',
  '-nan',
  'null',
  'NULL',
  'None',
  '#N/A',
  '<NA>',
]);

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite number, NaN for a missing cell, or undefined when the cell is not a number at all. */
export function parseNumberCell(cell: string): number | undefined {
  const t = cell.trim();
  if (MISSING_TOKENS.has(t)) return NaN;
  if (!NUMBER.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** Infers a column's type from its text cells (see the rule at the top of this file). */
export function inferColumn(name: string, cells: readonly string[]): Column {
  const values = new Float64Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const v = parseNumberCell(cells[i]);
    if (v === undefined) return stringColumn(name, cells);
    values[i] = v;
  }
  return { name, kind: 'number', values };
}

function stringColumn(name: string, cells: readonly string[]): StringColumn {
  return { name, kind: 'string', values: cells.map((c) => (c === '' ? null : c)) };
}

/** The text of a cell for writing (CSV, reports): '' for missing, shortest round-tripping number. */
export function cellText(column: Column, row: number): string {
  if (column.kind === 'number') {
    const v = column.values[row];
    return Number.isNaN(v) ? '' : String(v);
  }
  return column.values[row] ?? '';
}
