import { extname } from 'node:path';
import { UserError } from '../../runtime/errors.js';
import { looksLikeArrow, parseArrow, readArrowFile } from '../arrow.js';
import { isParquetPath, looksLikeParquet, parquetBytesToArrow, readParquetAsArrow } from '../parquet.js';
import { parseCsv } from '../csv.js';
import { parseNumberCell } from '../columns.js';
import { readStdinBytes, readTable, tableFromArrow } from '../read-table.js';
import { findColumn, type DataTable } from '../table.js';
import { TRANSLATION_COLUMNS } from './columns.js';
import { SYNTHETIC_METADATA_KEY } from './generate.js';
import { DEFAULT_SIMULATION, simulateKnots, type KnotSimulationOptions } from './simulate.js';
import { requireMemory } from '../../runtime/memory.js';

/** Validated knot data: numeric feature columns, an even-integer target, and the translation columns for slope/2. */
export interface KnotData {
  source: string;
  /** True when the table says it was made by `sciml data generate knots` (or was generated in memory). */
  synthetic: boolean;
  rows: number;
  features: string[];
  /** One column per feature, in `features` order. */
  columns: Float64Array[];
  target: string;
  y: Float64Array;
  longitudinal: Float64Array;
  meridionalReal: Float64Array;
  meridionalImag: Float64Array;
}

const TEXT_EXTENSIONS = new Set(['.csv', '.txt', '.tsv', '.tab']);
const ARROW_EXTENSIONS = new Set(['.arrow', '.feather', '.ipc', '.arrows']);

/** Reads a knot table (the published CSV, an Arrow file from `sciml data generate knots`, or '-' for either on stdin) and validates it. */
export async function loadKnotFile(path: string, features: readonly string[], target: string): Promise<KnotData> {
  let table: DataTable;
  let synthetic = false;
  const stdin = path === '-' ? await readStdinBytes() : undefined;
  if (stdin && !looksLikeArrow(stdin)) {
    table = parseCsv(stdin, '-');
  } else if (stdin || ARROW_EXTENSIONS.has(extname(path).toLowerCase()) || isParquetPath(path)) {
    const arrow = stdin
      ? looksLikeParquet(stdin)
        ? await parquetBytesToArrow(stdin, '-')
        : parseArrow(stdin, '-')
      : isParquetPath(path)
        ? await readParquetAsArrow(path)
        : readArrowFile(path);
    synthetic = arrow.schema.metadata.get(SYNTHETIC_METADATA_KEY) === 'true';
    table = tableFromArrow(arrow, path);
  } else {
    table = await readTable(path);
  }
  return validateKnotTable(table, features, target, synthetic);
}

/** Where a row sits, for messages: the line of a CSV (header on line 1), else the 0-based row. */
function rowLabel(source: string, row: number): string {
  return TEXT_EXTENSIONS.has(extname(source).toLowerCase()) || source === '-' ? `line ${row + 2}` : `row ${row}`;
}

function describeCell(cell: string | null): string {
  return cell === null || cell.trim() === '' ? 'an empty cell' : JSON.stringify(cell);
}

/** A numeric column, or a UserError naming the file, the column and the first offending row. */
function numericColumn(table: DataTable, name: string, role: string): Float64Array {
  const column = findColumn(table, name);
  if (!column) {
    const have = table.columns.map((c) => `'${c.name}'`).join(', ');
    throw new UserError(`${table.source}: column '${name}': missing (${role}); the table has ${have}`);
  }
  if (column.kind === 'string') {
    const row = column.values.findIndex(
      (cell) => cell === null || parseNumberCell(cell) === undefined || Number.isNaN(parseNumberCell(cell)!),
    );
    const at = Math.max(0, row);
    throw new UserError(
      `${table.source}: column '${name}', ${rowLabel(table.source, at)}: expected a number, got ${describeCell(column.values[at])}`,
    );
  }
  const missing = column.values.findIndex((v) => !Number.isFinite(v));
  if (missing >= 0)
    throw new UserError(
      `${table.source}: column '${name}', ${rowLabel(table.source, missing)}: expected a number, got an empty cell`,
    );
  return column.values;
}

/** Checks columns, numbers and even signatures; every error names file, column and row/line. */
function validateKnotTable(table: DataTable, features: readonly string[], target: string, synthetic = false): KnotData {
  if (table.numRows === 0) throw new UserError(`${table.source}: expected rows of knot invariants, got an empty table`);
  const columns = features.map((f) => numericColumn(table, f, 'listed in data.features'));
  const y = numericColumn(table, target, 'the target, data.target');
  const odd = y.findIndex((v) => !Number.isInteger(v) || Math.abs(v % 2) === 1);
  if (odd >= 0)
    throw new UserError(
      `${table.source}: column '${target}', ${rowLabel(table.source, odd)}: expected an even integer (knot signatures are even), got ${y[odd]}`,
    );
  const translation = (name: string) => numericColumn(table, name, 'needed for the slope/2 baseline');
  return {
    source: table.source,
    synthetic,
    rows: table.numRows,
    features: [...features],
    columns,
    target,
    y,
    longitudinal: translation(TRANSLATION_COLUMNS.longitudinal),
    meridionalReal: translation(TRANSLATION_COLUMNS.meridionalReal),
    meridionalImag: translation(TRANSLATION_COLUMNS.meridionalImag),
  };
}

/** Synthetic knots generated in memory (no data file configured), validated like a file. */
export function syntheticKnotData(
  rows: number,
  seed: number,
  features: readonly string[],
  target: string,
  options: KnotSimulationOptions = DEFAULT_SIMULATION,
): KnotData {
  // ~20 float64 columns simulated, copied into the table and standardised for training.
  requireMemory('data.synthetic_rows', rows, rows * 20 * 8 * 3, 'synthetic knots');
  const simulated = simulateKnots(rows, seed, options);
  const table: DataTable = {
    source: `generated in memory (seed ${seed})`,
    numRows: rows,
    columns: Object.entries(simulated).map(([name, values]) => ({ name, kind: 'number' as const, values })),
  };
  return validateKnotTable(table, features, target, true);
}
