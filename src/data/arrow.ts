/**
 * Arrow IPC in and out: column builders (numbers, strings, booleans, fixed-length Float32 vectors
 * such as 500-sample traces), atomic file writing or a stream to stdout, and reading vectors back.
 */
import { readFileSync } from 'node:fs';
import {
  Bool,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  Precision,
  Table,
  Type,
  Utf8,
  makeData,
  makeVector,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
  type Data,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { arrowToParquetColumns, isParquetPath, parquetBytes } from './parquet.js';
import { writeFileAtomic } from '../runtime/atomic.js';
import { UserError } from '../runtime/errors.js';
import type { DataTable } from './table.js';

/** Writes an Arrow IPC file atomically; `-` writes an IPC stream to stdout (for pipelines). */
export async function writeArrowTable(table: Table, path: string): Promise<void> {
  if (path === '-') {
    const bytes = tableToIPC(table, 'stream');
    await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (err) => (err ? reject(err) : resolve())));
    return;
  }
  if (isParquetPath(path))
    writeFileAtomic(
      path,
      parquetBytes(arrowToParquetColumns(table), { metadata: Object.fromEntries(table.schema.metadata) }),
    );
  else writeFileAtomic(path, tableToIPC(table, 'file'));
}

/** The bytes of an Arrow IPC file (for RunDir.writeBytes). */
export function arrowFileBytes(table: Table): Uint8Array {
  return tableToIPC(table, 'file');
}

// ---------------------------------------------------------------- column builders

export function float64Column(values: ArrayLike<number>): Vector<Float64> {
  return makeVector(values instanceof Float64Array ? values : Float64Array.from(values));
}

export function float32Column(values: ArrayLike<number>): Vector<Float32> {
  return makeVector(values instanceof Float32Array ? values : Float32Array.from(values));
}

export function int32Column(values: ArrayLike<number>): Vector<Int32> {
  return makeVector(values instanceof Int32Array ? values : Int32Array.from(values));
}

/** UTF-8 strings; null/undefined become Arrow nulls. */
export function utf8Column(values: readonly (string | null | undefined)[]): Vector<Utf8> {
  return vectorFromArray(
    values.map((v) => v ?? null),
    new Utf8(),
  );
}

/** Booleans; null/undefined become Arrow nulls. */
export function boolColumn(values: readonly (boolean | null | undefined)[]): Vector<Bool> {
  return vectorFromArray(
    values.map((v) => v ?? null),
    new Bool(),
  );
}

/**
 * Fixed-length numeric vectors as FixedSizeList<Float32>[length]: either one flat Float32Array of
 * N*length values (row-major), or N Float32Arrays of equal length.
 */
export function float32VectorColumn(
  values: Float32Array | readonly Float32Array[],
  length?: number,
): Vector<FixedSizeList<Float32>> {
  let flat: Float32Array;
  let size: number;
  if (values instanceof Float32Array) {
    if (length === undefined || !Number.isInteger(length) || length < 1)
      throw new Error('float32VectorColumn: a flat Float32Array needs a positive integer length');
    if (values.length % length !== 0)
      throw new Error(`float32VectorColumn: ${values.length} values do not split into vectors of ${length}`);
    flat = values;
    size = length;
  } else {
    size = length ?? values[0]?.length ?? 0;
    if (size < 1)
      throw new Error('float32VectorColumn: vectors need a length of at least 1 (pass `length` for an empty column)');
    flat = new Float32Array(values.length * size);
    values.forEach((v, i) => {
      if (v.length !== size)
        throw new Error(`float32VectorColumn: vector ${i} has ${v.length} values, expected ${size}`);
      flat.set(v, i * size);
    });
  }
  const rows = flat.length / size;
  const child = makeData({ type: new Float32(), length: flat.length, nullCount: 0, data: flat });
  const type = new FixedSizeList(size, new Field('item', new Float32(), false));
  return makeVector(makeData({ type, length: rows, nullCount: 0, child }));
}

/** A table from named columns of equal length (insertion order is column order). */
export function arrowTable(columns: Record<string, Vector>): Table {
  const entries = Object.entries(columns);
  const lengths = new Set(entries.map(([, v]) => v.length));
  if (lengths.size > 1) {
    throw new Error(`arrowTable: columns differ in length: ${entries.map(([n, v]) => `${n}=${v.length}`).join(', ')}`);
  }
  return new Table(columns);
}

/** A DataTable as Arrow: numeric columns as Float64 (NaN kept), string columns as Utf8 (null kept). */
export function dataTableToArrow(table: DataTable): Table {
  const columns: Record<string, Vector> = {};
  for (const c of table.columns) columns[c.name] = c.kind === 'number' ? float64Column(c.values) : utf8Column(c.values);
  return arrowTable(columns);
}

// ---------------------------------------------------------------- reading

const ARROW_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"

/** True when the bytes start like an Arrow IPC file ("ARROW1") or stream (0xFFFFFFFF continuation). */
export function looksLikeArrow(bytes: Uint8Array): 'file' | 'stream' | undefined {
  if (bytes.length >= 6 && ARROW_MAGIC.every((b, i) => bytes[i] === b)) return 'file';
  if (bytes.length >= 8 && bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff)
    return 'stream';
  return undefined;
}

/** Parses Arrow IPC bytes (file or stream format); `source` names the input in errors. */
export function parseArrow(bytes: Uint8Array, source: string): Table {
  if (!looksLikeArrow(bytes)) {
    const featherV1 = bytes.length >= 4 && String.fromCharCode(...bytes.subarray(0, 4)) === 'FEA1';
    throw new UserError(
      featherV1
        ? `${source}: expected an Arrow IPC file, got a Feather v1 file (rewrite it with pyarrow.feather.write_feather(df, path, version=2))`
        : `${source}: expected an Arrow IPC file or stream (starting with "ARROW1" or 0xFFFFFFFF), got ${bytes.length === 0 ? 'an empty input' : 'other bytes'}`,
    );
  }
  try {
    return tableFromIPC(bytes);
  } catch (err) {
    throw new UserError(`${source}: not a readable Arrow IPC ${looksLikeArrow(bytes)}: ${(err as Error).message}`);
  }
}

/** Reads an Arrow IPC file (or a file holding an IPC stream) into a Table. */
export function readArrowFile(path: string): Table {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UserError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseArrow(bytes, path);
}

/** Fixed-length vectors of a column, as one flat row-major array. */
export interface FlatVectors {
  rows: number;
  /** Values per row. */
  length: number;
  data: Float32Array;
}

/**
 * Reads a vector column back as one flat Float32Array (rows x length). Accepts FixedSizeList of
 * Float32/Float64 (what sciml writes) and variable List<float> whose rows all have one length (what
 * pandas/pyarrow often write). A null row is an error: traces must be complete.
 */
export function flatFloat32Vectors(table: Table, column: string, source = 'table'): FlatVectors {
  const vector = table.getChild(column);
  if (!vector)
    throw new UserError(
      `${source}: column '${column}': missing (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`,
    );
  const where = `${source}: column '${column}'`;
  const type = vector.type as DataType;
  if (type.typeId !== Type.FixedSizeList && type.typeId !== Type.List) {
    throw new UserError(`${where}: expected a list of floats (FixedSizeList<Float32>[L]), got ${String(type)}`);
  }
  const childType = (type as FixedSizeList).children[0].type as DataType;
  const usable =
    (childType.typeId === Type.Float && (childType as Float32).precision !== Precision.HALF) ||
    (childType.typeId === Type.Int && (childType as Int32).bitWidth <= 32);
  if (!usable) {
    throw new UserError(`${where}: expected a list of floats (FixedSizeList<Float32>[L]), got ${String(type)}`);
  }
  if (vector.nullCount > 0)
    throw new UserError(`${where}: expected every row to hold a vector, got ${vector.nullCount} null rows`);
  const rows = vector.length;
  let length = type.typeId === Type.FixedSizeList ? (type as FixedSizeList).listSize : -1;
  const pieces: { values: ArrayLike<number>; start: number; count: number }[] = [];
  let row = 0;
  for (const chunk of vector.data as Data[]) {
    const child = chunk.children[0];
    if (type.typeId === Type.FixedSizeList) {
      pieces.push({ values: child.values as ArrayLike<number>, start: 0, count: chunk.length * length });
    } else {
      const offsets = chunk.valueOffsets as Int32Array;
      for (let i = 0; i < chunk.length; i++, row++) {
        const n = offsets[i + 1] - offsets[i];
        if (length < 0) length = n;
        if (n !== length)
          throw new UserError(`${where}: expected every vector to have ${length} values, row ${row} has ${n}`);
      }
      pieces.push({
        values: child.values as ArrayLike<number>,
        start: offsets[0],
        count: offsets[chunk.length] - offsets[0],
      });
    }
  }
  if (length < 0) length = 0;
  const data = new Float32Array(rows * length);
  let at = 0;
  for (const p of pieces) {
    if (p.values instanceof Float32Array) data.set(p.values.subarray(p.start, p.start + p.count), at);
    else for (let i = 0; i < p.count; i++) data[at + i] = p.values[p.start + i];
    at += p.count;
  }
  return { rows, length, data };
}

/** A vector column as N Float32Arrays (views into one flat buffer). */
export function float32Vectors(table: Table, column: string, source = 'table'): Float32Array[] {
  const { rows, length, data } = flatFloat32Vectors(table, column, source);
  return Array.from({ length: rows }, (_, i) => data.subarray(i * length, (i + 1) * length));
}
