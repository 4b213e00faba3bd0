/**
 * Parquet in and out, through hyparquet (reader) and hyparquet-writer (writer): pure JavaScript,
 * no native binary and no install-time download, snappy built in, and a reader that fetches only
 * the byte ranges of the row groups and columns asked for (so a shard streams row group by row
 * group from disk instead of being read whole).
 *
 * Two uses: any table input of any task (`parquetToArrow`: a whole file as an apache-arrow Table,
 * which the Arrow code paths then read as they read `.arrow`), and streaming readers
 * (`openParquet` + `readParquetColumns`: one row range of chosen columns).
 */
import { extname } from 'node:path';
import {
  asyncBufferFromFile,
  parquetMetadata,
  parquetMetadataAsync,
  parquetScan,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
  type SchemaTree,
} from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  Bool,
  Field,
  Schema,
  Float64,
  List,
  Table,
  TimestampMillisecond,
  Type,
  Utf8,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { UserError } from '../runtime/errors.js';
import { writeFileAtomic } from '../runtime/atomic.js';

export const PARQUET_EXTENSIONS = new Set(['.parquet', '.pq', '.parq']);

export function isParquetPath(path: string): boolean {
  return PARQUET_EXTENSIONS.has(extname(path).toLowerCase());
}

/** True when the bytes start with Parquet's magic "PAR1". */
export function looksLikeParquet(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31;
}

// ---------------------------------------------------------------- streaming access

/** An open Parquet file: its footer, row groups and top-level columns; data is read on demand. */
export interface ParquetFile {
  path: string;
  numRows: number;
  /** First row and row count of every row group, in order. */
  rowGroups: { start: number; rows: number }[];
  /** Top-level column names, in schema order. */
  columns: string[];
  metadata: FileMetaData;
  file: AsyncBuffer;
}

/** Opens a Parquet file reading only its footer; a missing, truncated or foreign file is a UserError naming it. */
export async function openParquet(path: string): Promise<ParquetFile> {
  let file: AsyncBuffer;
  try {
    file = await asyncBufferFromFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? (err as Error).message})`,
    );
  }
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw new UserError(`${path}: not a readable Parquet file (${(err as Error).message}; truncated or not Parquet?)`);
  }
  return describe(path, file, metadata);
}

function describe(path: string, file: AsyncBuffer, metadata: FileMetaData): ParquetFile {
  const rowGroups: { start: number; rows: number }[] = [];
  let start = 0;
  for (const g of metadata.row_groups) {
    const rows = Number(g.num_rows);
    rowGroups.push({ start, rows });
    start += rows;
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  return { path, numRows: Number(metadata.num_rows), rowGroups, columns, metadata, file };
}

/** Parquet's decoded column values: typed arrays or plain arrays (nested lists are arrays of arrays). */
export type ColumnValues = ArrayLike<unknown>;

/**
 * Reads rows [rowStart, rowEnd) of the given columns. A column the file lacks is a UserError naming
 * the file, and a page that fails to decode (a truncated or corrupt file) names file and column.
 */
export async function readParquetColumns(
  pf: ParquetFile,
  columns: string[],
  rowStart = 0,
  rowEnd = pf.numRows,
): Promise<Record<string, ColumnValues>> {
  for (const c of columns) {
    if (!pf.columns.includes(c))
      throw new UserError(`${pf.path}: column '${c}': missing (columns: ${pf.columns.join(', ')})`);
  }
  const out: Record<string, ColumnValues> = {};
  if (rowEnd <= rowStart) {
    for (const c of columns) out[c] = [];
    return out;
  }
  let column = columns[0];
  try {
    const scan = await parquetScan({ file: pf.file, metadata: pf.metadata, columns });
    for (column of columns) {
      const pieces: ColumnValues[] = [];
      for (const g of pf.rowGroups) {
        const from = Math.max(rowStart, g.start);
        const to = Math.min(rowEnd, g.start + g.rows);
        if (from < to) pieces.push(await scan.readColumn({ column, rowStart: from, rowEnd: to }));
      }
      out[column] = pieces.length === 1 ? pieces[0] : pieces.flatMap((p) => Array.from(p));
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      `${pf.path}: column '${column}': cannot decode rows ${rowStart}..${rowEnd - 1} (${(err as Error).message}; truncated or corrupt file?)`,
    );
  }
  return out;
}

// ---------------------------------------------------------------- whole tables as Arrow

/** A Parquet file read whole into an Arrow table (numbers as Float64, text as Utf8, lists as List<Float64>). */
export async function readParquetAsArrow(path: string, columns?: string[]): Promise<Table> {
  return parquetToArrow(await openParquet(path), columns);
}

/** Parquet bytes (e.g. from stdin) as an Arrow table. */
export async function parquetBytesToArrow(bytes: Uint8Array, source: string): Promise<Table> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buffer);
  } catch (err) {
    throw new UserError(
      `${source}: not a readable Parquet file (${(err as Error).message}; truncated or not Parquet?)`,
    );
  }
  return parquetToArrow(describe(source, buffer, metadata));
}

/** The file's columns (or only `columns`, in file order; a column the file lacks is a UserError) as Arrow. */
async function parquetToArrow(pf: ParquetFile, columns?: string[]): Promise<Table> {
  const tree = parquetSchema(pf.metadata);
  const wanted = columns ? pf.columns.filter((c) => columns.includes(c)) : pf.columns;
  const data = await readParquetColumns(pf, columns ?? pf.columns);
  const vectors: Record<string, Vector> = {};
  for (const node of tree.children) {
    if (!wanted.includes(node.element.name)) continue;
    const name = node.element.name;
    vectors[name] = arrowVector(Array.from(data[name] as ArrayLike<unknown>), arrowType(node), pf.path, name);
  }
  const table = new Table(vectors);
  const kv = pf.metadata.key_value_metadata ?? [];
  if (kv.length === 0) return table;
  const metadata = new Map(kv.map((e) => [e.key, e.value ?? '']));
  return new Table(new Schema(table.schema.fields, metadata), table.batches);
}

function arrowType(node: SchemaTree): DataType {
  const e = node.element;
  if (node.children.length > 0) {
    // LIST groups: <name> (LIST) -> repeated group -> element; a bare repeated leaf is a list too.
    const repeated = node.children[0];
    const element =
      repeated.children.length === 1 && (e.converted_type === 'LIST' || e.logical_type?.type === 'LIST')
        ? repeated.children[0]
        : repeated;
    return new List(new Field('element', arrowType(element), true));
  }
  if (e.repetition_type === 'REPEATED') return new List(new Field('element', leafType(node), true));
  return leafType(node);
}

function leafType(node: SchemaTree): DataType {
  const e = node.element;
  const logical = e.logical_type?.type;
  if (
    logical === 'TIMESTAMP' ||
    logical === 'DATE' ||
    e.converted_type === 'DATE' ||
    e.converted_type?.startsWith('TIMESTAMP')
  )
    return new TimestampMillisecond();
  if (e.type === 'BOOLEAN') return new Bool();
  if (e.type === 'BYTE_ARRAY' || e.type === 'FIXED_LEN_BYTE_ARRAY') return new Utf8();
  return new Float64();
}

function arrowVector(values: unknown[], type: DataType, source: string, column: string): Vector {
  try {
    return vectorFromArray(normalize(values, type), type);
  } catch (err) {
    throw new UserError(
      `${source}: column '${column}': cannot convert to Arrow ${String(type)} (${(err as Error).message})`,
    );
  }
}

/** Converts hyparquet's values (bigint, Date, Uint8Array) into what the Arrow builder of `type` takes. */
function normalize(values: unknown[], type: DataType): unknown[] {
  switch (type.typeId) {
    case Type.Float:
      return values.map((v) =>
        v === null || v === undefined
          ? null
          : typeof v === 'bigint'
            ? Number(v)
            : typeof v === 'boolean'
              ? Number(v)
              : (v as number),
      );
    case Type.Timestamp:
      return values.map((v) =>
        v === null || v === undefined
          ? null
          : v instanceof Date
            ? v
            : new Date(typeof v === 'bigint' ? Number(v) : (v as number)),
      );
    case Type.Utf8:
      return values.map((v) =>
        v === null || v === undefined ? null : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v),
      );
    case Type.List: {
      const child = (type as List).children[0].type as DataType;
      return values.map((v) =>
        v === null || v === undefined ? null : normalize(Array.from(v as ArrayLike<unknown>), child),
      );
    }
    default:
      return values;
  }
}

// ---------------------------------------------------------------- writing

/** One column to write: scalars, or (list: 1) one list of numbers per row, or (list: 2) a list of lists. */
export interface ParquetColumn {
  name: string;
  type: 'DOUBLE' | 'FLOAT' | 'INT32' | 'INT64' | 'BOOLEAN' | 'STRING';
  data: ArrayLike<unknown>;
  /** List depth: 0 scalar (default), 1 list<type>, 2 list<list<type>>. */
  list?: 0 | 1 | 2;
}

export interface ParquetWriteOptions {
  /** Rows per row group (the streaming unit of readers); default 1000. */
  rowGroupSize?: number;
  /** Key-value metadata stored in the footer. */
  metadata?: Record<string, string>;
}

/** Parquet bytes of the columns, lists in the standard three-level LIST layout (as Spark and pyarrow write them). */
export function parquetBytes(columns: ParquetColumn[], options: ParquetWriteOptions = {}): Uint8Array {
  const schema: Record<string, unknown>[] = [{ name: 'root', num_children: columns.length }];
  for (const c of columns) schema.push(...columnSchema(c));
  const buffer = parquetWriteBuffer({
    columnData: columns.map((c) => ({
      name: c.name,
      data: (Array.isArray(c.data) ? c.data : Array.from(c.data)) as never,
    })),
    schema: schema as never,
    rowGroupSize: options.rowGroupSize ?? 1000,
    kvMetadata: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    createdBy: 'sciml',
  });
  return new Uint8Array(buffer);
}

/** Writes columns as a Parquet file through a temporary name and a rename. */
export function writeParquetFile(path: string, columns: ParquetColumn[], options: ParquetWriteOptions = {}): void {
  writeFileAtomic(path, parquetBytes(columns, options));
}

function leafElement(name: string, type: ParquetColumn['type'], repetition: string): Record<string, unknown> {
  if (type === 'STRING') return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: repetition };
  return { name, type, repetition_type: repetition };
}

function columnSchema(c: ParquetColumn): Record<string, unknown>[] {
  const depth = c.list ?? 0;
  if (depth === 0) return [leafElement(c.name, c.type, 'OPTIONAL')];
  const out: Record<string, unknown>[] = [];
  let name = c.name;
  for (let d = 0; d < depth; d++) {
    out.push({ name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 });
    out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
    name = 'element';
  }
  out.push(leafElement('element', c.type, 'OPTIONAL'));
  return out;
}

/** An Arrow table as Parquet columns (numbers, booleans, text, and lists of numbers). */
export function arrowToParquetColumns(table: Table): ParquetColumn[] {
  return table.schema.fields.map((field) => {
    const vector = table.getChild(field.name)!;
    const type = field.type as DataType;
    const values = Array.from({ length: vector.length }, (_, i) => vector.get(i) as unknown);
    if (type.typeId === Type.List || type.typeId === Type.FixedSizeList) {
      return {
        name: field.name,
        type: 'DOUBLE',
        list: 1,
        data: values.map((v) => (v === null ? null : Array.from(v as Iterable<number>, Number))),
      } as ParquetColumn;
    }
    if (type.typeId === Type.Int || type.typeId === Type.Float)
      return {
        name: field.name,
        type: 'DOUBLE',
        data: values.map((v) => (v === null ? null : Number(v))),
      } as ParquetColumn;
    if (type.typeId === Type.Bool) return { name: field.name, type: 'BOOLEAN', data: values } as ParquetColumn;
    return {
      name: field.name,
      type: 'STRING',
      data: values.map((v) => (v === null ? null : String(v))),
    } as ParquetColumn;
  });
}
