/**
 * One trial: k-fold bagging of one learner configuration. Each fold's model is fitted on the other
 * folds and predicts its own fold (out-of-fold predictions, for scoring and ensembling) and the
 * holdout (averaged over the folds: the bagged model). Runs as an `automl-trial` job (trial-job.ts)
 * on any executor, and in the parent for replays.
 */
import { Random } from '../../runtime/random.js';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { writeFileAtomic } from '../../runtime/atomic.js';
import type { Learner, LearnerFactory, Matrix, Params } from '../tabular/learner.js';
import { LEARNERS } from '../tabular/registry.js';
import { takeRows, takeValues } from '../tabular/preprocess.js';
import { forward, inverseInPlace, type TargetTransform } from './target.js';
import { lossOf, type RegressionMetric } from './metrics.js';
import { resolveTrialParams } from './zoo.js';
import type { Config } from '../../search/space.js';
import type { PowerCalibration } from './calibration.js';
import type { ClassificationMetric } from './class-metrics.js';
import { predictClassMember, runClassTrialFolds } from './class-trial.js';

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
 * written before) still loads.
 */
/** A member as JSON lines (a head, then one line per fold model): no single string holds a big forest. */
export function memberBytes(member: SavedMember): Uint8Array {
  const { folds, ...head } = member;
  const lines = [JSON.stringify({ ...head, fold_lines: folds.length }), ...folds.map((f) => JSON.stringify(f))];
  return Buffer.concat(lines.map((l) => Buffer.from(l + '\n')));
}

export function writeMemberFile(path: string, member: SavedMember): void {
  writeFileAtomic(path, memberBytes(member));
}

/** A member file's first line: everything but the fold models (of a one-document file: all of it). */
export function readMemberHead(path: string): Omit<SavedMember, 'folds'> {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    const chunk = Buffer.alloc(1 << 16);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const nl = chunk.subarray(0, n).indexOf(10);
      chunks.push(Buffer.from(chunk.subarray(0, nl < 0 ? n : nl)));
      if (nl >= 0) break;
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      // A one-document file written with indentation: its first line is not the whole head.
      const { folds: _folds, ...head } = JSON.parse(readFileSync(path, 'utf8')) as SavedMember;
      return head;
    }
  } finally {
    closeSync(fd);
  }
}

export function readMemberFile(path: string): SavedMember {
  const buf = readFileSync(path);
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
export function predictOriginal(learner: Learner, X: Matrix, transform: TargetTransform, clampMin: number | null): Float64Array {
  return clampInPlace(inverseInPlace(transform, Float64Array.from(learner.predict(X))), clampMin);
}

export function foldSeed(seed: number, fold: number): number {
  return (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) + fold * 0x632be5ab) >>> 0;
}

/** Fold f's training rows (a seeded `dataFraction` of them, for low rungs) and validation rows. */
export function foldRows(folds: Int32Array, f: number, dataFraction: number, seed: number): { trainRows: number[]; validRows: number[] } {
  let trainRows: number[] = [];
  const validRows: number[] = [];
  for (let i = 0; i < folds.length; i++) (folds[i] === f ? validRows : trainRows).push(i);
  if (dataFraction < 1) {
    const rng = new Random(foldSeed(seed, f) ^ 0xda7a);
    const keep = Math.max(2, Math.round(trainRows.length * dataFraction));
    trainRows = Array.from(rng.permutation(trainRows.length).slice(0, keep)).sort((a, b) => a - b).map((i) => trainRows[i]);
  }
  return { trainRows, validRows };
}

/** A trial's result and, when its CV loss is below `task.saveBelow`, its fold models (not yet written anywhere). */
export async function runTrialFolds(task: TrialTask, data: Omit<TrialData, 'candidatesDir'>, factories: Record<string, LearnerFactory> = LEARNERS): Promise<{ result: Omit<TrialResult, 'modelFile'>; member: SavedMember | null }> {
  if (data.classes !== undefined) return runClassTrialFolds(task, data);
  const { kind, params, dataFraction } = resolveTrialParams(task.config, task.budget, factories[String(task.config.learner)]);
  const factory = factories[kind];
  await ensureBackendFor([kind]);
  const n = data.y.length;
  const oof = new Float64Array(n).fill(NaN);
  const test = new Float64Array(data.Xtest.rows);
  const foldLosses: number[] = [];
  const models: ReturnType<Learner['toJSON']>[] = [];
  const loss = lossOf(data.metric as RegressionMetric);
  let fitSeconds = 0;
  let predictSeconds = 0;
  const deadlineMs = task.softDeadlineEpochMs === undefined ? undefined : performance.now() + (task.softDeadlineEpochMs - Date.now());
  let usedParams = params;
  for (let f = 0; f < data.k; f++) {
    if (deadlineMs !== undefined && performance.now() > deadlineMs) throw new DeadlineError(`trial ${task.id}: time budget reached before fold ${f + 1}`);
    const { trainRows, validRows } = foldRows(data.folds, f, dataFraction, task.seed);
    const Xtr = takeRows(data.X, trainRows);
    const ytr = forward(task.transform, takeValues(data.y, trainRows));
    const learner = factory.create(params);
    usedParams = learner.params;
    const t0 = performance.now();
    // One thread per trial: the trials themselves run in parallel.
    await learner.fit(Xtr, ytr, { seed: foldSeed(task.seed, f), deadlineMs, threads: 1 });
    const t1 = performance.now();
    const pValid = predictOriginal(learner, takeRows(data.X, validRows), task.transform, data.clampMin);
    const pTest = predictOriginal(learner, data.Xtest, task.transform, data.clampMin);
    predictSeconds += (performance.now() - t1) / 1000;
    fitSeconds += (t1 - t0) / 1000;
    for (let i = 0; i < validRows.length; i++) oof[validRows[i]] = pValid[i];
    for (let i = 0; i < test.length; i++) test[i] += pTest[i] / data.k;
    foldLosses.push(loss(takeValues(data.y, validRows), pValid));
    models.push(learner.toJSON());
  }
  const total = loss(data.y, oof);
  const member: SavedMember | null = Number.isFinite(total) && total < task.saveBelow ? { kind, params: usedParams, transform: task.transform, clampMin: data.clampMin, folds: models } : null;
  return { result: { kind, params: usedParams, loss: Number.isFinite(total) ? total : Infinity, foldLosses, oof, test, fitSeconds, predictSeconds }, member };
}

/** Runs a trial here and writes its fold models into `data.candidatesDir` when they are kept. */
export async function runTrial(task: TrialTask, data: TrialData, factories: Record<string, LearnerFactory> = LEARNERS): Promise<TrialResult> {
  const { result, member } = await runTrialFolds(task, data, factories);
  return { ...result, modelFile: member ? saveMember(data.candidatesDir, task.id, member) : null };
}

/** `<dir>/trial-<id>.json`: where a kept trial's fold models wait until the ensembles are built. */
export function saveMember(candidatesDir: string, id: number, member: SavedMember | Uint8Array): string {
  const modelFile = `${candidatesDir}/trial-${id}.json`;
  writeFileAtomic(modelFile, member instanceof Uint8Array ? member : memberBytes(member));
  return modelFile;
}

/** Fold models rebuilt from JSON once per saved member (rebuilding per call cost ms per request when serving). */
const foldModels = new WeakMap<SavedMember, Learner[]>();

function foldLearners(member: SavedMember, factory: LearnerFactory, factories: Record<string, LearnerFactory>): Learner[] {
  if (factories !== LEARNERS) return member.folds.map((json) => factory.fromJSON(json));
  let learners = foldModels.get(member);
  if (!learners) {
    learners = member.folds.map((json) => factory.fromJSON(json));
    foldModels.set(member, learners);
  }
  return learners;
}

/** Bagged prediction of a saved member: the mean over its fold models. */
export function predictMember(member: SavedMember, X: Matrix, factories: Record<string, LearnerFactory> = LEARNERS): Float64Array {
  if (member.classes !== undefined) return predictClassMember(member, X);
  const out = new Float64Array(X.rows);
  const factory = factories[member.kind];
  if (!factory) throw new Error(`saved model uses learner '${member.kind}', which this version of sciml does not have`);
  const learners = foldLearners(member, factory, factories);
  for (const learner of learners) {
    const p = predictOriginal(learner, X, member.transform, member.clampMin);
    for (let i = 0; i < out.length; i++) out[i] += p[i] / learners.length;
  }
  return out;
}
