/**
 * readTable(path): any tabular input to a DataTable. By extension: .csv/.tsv (csv.ts),
 * .arrow/.feather/.ipc (Arrow IPC file or stream), .parquet (parquet.ts); a directory or glob of
 * Parquet shards is one table; '-' reads stdin and sniffs Arrow or Parquet magic bytes versus CSV text.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Precision, Type, type DataType, type Float, type Table, type Vector } from 'apache-arrow';
import { UserError } from '../runtime/errors.js';
import { looksLikeArrow, parseArrow } from './arrow.js';
import { parseCsv } from './csv.js';
import { isParquetPath, looksLikeParquet, parquetBytesToArrow, readParquetAsArrow } from './parquet.js';
import { isShardSet, listShards } from './shards.js';
import type { Column, DataTable } from './table.js';

export interface ReadTableOptions {
  /**
   * What to do with Arrow columns that are neither numeric nor text (lists such as traces,
   * structs, binary): 'error' (default) or 'skip' them.
   */
  unsupported?: 'error' | 'skip';
  /** Read only these columns (Parquet reads no others from disk); a name the table lacks is a UserError. */
  columns?: string[];
}

const CSV_EXTENSIONS = new Set(['.csv', '.txt']);
const TSV_EXTENSIONS = new Set(['.tsv', '.tab']);
const ARROW_EXTENSIONS = new Set(['.arrow', '.feather', '.ipc', '.arrows']);

export async function readTable(path: string, options: ReadTableOptions = {}): Promise<DataTable> {
  if (path === '-') {
    const bytes = await readStdinBytes();
    if (looksLikeParquet(bytes)) return tableFromArrow(await parquetBytesToArrow(bytes, '-'), '-', options);
    return looksLikeArrow(bytes)
      ? tableFromArrow(parseArrow(bytes, '-'), '-', options)
      : pick(parseCsv(bytes, '-'), options.columns);
  }
  if (isShardSet(path))
    return concatTables(await Promise.all(listShards(path).map((shard) => readTable(shard, options))), path);
  const ext = extname(path).toLowerCase();
  if (isParquetPath(path)) return tableFromArrow(await readParquetAsArrow(path, options.columns), path, options);
  const known = CSV_EXTENSIONS.has(ext) || TSV_EXTENSIONS.has(ext) || ARROW_EXTENSIONS.has(ext);
  const bytes = readInput(path);
  if (!known && looksLikeParquet(bytes)) return tableFromArrow(await parquetBytesToArrow(bytes, path), path, options);
  if (ARROW_EXTENSIONS.has(ext) || (!known && looksLikeArrow(bytes)))
    return tableFromArrow(parseArrow(bytes, path), path, options);
  if (TSV_EXTENSIONS.has(ext)) return pick(parseCsv(bytes, path, { delimiter: '\t' }), options.columns);
  if (CSV_EXTENSIONS.has(ext)) return pick(parseCsv(bytes, path), options.columns);
  throw new UserError(
    `${path}: expected a table file ending in .csv, .tsv, .arrow, .feather, .ipc or .parquet (or a directory of .parquet shards, or '-' for stdin), got '${ext || 'no extension'}'`,
  );
}

/** Only the named columns of a table (all when `columns` is undefined); a missing one is a UserError. */
function pick(table: DataTable, columns: string[] | undefined): DataTable {
  if (!columns) return table;
  const missing = columns.find((c) => !table.columns.some((x) => x.name === c));
  if (missing !== undefined)
    throw new UserError(
      `${table.source}: column '${missing}': missing (columns: ${table.columns.map((c) => c.name).join(', ')})`,
    );
  return { ...table, columns: table.columns.filter((c) => columns.includes(c.name)) };
}

/** Shards of one dataset as one table: the same columns of the same kinds, rows in shard order. */
function concatTables(tables: DataTable[], source: string): DataTable {
  const [first] = tables;
  const columns: Column[] = first.columns.map((c) => ({ ...c }));
  for (const t of tables.slice(1)) {
    const names = t.columns.map((c) => c.name).join(', ');
    if (names !== first.columns.map((c) => c.name).join(', ')) {
      throw new UserError(
        `${t.source}: expected the columns of ${first.source} (${first.columns.map((c) => c.name).join(', ')}), got ${names}`,
      );
    }
    t.columns.forEach((c, i) => {
      const into = columns[i];
      if (c.kind !== into.kind)
        throw new UserError(
          `${t.source}: column '${c.name}': expected ${into.kind}s as in ${first.source}, got ${c.kind}s`,
        );
      if (into.kind === 'number') {
        const values = new Float64Array(into.values.length + c.values.length);
        values.set(into.values);
        values.set(c.values as Float64Array, into.values.length);
        into.values = values;
      } else into.values = [...into.values, ...(c.values as (string | null)[])];
    });
  }
  return { source, numRows: tables.reduce((n, t) => n + t.numRows, 0), columns };
}

/** The bytes of a table file, or of stdin for '-'; a missing file or a folder is a UserError naming the path. */
export async function readTableBytes(path: string): Promise<Uint8Array> {
  return path === '-' ? readStdinBytes() : readInput(path);
}

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: no such file`);
    if (code === 'EISDIR') throw new UserError(`${path}: expected a table file, got a directory`);
    throw new UserError(`${path}: cannot read (${code ?? (err as Error).message})`);
  }
}

let stdinBytes: Promise<Uint8Array> | undefined;

/** All of stdin, read once: a second reader of '-' in the same process gets the same bytes. */
export function readStdinBytes(): Promise<Uint8Array> {
  stdinBytes ??= (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
  return stdinBytes;
}

/** Converts an Arrow table: numbers/booleans to NumericColumn, text/dictionary/dates to StringColumn. */
export function tableFromArrow(table: Table, source: string, options: ReadTableOptions = {}): DataTable {
  const columns: Column[] = [];
  const names = table.schema.fields.map((f) => f.name);
  const missing = options.columns?.find((c) => !names.includes(c));
  if (missing !== undefined)
    throw new UserError(`${source}: column '${missing}': missing (columns: ${names.join(', ')})`);
  for (const field of table.schema.fields) {
    if (options.columns && !options.columns.includes(field.name)) continue;
    const vector = table.getChild(field.name)!;
    const column = arrowColumn(field.name, vector);
    if (column) columns.push(column);
    else if (options.unsupported !== 'skip') {
      throw new UserError(
        `${source}: column '${field.name}': expected numbers, booleans, text or dates, got ${String(field.type)} (a vector column: tables for tabular models need one value per cell)`,
      );
    }
  }
  return { source, numRows: table.numRows, columns };
}

function arrowColumn(name: string, vector: Vector): Column | undefined {
  const type = vector.type as DataType;
  const n = vector.length;
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Bool: {
      const fast = fastNumbers(vector);
      if (fast) return { name, kind: 'number', values: fast };
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = toNumber(vector.get(i));
      return { name, kind: 'number', values };
    }
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Dictionary: {
      const values = new Array<string | null>(n);
      for (let i = 0; i < n; i++) {
        const v = vector.get(i);
        values[i] = v === null || v === undefined ? null : String(v);
      }
      return { name, kind: 'string', values };
    }
    case Type.Date:
    case Type.Timestamp: {
      const dateOnly = type.typeId === Type.Date;
      const values = new Array<string | null>(n);
      for (let i = 0; i < n; i++) {
        const v = vector.get(i) as number | Date | null;
        if (v === null || v === undefined) values[i] = null;
        else {
          const iso = new Date(typeof v === 'number' ? v : v.getTime()).toISOString();
          values[i] = dateOnly ? iso.slice(0, 10) : iso;
        }
      }
      return { name, kind: 'string', values };
    }
    default:
      return undefined;
  }
}

/** Whole-array copy for null-free int/float columns (per-row get() is slow on big tables). */
function fastNumbers(vector: Vector): Float64Array | undefined {
  const type = vector.type as DataType;
  if (
    vector.nullCount > 0 ||
    type.typeId === Type.Bool ||
    (type.typeId === Type.Float && (type as Float).precision === Precision.HALF)
  )
    return undefined;
  const raw = vector.toArray() as ArrayLike<number> | BigInt64Array | BigUint64Array;
  if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) {
    const out = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = Number(raw[i]);
    return out;
  }
  return Float64Array.from(raw);
}

function toNumber(v: unknown): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  return Number(v);
}
