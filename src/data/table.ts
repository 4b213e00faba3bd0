/**
 * The in-memory table every tabular reader returns (CSV, Arrow). Column-oriented; numeric columns
 * are Float64Array with NaN for a missing cell; anything else is a string column with null for
 * missing. Implementations: readTable() in this folder.
 */
import { didYouMean } from '../config/didyoumean.js';
import { UserError } from '../runtime/errors.js';

export interface NumericColumn {
  name: string;
  kind: 'number';
  values: Float64Array;
}

export interface StringColumn {
  name: string;
  kind: 'string';
  values: (string | null)[];
}

export type Column = NumericColumn | StringColumn;

export interface DataTable {
  /** File name the table came from ('-' for stdin), for error messages. */
  source: string;
  numRows: number;
  columns: Column[];
}

export function findColumn(table: DataTable, name: string): Column | undefined {
  return table.columns.find((c) => c.name === name);
}

/** A column that must exist: a UserError naming the file, the column and the closest name present. */
export function requireColumn(table: DataTable, name: string): Column {
  const column = findColumn(table, name);
  if (column) return column;
  const names = table.columns.map((c) => c.name);
  const guess = didYouMean(name, names);
  throw new UserError(
    `${table.source}: column '${name}': missing${guess ? ` (did you mean '${guess}'?)` : ''}; columns: ${names.join(', ')}`,
  );
}

/** A column that must exist and hold numbers. */
export function requireNumericColumn(table: DataTable, name: string): NumericColumn {
  const column = requireColumn(table, name);
  if (column.kind !== 'number') {
    const example = column.values.find((v) => v !== null && !/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v));
    throw new UserError(
      `${table.source}: column '${name}': expected numbers, got text${example !== undefined ? ` (e.g. '${example}')` : ''}`,
    );
  }
  return column;
}
