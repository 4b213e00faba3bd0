/**
 * The in-memory table every tabular reader returns (CSV, Arrow). Column-oriented; numeric columns
 * are Float64Array with NaN for a missing cell; anything else is a string column with null for
 * missing. Implementations: readTable() in this folder.
 */
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
