/**
 * NumPy .npy and .npz arrays (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 * Reads header versions 1-3, little- or big-endian numeric dtypes, C or Fortran order (Fortran
 * arrays are transposed to C order on load); .npz is a zip of .npy members, stored or deflated.
 * 64-bit integers are returned as Float64Array (exact up to 2^53).
 */
import { readFileSync } from 'node:fs';
import { unzipSync, zipSync } from 'fflate';
import { UserError } from '../runtime/errors.js';
import { writeFileAtomic } from '../runtime/atomic.js';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export interface NdArray {
  /** The dtype as stored, normalised to little-endian spelling ('<f4', '|u1', '|b1', ...). */
  dtype: string;
  shape: number[];
  /** C-order (row-major) values. */
  data: NpyData;
}

interface DtypeInfo {
  size: number;
  kind: 'f' | 'i' | 'u' | 'b';
}

const SUPPORTED = '<f4, <f8, <i1, <i2, <i4, <i8, <u1, <u2, <u4, <u8, |b1 (either byte order)';
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function parseDtype(descr: string, where: string): { dtype: string; info: DtypeInfo; bigEndian: boolean } {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  const size = m ? Number(m[3]) : 0;
  const kind = m?.[2] as DtypeInfo['kind'] | undefined;
  const ok =
    kind !== undefined &&
    (kind === 'f' ? size === 4 || size === 8 : kind === 'b' ? size === 1 : [1, 2, 4, 8].includes(size));
  if (!ok) throw new UserError(`${where}: expected a numeric dtype (${SUPPORTED}), got '${descr}'`);
  const bigEndian = m![1] === '>' && size > 1;
  const dtype = `${size === 1 ? '|' : '<'}${kind}${size}`;
  return { dtype, info: { size, kind: kind! }, bigEndian };
}

/** Parses the bytes of one .npy file; `where` names it in errors (e.g. "traces.npz: member 'noisy.npy'"). */
export function parseNpy(bytes: Uint8Array, where: string): NdArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b))
    throw new UserError(`${where}: expected a .npy array (starting with \\x93NUMPY), got other bytes`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new UserError(`${where}: truncated .npy header`);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new UserError(`${where}: expected .npy format version 1, 2 or 3, got ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new UserError(`${where}: truncated .npy header`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  if (descr === undefined) {
    const structured = /['"]descr['"]\s*:\s*\[/.test(header);
    throw new UserError(
      `${where}: expected a plain numeric array, got ${structured ? 'a structured (record) array' : `an unreadable header ${JSON.stringify(header.trim())}`}`,
    );
  }
  const fortran = /['"]fortran_order['"]\s*:\s*True/.test(header);
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined)
    throw new UserError(`${where}: .npy header has no shape: ${JSON.stringify(header.trim())}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new UserError(`${where}: .npy header has an invalid shape (${shapeText})`);

  const { dtype, info, bigEndian } = parseDtype(descr, where);
  const count = shape.reduce((a, b) => a * b, 1);
  const byteCount = count * info.size;
  if (dataStart + byteCount > bytes.length) {
    throw new UserError(
      `${where}: expected ${byteCount} bytes of data for shape [${shape.join(', ')}] ${dtype}, got ${bytes.length - dataStart}`,
    );
  }
  // Copy: the data offset need not be aligned for a typed-array view, and the source buffer may be shared.
  // (Buffer.slice is a view, so copy explicitly.)
  const raw = new Uint8Array(byteCount);
  raw.set(bytes.subarray(dataStart, dataStart + byteCount));
  if (bigEndian) swapBytes(raw, info.size);
  let data = typedFrom(raw.buffer, info, count);
  if (fortran && shape.length > 1) data = fortranToC(data, shape);
  return { dtype, shape, data };
}

function swapBytes(raw: Uint8Array, size: number): void {
  for (let i = 0; i < raw.length; i += size) raw.subarray(i, i + size).reverse();
}

/** The typed array of each stored dtype (kind + size) but 64-bit integers, which are read into a Float64Array. */
const ARRAY_TYPES: Record<string, new (buffer: ArrayBuffer, offset: number, length: number) => NpyData> = {
  f4: Float32Array,
  f8: Float64Array,
  i1: Int8Array,
  u1: Uint8Array,
  b1: Uint8Array,
  i2: Int16Array,
  u2: Uint16Array,
  i4: Int32Array,
  u4: Uint32Array,
};

function typedFrom(buffer: ArrayBuffer, info: DtypeInfo, count: number): NpyData {
  const key = `${info.kind}${info.size}`;
  if (key === 'i8') return Float64Array.from(new BigInt64Array(buffer, 0, count), Number);
  if (key === 'u8') return Float64Array.from(new BigUint64Array(buffer, 0, count), Number);
  const ArrayType = ARRAY_TYPES[key];
  if (!ArrayType) throw new Error(`unreachable dtype ${key}`);
  return new ArrayType(buffer, 0, count);
}

/** Reorders column-major (Fortran) values into row-major (C) order. */
function fortranToC<T extends NpyData>(data: T, shape: number[]): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const rank = shape.length;
  const fStride = new Array<number>(rank);
  fStride[0] = 1;
  for (let k = 1; k < rank; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let dst = 0; dst < data.length; dst++) {
    out[dst] = data[src];
    // Advance the C-order odometer (last axis fastest) and track the Fortran offset alongside.
    for (let k = rank - 1; k >= 0; k--) {
      index[k]++;
      src += fStride[k];
      if (index[k] < shape[k]) break;
      src -= fStride[k] * shape[k];
      index[k] = 0;
    }
  }
  return out;
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? (err as Error).message})`,
    );
  }
}

export function readNpy(path: string): NdArray {
  return parseNpy(readBytes(path), path);
}

/** The arrays of an .npz file by name (member name without '.npy', as numpy.load gives them). */
export function parseNpz(bytes: Uint8Array, source: string): Map<string, NdArray> {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (err) {
    throw new UserError(`${source}: expected an .npz (zip) archive, got unreadable data (${(err as Error).message})`);
  }
  const arrays = new Map<string, NdArray>();
  for (const [name, content] of Object.entries(members)) {
    if (name.endsWith('/')) continue;
    arrays.set(name.replace(/\.npy$/, ''), parseNpy(content, `${source}: member '${name}'`));
  }
  return arrays;
}

export function readNpz(path: string): Map<string, NdArray> {
  return parseNpz(readBytes(path), path);
}

/**
 * One array by name from an .npz, or the array of an .npy (name ignored). Errors list the members
 * present when the name is missing.
 */
export function readArray(path: string, name?: string): NdArray & { where: string } {
  if (path.toLowerCase().endsWith('.npy')) return { ...readNpy(path), where: path };
  if (!path.toLowerCase().endsWith('.npz')) throw new UserError(`${path}: expected a .npy or .npz file`);
  const arrays = readNpz(path);
  const key = name ?? (arrays.size === 1 ? [...arrays.keys()][0] : undefined);
  if (key === undefined)
    throw new UserError(`${path}: expected an array name (members: ${[...arrays.keys()].join(', ') || 'none'})`);
  const array = arrays.get(key.replace(/\.npy$/, ''));
  if (!array)
    throw new UserError(
      `${path}: member '${key}.npy': missing (members: ${[...arrays.keys()].map((k) => `${k}.npy`).join(', ') || 'none'})`,
    );
  return { ...array, where: `${path}: member '${key.replace(/\.npy$/, '')}.npy'` };
}

/** An [N, L] array as a flat row-major Float32Array; anything else is a UserError naming `where`. */
export function asMatrix(array: NdArray, where: string): { rows: number; cols: number; data: Float32Array } {
  if (array.shape.length !== 2)
    throw new UserError(`${where}: expected a 2-D array [N, L], got shape [${array.shape.join(', ')}]`);
  const [rows, cols] = array.shape;
  const data = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data);
  return { rows, cols, data };
}

// ---------------------------------------------------------------- writing

function dtypeOf(data: NpyData): string {
  const key = Object.keys(ARRAY_TYPES).find((k) => data instanceof ARRAY_TYPES[k]) ?? 'u4';
  return `${key.endsWith('1') ? '|' : '<'}${key}`;
}

/**
 * Encodes a .npy (format 1.0, C order, little-endian). `dtype` defaults from the typed array;
 * pass '|b1' with a Uint8Array of 0/1 for booleans.
 */
export function encodeNpy(array: { shape: number[]; data: NpyData; dtype?: string }): Uint8Array {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length)
    throw new Error(
      `encodeNpy: shape [${array.shape.join(', ')}] holds ${count} values, data has ${array.data.length}`,
    );
  const dtype = array.dtype ?? dtypeOf(array.data);
  if (array.dtype === '|b1' && !(array.data instanceof Uint8Array))
    throw new Error('encodeNpy: |b1 needs a Uint8Array of 0/1');
  const shapeText = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + array.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), 10 + header.length);
  return out;
}

export function writeNpy(path: string, array: { shape: number[]; data: NpyData; dtype?: string }): void {
  writeFileAtomic(path, encodeNpy(array));
}

/** Encodes an .npz; `compress` deflates members (numpy.savez_compressed), otherwise they are stored (numpy.savez). */
function encodeNpz(
  arrays: Record<string, { shape: number[]; data: NpyData; dtype?: string }>,
  compress = false,
): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  for (const [name, array] of Object.entries(arrays))
    files[`${name}.npy`] = [encodeNpy(array), { level: compress ? 6 : 0 }];
  return zipSync(files);
}

export function writeNpz(
  path: string,
  arrays: Record<string, { shape: number[]; data: NpyData; dtype?: string }>,
  compress = false,
): void {
  writeFileAtomic(path, encodeNpz(arrays, compress));
}
