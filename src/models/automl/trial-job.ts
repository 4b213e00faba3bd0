/**
 * AutoML trials as executor jobs (kind `automl-trial`): the prepared table travels as one input
 * blob, the trial's numbers and kept fold models come back as artifacts, bit for bit, so a trial
 * gives the same result on a local thread or on a remote `sciml worker`.
 */
import type { JobHandler, JobOutcome } from '../../execution/job.js';
import { float32Of, float64Of, int32Of, packRecord, unpackRecord } from '../../execution/codec.js';
import type { Matrix, Params } from '../../learners/learner.js';
import { runTrialFolds, saveMember } from './trial.js';
import { memberBytes, type TrialData, type TrialResult, type TrialTask } from './trial-common.js';

export type TableData = Omit<TrialData, 'candidatesDir'>;

/** JSON cannot hold Infinity: `saveBelow: null` stands for "keep whatever finishes". */
export interface AutomlTrialPayload {
  task: Omit<TrialTask, 'saveBelow'> & { saveBelow: number | null };
  /** Content hash of the `table` input, the key of the worker's decoded-table cache. */
  table: string;
}

interface MatrixMeta {
  rows: number;
  names: string[];
  type: 'f64' | 'f32';
  categorical?: boolean[];
  categories?: number[];
}

function matrixMeta(m: Matrix): MatrixMeta {
  return {
    rows: m.rows,
    names: m.names,
    type: m.columns[0] instanceof Float32Array ? 'f32' : 'f64',
    categorical: m.categorical,
    categories: m.categories,
  };
}

/** The prepared table as one blob (the same data always gives the same bytes). */
export function encodeTable(data: TableData): Uint8Array {
  const sections: Record<string, ArrayBufferView> = { y: data.y, folds: data.folds };
  if (data.sampleWeight) sections.sampleWeight = data.sampleWeight;
  data.X.columns.forEach((c, j) => (sections[`X${j}`] = c));
  data.Xtest.columns.forEach((c, j) => (sections[`T${j}`] = c));
  return packRecord(
    {
      X: matrixMeta(data.X),
      Xtest: matrixMeta(data.Xtest),
      k: data.k,
      metric: data.metric,
      clampMin: data.clampMin,
      classes: data.classes ?? null,
    },
    sections,
  );
}

export function decodeTable(blob: Uint8Array): TableData {
  const { meta, sections } = unpackRecord(blob);
  const m = meta as {
    X: MatrixMeta;
    Xtest: MatrixMeta;
    k: number;
    metric: TableData['metric'];
    clampMin: number | null;
    classes?: number | null;
  };
  const matrix = (mm: MatrixMeta, prefix: string): Matrix => {
    const columns = mm.names.map((_, j) =>
      mm.type === 'f32' ? float32Of(sections[`${prefix}${j}`]) : float64Of(sections[`${prefix}${j}`]),
    );
    const out: Matrix = { rows: mm.rows, names: mm.names, columns: columns as Float64Array[] | Float32Array[] };
    if (mm.categorical) out.categorical = mm.categorical;
    if (mm.categories) out.categories = mm.categories;
    return out;
  };
  const data: TableData = {
    X: matrix(m.X, 'X'),
    y: float64Of(sections.y),
    Xtest: matrix(m.Xtest, 'T'),
    folds: int32Of(sections.folds),
    k: m.k,
    metric: m.metric,
    clampMin: m.clampMin,
  };
  if (m.classes !== undefined && m.classes !== null) data.classes = m.classes;
  if (sections.sampleWeight) data.sampleWeight = float64Of(sections.sampleWeight);
  return data;
}

interface TrialJobResult {
  kind: string;
  params: Params;
  loss: number | null;
  fitSeconds: number;
  predictSeconds: number;
}

let cached: { hash: string; data: TableData } | undefined;

/** Runs in the executor's thread (here or on a worker); the decoded table is kept for the next trial. */
export const automlTrialHandler: JobHandler<AutomlTrialPayload, TrialJobResult> = async (payload, inputs) => {
  if (!inputs.table) throw new Error('automl-trial: the prepared table (input "table") is missing');
  if (cached?.hash !== payload.table) cached = { hash: payload.table, data: decodeTable(inputs.table) };
  const task: TrialTask = { ...payload.task, saveBelow: payload.task.saveBelow ?? Infinity };
  const { result, member } = await runTrialFolds(task, cached.data);
  const artifacts: Record<string, Uint8Array> = {
    oof: bytesOf(result.oof),
    test: bytesOf(result.test),
    fold_losses: bytesOf(Float64Array.from(result.foldLosses)),
  };
  if (member) artifacts.member = memberBytes(member);
  return {
    result: {
      kind: result.kind,
      params: result.params,
      loss: Number.isFinite(result.loss) ? result.loss : null,
      fitSeconds: result.fitSeconds,
      predictSeconds: result.predictSeconds,
    },
    artifacts,
  };
};

function bytesOf(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function trialPayload(task: TrialTask, tableHash: string): AutomlTrialPayload {
  return { task: { ...task, saveBelow: Number.isFinite(task.saveBelow) ? task.saveBelow : null }, table: tableHash };
}

/** The driver's side: the trial's result from a job outcome; kept fold models are written into `candidatesDir`. */
export function trialResultOf(outcome: JobOutcome, id: number, candidatesDir: string): TrialResult {
  const r = outcome.result as TrialJobResult;
  const a = outcome.artifacts ?? {};
  if (!a.oof || !a.test || !a.fold_losses) throw new Error(`trial ${id}: the outcome lacks its predictions`);
  return {
    kind: r.kind,
    params: r.params,
    loss: r.loss === null ? Infinity : r.loss,
    foldLosses: Array.from(float64Of(a.fold_losses)),
    oof: Float64Array.from(float64Of(a.oof)),
    test: Float64Array.from(float64Of(a.test)),
    fitSeconds: r.fitSeconds,
    predictSeconds: r.predictSeconds,
    modelFile: a.member ? saveMember(candidatesDir, id, a.member) : null,
  };
}
