/** What regression and classification trials share: their data, task and result, member files, fold rows and seeds. */
import { Random } from '../../runtime/random.js';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../../runtime/atomic.js';
import type { Learner, Matrix, Params } from '../../learners/learner.js';
import { inverseInPlace, type TargetTransform } from '../../tabular/target.js';
import type { RegressionMetric } from '../../metrics/regression.js';
import type { Config } from '../../search/space.js';
import type { PowerCalibration } from './calibration.js';
import type { ClassificationMetric } from '../../metrics/classification.js';

export interface TrialData {
  X: Matrix;
  y: Float64Array;
  /** Holdout features (predicted with the bagged model; never used for scoring in the search). */
  Xtest: Matrix;
  folds: Int32Array;
  k: number;
  /** The search metric (a classification metric when `classes` is set). */
  metric: RegressionMetric | ClassificationMetric;
  /** Classification: the number of classes K (y holds class indices); undefined for regression. */
  classes?: number;
  /** Per-row training weights (class_weight: balanced). */
  sampleWeight?: Float64Array;
  /** Predictions are clipped below at this value (0 for non-negative targets). */
  clampMin: number | null;
  /** Where fold models of good trials are written. */
  candidatesDir: string;
}

export interface TrialTask {
  id: number;
  config: Config;
  budget: number;
  transform: TargetTransform;
  /** Seed of this configuration (the same for every rung, so promotions refit identically). */
  seed: number;
  /** Date.now() milliseconds after which fits should stop early. */
  softDeadlineEpochMs?: number;
  /** Save the fold models when the CV loss is below this. */
  saveBelow: number;
}

export interface TrialResult {
  kind: string;
  params: Params;
  loss: number;
  foldLosses: number[];
  oof: Float64Array;
  test: Float64Array;
  fitSeconds: number;
  predictSeconds: number;
  modelFile: string | null;
}

export interface SavedMember {
  kind: string;
  params: Params;
  transform: TargetTransform;
  clampMin: number | null;
  /** Classification members: the number of classes, and the probability calibration if any. */
  classes?: number;
  calibration?: PowerCalibration;
  folds: ReturnType<Learner['toJSON']>[];
}

export class DeadlineError extends Error {}

/**
 * Member files are JSON lines: the member without its fold models (and their count), then one
 * line per fold model, so no single string approaches V8's string length limit (100 fully grown
 * trees per fold on 16,000 rows are ~30 MB of JSON each). A file holding one JSON document (as
 * written before) still loads. The files of a model folder (format 3) are gzip-compressed (packed
 * trees' bytes are base64 in the JSON: deflate takes them to about a third); the search's
 * candidate files are not (most are never deployed). Readers take both.
 */
/** A member as JSON lines (a head, then one line per fold model): no single string holds a big forest. */
export function memberBytes(member: SavedMember): Uint8Array {
  const { folds, ...head } = member;
  const lines = [JSON.stringify({ ...head, fold_lines: folds.length }), ...folds.map((f) => JSON.stringify(f))];
  return Buffer.concat(lines.map((l) => Buffer.from(l + '\n')));
}

/** Level 3: within a few percent of level 6's size on packed forests, in a third of the time. */
const GZIP_LEVEL = 3;

/** Writes a member (or a candidate file's bytes) gzip-compressed, as a model folder holds it. */
export function writeMemberFile(path: string, member: SavedMember | Uint8Array): void {
  writeFileAtomic(path, gzipSync(member instanceof Uint8Array ? member : memberBytes(member), { level: GZIP_LEVEL }));
}

function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** A member file's JSON lines, inflated if the file is compressed. */
function memberText(path: string): Buffer {
  const buf = readFileSync(path);
  return isGzip(buf) ? gunzipSync(buf) : buf;
}

/** A member file's first line, reading (and inflating) only as much of the file as it takes. */
function firstLine(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    const chunk = Buffer.alloc(1 << 16);
    let gzip: boolean | undefined;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(Buffer.from(chunk.subarray(0, n)));
      gzip ??= isGzip(chunks[0]);
      // A compressed prefix inflates to a prefix of the text (Z_SYNC_FLUSH: no error for the missing end).
      const text = gzip ? gunzipSync(Buffer.concat(chunks), { finishFlush: constants.Z_SYNC_FLUSH }) : chunks.at(-1)!;
      const nl = text.indexOf(10);
      if (nl >= 0) return gzip ? text.subarray(0, nl) : Buffer.concat([...chunks.slice(0, -1), text.subarray(0, nl)]);
    }
    return gzip ? gunzipSync(Buffer.concat(chunks)) : Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

/** A member file's first line: everything but the fold models (of a one-document file: all of it). */
export function readMemberHead(path: string): Omit<SavedMember, 'folds'> {
  try {
    return JSON.parse(firstLine(path).toString('utf8'));
  } catch {
    // A one-document file written with indentation: its first line is not the whole head.
    const { folds: _folds, ...head } = JSON.parse(memberText(path).toString('utf8')) as SavedMember;
    return head;
  }
}

export function readMemberFile(path: string): SavedMember {
  const buf = memberText(path);
  const firstEnd = buf.indexOf(10);
  let head: SavedMember & { fold_lines?: number };
  try {
    head = JSON.parse(buf.subarray(0, firstEnd < 0 ? buf.length : firstEnd).toString('utf8'));
  } catch {
    return JSON.parse(buf.toString('utf8')) as SavedMember; // a one-document file written with indentation
  }
  if (head.fold_lines === undefined) return head as SavedMember;
  const { fold_lines: count, ...rest } = head;
  const folds: SavedMember['folds'] = [];
  let start = firstEnd + 1;
  for (let i = 0; i < count; i++) {
    let end = buf.indexOf(10, start);
    if (end < 0) end = buf.length;
    folds.push(JSON.parse(buf.subarray(start, end).toString('utf8')));
    start = end + 1;
  }
  if (folds.length !== count) throw new Error(`${path}: expected ${count} fold models, found ${folds.length}`);
  return { ...rest, folds } as SavedMember;
}

/** Learners built on tfjs: the backend must be initialized (once per thread) before they run. */
const TENSORFLOW_KINDS = new Set(['mlp']);

export async function ensureBackendFor(kinds: Iterable<string>): Promise<void> {
  if (![...kinds].some((k) => TENSORFLOW_KINDS.has(k))) return;
  const { currentBackend, initBackend } = await import('../../runtime/backend.js');
  if (!currentBackend()) await initBackend('auto');
}

export function clampInPlace(p: Float64Array, min: number | null): Float64Array {
  if (min !== null) for (let i = 0; i < p.length; i++) if (!(p[i] >= min)) p[i] = Number.isNaN(p[i]) ? p[i] : min;
  return p;
}

/** Predictions of a fitted fold model in the target's own units. */
export function predictOriginal(
  learner: Learner,
  X: Matrix,
  transform: TargetTransform,
  clampMin: number | null,
): Float64Array {
  return clampInPlace(inverseInPlace(transform, Float64Array.from(learner.predict(X))), clampMin);
}

export function foldSeed(seed: number, fold: number): number {
  return (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) + fold * 0x632be5ab) >>> 0;
}

/** Fold f's training rows (a seeded `dataFraction` of them, for low rungs) and validation rows. */
export function foldRows(
  folds: Int32Array,
  f: number,
  dataFraction: number,
  seed: number,
): { trainRows: number[]; validRows: number[] } {
  let trainRows: number[] = [];
  const validRows: number[] = [];
  for (let i = 0; i < folds.length; i++) (folds[i] === f ? validRows : trainRows).push(i);
  if (dataFraction < 1) {
    const rng = new Random(foldSeed(seed, f) ^ 0xda7a);
    const keep = Math.max(2, Math.round(trainRows.length * dataFraction));
    trainRows = Array.from(rng.permutation(trainRows.length).slice(0, keep))
      .sort((a, b) => a - b)
      .map((i) => trainRows[i]);
  }
  return { trainRows, validRows };
}
