import { extname } from 'node:path';
import type { Table } from 'apache-arrow';
import { UserError } from '../../runtime/errors.js';
import { flatFloat32Vectors, looksLikeArrow, parseArrow, readArrowFile } from '../arrow.js';
import { isParquetPath, readParquetAsArrow } from '../parquet.js';
import { parseCsv } from '../csv.js';
import { asMatrix, readArray, readNpz } from '../npy.js';
import { readStdinBytes, readTable } from '../read-table.js';
import type { DataTable, NumericColumn } from '../table.js';
import { argmax, minMaxScale, type TraceSet } from './traces.js';

/** Where a user's traces live. */
export interface TraceFileSpec {
  /** .arrow/.feather/.ipc or .csv (columns noisy/signal), .npz (members), .npy (the noisy array), or '-' (stdin: Arrow or CSV). */
  path: string;
  /** With a .npy `path`: the .npy of the clean signals. */
  signalPath?: string;
  /** Member names in an .npz, and column names in Arrow files. */
  noisyKey: string;
  signalKey: string;
}

const ARROW_EXTENSIONS = new Set(['.arrow', '.feather', '.ipc', '.arrows']);

/**
 * Loads noisy and clean traces a user brings, min-max scales each noisy trace to [0, 1] (a no-op
 * for traces already scaled) and maps the clean one alongside. CSV files hold one column per sample:
 * `noisy_0..noisy_{L-1}` and `signal_0..signal_{L-1}`. Optional columns/members: id, snr, noise.
 * A missing SNR is estimated as max |signal - median(signal)| / RMS(noisy - signal).
 */
export async function loadTraceFile(spec: TraceFileSpec): Promise<TraceSet> {
  const ext = extname(spec.path).toLowerCase();
  let raw: RawTraces;
  if (spec.path === '-') {
    // stdin: an Arrow file or stream (e.g. from `sciml data generate radio -o -`), else CSV text.
    const bytes = await readStdinBytes();
    raw = looksLikeArrow(bytes) ? fromArrow(parseArrow(bytes, '-'), spec) : fromCsv(parseCsv(bytes, '-'), '-');
  } else if (ARROW_EXTENSIONS.has(ext)) raw = fromArrow(readArrowFile(spec.path), spec);
  else if (isParquetPath(spec.path)) raw = fromArrow(await readParquetAsArrow(spec.path), spec);
  else if (ext === '.csv') raw = fromCsv(await readTable(spec.path), spec.path);
  else if (ext === '.npz') raw = fromNpz(spec);
  else if (ext === '.npy') raw = fromNpy(spec);
  else
    throw new UserError(
      `${spec.path}: expected traces in a .arrow, .parquet, .csv, .npz or .npy file, got '${ext || 'no extension'}'`,
    );
  return finish(raw, spec.path);
}

interface RawTraces {
  rows: number;
  length: number;
  noisy: Float32Array;
  signal: Float32Array;
  ids?: Int32Array;
  snr?: Float64Array;
  noise?: string[];
}

function fromArrow(table: Table, spec: TraceFileSpec): RawTraces {
  const noisy = flatFloat32Vectors(table, spec.noisyKey, spec.path);
  const signal = flatFloat32Vectors(table, spec.signalKey, spec.path);
  sameShape(spec.path, `column '${spec.noisyKey}'`, noisy, `column '${spec.signalKey}'`, signal);
  const numbers = (name: string): Float64Array | undefined => {
    const v = table.getChild(name);
    if (!v) return undefined;
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = Number(v.get(i));
      if (!Number.isFinite(x))
        throw new UserError(
          `${spec.path}: column '${name}': expected a finite number in every row, got ${v.get(i)} in row ${i}`,
        );
      out[i] = x;
    }
    return out;
  };
  const id = numbers('id');
  const noiseColumn = table.getChild('noise');
  return {
    rows: noisy.rows,
    length: noisy.length,
    noisy: noisy.data,
    signal: signal.data,
    ids: id ? Int32Array.from(id) : undefined,
    snr: numbers('snr'),
    noise: noiseColumn
      ? Array.from({ length: noiseColumn.length }, (_, i) => String(noiseColumn.get(i) ?? 'unknown'))
      : undefined,
  };
}

function sampleColumns(table: DataTable, prefix: string): NumericColumn[] {
  const found: { index: number; column: NumericColumn }[] = [];
  const pattern = new RegExp(`^${prefix}_(\\d+)$`);
  for (const c of table.columns) {
    const m = pattern.exec(c.name);
    if (!m) continue;
    if (c.kind !== 'number') throw new UserError(`${table.source}: column '${c.name}': expected numbers, got text`);
    found.push({ index: Number(m[1]), column: c });
  }
  found.sort((a, b) => a.index - b.index);
  if (found.length === 0)
    throw new UserError(`${table.source}: expected columns ${prefix}_0 .. ${prefix}_<L-1> (one per sample), got none`);
  found.forEach((f, i) => {
    if (f.index !== i)
      throw new UserError(
        `${table.source}: column '${prefix}_${i}': missing (sample columns must run ${prefix}_0 .. ${prefix}_${found.length - 1})`,
      );
  });
  return found.map((f) => f.column);
}

function fromCsv(table: DataTable, path: string): RawTraces {
  const noisyCols = sampleColumns(table, 'noisy');
  const signalCols = sampleColumns(table, 'signal');
  if (noisyCols.length !== signalCols.length)
    throw new UserError(
      `${path}: expected as many signal_* columns as noisy_* columns (${noisyCols.length}), got ${signalCols.length}`,
    );
  const rows = table.numRows;
  const L = noisyCols.length;
  const noisy = new Float32Array(rows * L);
  const signal = new Float32Array(rows * L);
  for (let t = 0; t < L; t++) {
    for (let i = 0; i < rows; i++) {
      noisy[i * L + t] = noisyCols[t].values[i];
      signal[i * L + t] = signalCols[t].values[i];
    }
  }
  const column = (name: string) => table.columns.find((c) => c.name === name);
  const id = column('id');
  const snr = column('snr');
  const noise = column('noise');
  if (snr && snr.kind !== 'number') throw new UserError(`${path}: column 'snr': expected numbers, got text`);
  return {
    rows,
    length: L,
    noisy,
    signal,
    ids: id && id.kind === 'number' ? Int32Array.from(id.values) : undefined,
    snr: snr && snr.kind === 'number' ? Float64Array.from(snr.values) : undefined,
    noise: noise ? Array.from({ length: rows }, (_, i) => String(noise.values[i] ?? 'unknown')) : undefined,
  };
}

function fromNpz(spec: TraceFileSpec): RawTraces {
  const noisyArray = readArray(spec.path, spec.noisyKey);
  const signalArray = readArray(spec.path, spec.signalKey);
  const noisy = asMatrix(noisyArray, noisyArray.where);
  const signal = asMatrix(signalArray, signalArray.where);
  sameShape(
    spec.path,
    `member '${spec.noisyKey}.npy'`,
    { rows: noisy.rows, length: noisy.cols },
    `member '${spec.signalKey}.npy'`,
    { rows: signal.rows, length: signal.cols },
  );
  const members = readNpz(spec.path);
  const snrArray = members.get('snr');
  let snr: Float64Array | undefined;
  if (snrArray) {
    if (snrArray.shape.length !== 1 || snrArray.shape[0] !== noisy.rows)
      throw new UserError(
        `${spec.path}: member 'snr.npy': expected shape [${noisy.rows}], got [${snrArray.shape.join(', ')}]`,
      );
    snr = Float64Array.from(snrArray.data);
  }
  return { rows: noisy.rows, length: noisy.cols, noisy: copy(noisy.data), signal: copy(signal.data), snr };
}

function fromNpy(spec: TraceFileSpec): RawTraces {
  if (!spec.signalPath)
    throw new UserError(
      `${spec.path}: a .npy holds one array (the noisy traces): also give the clean traces' .npy (signal_path)`,
    );
  const noisyArray = readArray(spec.path);
  const signalArray = readArray(spec.signalPath);
  const noisy = asMatrix(noisyArray, spec.path);
  const signal = asMatrix(signalArray, spec.signalPath);
  sameShape(spec.path, 'noisy array', { rows: noisy.rows, length: noisy.cols }, `signal array ${spec.signalPath}`, {
    rows: signal.rows,
    length: signal.cols,
  });
  return { rows: noisy.rows, length: noisy.cols, noisy: copy(noisy.data), signal: copy(signal.data) };
}

/** Scaling works in place: never on a buffer a reader may share. */
function copy(data: Float32Array): Float32Array {
  return new Float32Array(data);
}

function sameShape(
  file: string,
  aName: string,
  a: { rows: number; length: number },
  bName: string,
  b: { rows: number; length: number },
): void {
  if (a.rows !== b.rows || a.length !== b.length)
    throw new UserError(
      `${file}: ${bName}: expected the shape of ${aName} [${a.rows}, ${a.length}], got [${b.rows}, ${b.length}]`,
    );
}

function finish(raw: RawTraces, path: string): TraceSet {
  const { rows, length: L } = raw;
  if (rows === 0) throw new UserError(`${path}: expected at least one trace, got none`);
  for (const [name, data] of [
    ['noisy', raw.noisy],
    ['signal', raw.signal],
  ] as const) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        throw new UserError(
          `${path}: ${name}: expected finite samples, got ${data[i]} in trace ${Math.floor(i / L)} at sample ${i % L}`,
        );
    }
  }
  const scale = new Float64Array(rows).fill(1);
  const offset = new Float64Array(rows);
  const snr = raw.snr ?? estimateSnr(raw.noisy, raw.signal, L);
  minMaxScale(raw.noisy, raw.signal, L, scale, offset);
  const peakIndex = new Int32Array(rows);
  for (let i = 0; i < rows; i++) peakIndex[i] = argmax(raw.signal, i * L, (i + 1) * L);
  return {
    count: rows,
    length: L,
    ids: raw.ids ?? Int32Array.from({ length: rows }, (_, i) => i),
    noisy: raw.noisy,
    signal: raw.signal,
    snr,
    peakIndex,
    noise: raw.noise ?? new Array(rows).fill('unknown'),
    scale,
    offset,
  };
}

/** max |signal - median(signal)| / RMS(noisy - signal), per trace. */
function estimateSnr(noisy: Float32Array, signal: Float32Array, L: number): Float64Array {
  const rows = noisy.length / L;
  const snr = new Float64Array(rows);
  const sorted = new Float64Array(L);
  for (let i = 0; i < rows; i++) {
    const base = i * L;
    for (let t = 0; t < L; t++) sorted[t] = signal[base + t];
    sorted.sort();
    const median = L % 2 ? sorted[(L - 1) / 2] : 0.5 * (sorted[L / 2 - 1] + sorted[L / 2]);
    let peak = 0;
    let power = 0;
    for (let t = 0; t < L; t++) {
      peak = Math.max(peak, Math.abs(signal[base + t] - median));
      const n = noisy[base + t] - signal[base + t];
      power += n * n;
    }
    const noiseRms = Math.sqrt(power / L);
    snr[i] = noiseRms > 0 ? peak / noiseRms : Infinity;
  }
  return snr;
}
