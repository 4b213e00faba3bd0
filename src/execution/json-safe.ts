/**
 * Progress events cross Redis as JSON (BullMQ's job progress), which would turn a Uint8Array into
 * an object of numbered keys and NaN or Infinity into null. These two functions wrap such values in
 * tagged objects on the worker and restore them on the driver, so a handler's events arrive as the
 * local executor delivers them.
 */
const TAG = '$sciml';

type Tagged = { [TAG]: 'bytes'; b64: string } | { [TAG]: 'number'; v: 'NaN' | 'Infinity' | '-Infinity' };

export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'number')
    return Number.isFinite(value) ? value : ({ [TAG]: 'number', v: String(value) } as Tagged);
  if (value instanceof Uint8Array)
    return {
      [TAG]: 'bytes',
      b64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    } as Tagged;
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSafe(v)]));
  return value;
}

export function fromJsonSafe(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonSafe);
  if (value !== null && typeof value === 'object') {
    const tagged = value as Partial<Tagged> & Record<string, unknown>;
    if (tagged[TAG] === 'bytes' && typeof tagged.b64 === 'string')
      return new Uint8Array(Buffer.from(tagged.b64, 'base64'));
    if (tagged[TAG] === 'number' && typeof tagged.v === 'string') return Number(tagged.v);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJsonSafe(v)]));
  }
  return value;
}
