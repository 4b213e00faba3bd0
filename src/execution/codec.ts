/**
 * One binary record: a JSON header and named byte sections, each 8-byte aligned so typed arrays
 * can view them without copying. Used for job inputs (a prepared table) and for outcomes that
 * travel through Redis (JSON cannot carry Float64Arrays or NaN bit for bit).
 */
const MAGIC = 0x53434d4c; // "SCML"

export interface Record_ {
  meta: unknown;
  sections: Record<string, Uint8Array>;
}

export function packRecord(meta: unknown, sections: Record<string, Uint8Array | ArrayBufferView> = {}): Uint8Array {
  const names = Object.keys(sections);
  const views = names.map((n) => {
    const v = sections[n];
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  });
  const header = new TextEncoder().encode(
    JSON.stringify({ meta, sections: names.map((n, i) => [n, views[i].byteLength]) }),
  );
  const align = (n: number) => (n + 7) & ~7;
  let total = align(8 + header.byteLength);
  for (const v of views) total += align(v.byteLength);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, header.byteLength, true);
  out.set(header, 8);
  let offset = align(8 + header.byteLength);
  for (const v of views) {
    out.set(v, offset);
    offset += align(v.byteLength);
  }
  return out;
}

export function unpackRecord(bytes: Uint8Array): Record_ {
  if (bytes.byteLength < 8) throw new Error('not a sciml record (too short)');
  // Copy into a fresh, aligned buffer: a Buffer from Redis or a file may sit at any offset.
  const data = bytes.byteOffset % 8 === 0 ? bytes : Uint8Array.from(bytes);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new Error('not a sciml record (bad magic)');
  const length = dv.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(data.subarray(8, 8 + length))) as {
    meta: unknown;
    sections: [string, number][];
  };
  const align = (n: number) => (n + 7) & ~7;
  let offset = align(8 + length);
  const sections: Record<string, Uint8Array> = {};
  for (const [name, size] of header.sections) {
    if (offset + size > data.byteLength) throw new Error(`sciml record truncated at section '${name}'`);
    sections[name] = data.subarray(offset, offset + size);
    offset += align(size);
  }
  return { meta: header.meta, sections };
}

/** A Float64Array over a section (copied when the section is not 8-byte aligned in memory). */
export function float64Of(section: Uint8Array): Float64Array {
  if ((section.byteOffset & 7) === 0)
    return new Float64Array(section.buffer, section.byteOffset, section.byteLength / 8);
  return new Float64Array(Uint8Array.from(section).buffer);
}

export function float32Of(section: Uint8Array): Float32Array {
  if ((section.byteOffset & 3) === 0)
    return new Float32Array(section.buffer, section.byteOffset, section.byteLength / 4);
  return new Float32Array(Uint8Array.from(section).buffer);
}

export function int32Of(section: Uint8Array): Int32Array {
  if ((section.byteOffset & 3) === 0) return new Int32Array(section.buffer, section.byteOffset, section.byteLength / 4);
  return new Int32Array(Uint8Array.from(section).buffer);
}
