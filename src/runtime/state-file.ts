/**
 * A binary state file for checkpoints: a magic tag, a JSON header and raw typed arrays (8-byte
 * aligned), so a resumed run restores parameters and optimizer moments bit for bit. Written
 * atomically; a truncated or foreign file is a UserError naming the file.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { UserError } from './errors.js';

const MAGIC = 'SCIMLCK1';

export type StateArray = Float32Array | Float64Array | Int32Array;
type DType = 'f32' | 'f64' | 'i32';

interface Header<H> {
  format: string;
  state: H;
  arrays: { name: string; dtype: DType; length: number; offset: number }[];
}

function dtypeOf(a: StateArray): DType {
  return a instanceof Float64Array ? 'f64' : a instanceof Int32Array ? 'i32' : 'f32';
}

export function encodeStateFile<H>(format: string, state: H, arrays: Record<string, StateArray>): Uint8Array {
  let offset = 0;
  const entries = Object.entries(arrays);
  const specs = entries.map(([name, data]) => {
    const spec = { name, dtype: dtypeOf(data), length: data.length, offset };
    offset += Math.ceil(data.byteLength / 8) * 8;
    return spec;
  });
  const header: Header<H> = { format, state, arrays: specs };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((8 + 4 + json.length) / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  entries.forEach(([, data], i) =>
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), start + specs[i].offset),
  );
  return out;
}

export interface DecodedState<H> {
  format: string;
  state: H;
  array<T extends StateArray = StateArray>(name: string): T;
}

export function decodeStateFile<H>(bytes: Uint8Array, where: string, formatPrefix: string): DecodedState<H> {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== MAGIC || bytes.length < 12)
    throw new UserError(`${where}: expected a sciml checkpoint, got other bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  let header: Header<H>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength))) as Header<H>;
  } catch {
    throw new UserError(`${where}: checkpoint header is unreadable (truncated file?)`);
  }
  if (!String(header.format).startsWith(formatPrefix))
    throw new UserError(`${where}: expected a ${formatPrefix} checkpoint, got '${header.format}'`);
  const start = Math.ceil((8 + 4 + jsonLength) / 8) * 8;
  return {
    format: header.format,
    state: header.state,
    array<T extends StateArray>(name: string): T {
      const spec = header.arrays.find((a) => a.name === name);
      if (!spec) throw new UserError(`${where}: checkpoint lacks '${name}'`);
      const bytesPer = spec.dtype === 'f32' || spec.dtype === 'i32' ? 4 : 8;
      // A fresh, aligned copy (a Node Buffer's slice would share the pool's ArrayBuffer).
      const copy = new Uint8Array(bytes.subarray(start + spec.offset, start + spec.offset + spec.length * bytesPer));
      if (copy.length !== spec.length * bytesPer) throw new UserError(`${where}: checkpoint is truncated`);
      return (
        spec.dtype === 'f64'
          ? new Float64Array(copy.buffer)
          : spec.dtype === 'i32'
            ? new Int32Array(copy.buffer)
            : new Float32Array(copy.buffer)
      ) as T;
    },
  };
}

export function writeStateFile<H>(path: string, format: string, state: H, arrays: Record<string, StateArray>): void {
  writeFileAtomic(path, encodeStateFile(format, state, arrays));
}

export function readStateFile<H>(path: string, formatPrefix: string): DecodedState<H> | undefined {
  if (!existsSync(path)) return undefined;
  return decodeStateFile<H>(readFileSync(path), path, formatPrefix);
}

/** Only the JSON header of a state file (format and state), read without the arrays; undefined if it is not one. */
export function readStateHeader(
  path: string,
  maxHeaderBytes = 16 << 20,
): { format: string; state: unknown } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) < 12 || head.subarray(0, 8).toString('latin1') !== MAGIC) return undefined;
    const length = head.readUInt32LE(8);
    if (length > maxHeaderBytes) return undefined;
    const json = Buffer.alloc(length);
    if (readSync(fd, json, 0, length, 12) < length) return undefined;
    const header = JSON.parse(json.toString('utf8')) as Header<unknown>;
    return { format: String(header.format), state: header.state };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
