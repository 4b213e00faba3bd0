/**
 * The saved model (`<run>/model/`, plain JSON): feature plan, table encoder, the bagged fold models
 * of each ensemble member (members/trial-N.json), and how the members combine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataTable } from '../../data/table.js';
import { UserError } from '../../runtime/errors.js';
import type { Learner, Matrix } from '../tabular/learner.js';
import { TableEncoder, type TableEncoderState } from '../tabular/preprocess.js';
import { LEARNERS } from '../tabular/registry.js';
import { applyPlan, type FeaturePlan } from './features.js';
import { clampBelow, stackMatrix, weightedSum } from './ensemble.js';
import { predictMember, type SavedMember } from './trial.js';
import type { TargetTransform } from './target.js';

export const MODEL_FORMAT = 'sciml-automl-model';

export type FinalModel =
  | { type: 'single'; name: string }
  | { type: 'greedy'; name: string; weights: number[] }
  | { type: 'stack'; name: string; with_features: boolean; stacker: ReturnType<Learner['toJSON']> };

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: 1;
  target: string;
  metric: string;
  transform: TargetTransform;
  plan: FeaturePlan;
  encoder: TableEncoderState;
  /** Predictions are clipped below at this value (null: not clipped). */
  clamp_min: number | null;
  members: { id: number; name: string; file: string }[];
  final: FinalModel;
}

export function combine(final: FinalModel, memberPreds: Float64Array[], names: string[], X: Matrix, clampMin: number | null, stacker?: Learner): Float64Array {
  switch (final.type) {
    case 'single':
      return Float64Array.from(memberPreds[0]);
    case 'greedy':
      return weightedSum(memberPreds, final.weights);
    case 'stack': {
      const model = stacker ?? LEARNERS[final.stacker.kind].fromJSON(final.stacker);
      return clampBelow(Float64Array.from(model.predict(stackMatrix(memberPreds, names, final.with_features ? X : null))), clampMin);
    }
  }
}

export interface LoadedModel {
  file: ModelFile;
  members: SavedMember[];
}

/** Reads a JSON file tagged with `format`; a missing, unreadable or foreign file is a UserError (`missing` says what was expected). */
export function readTaggedJson<T extends { format: string }>(path: string, format: string, missing: string): T {
  if (!existsSync(path)) throw new UserError(missing);
  let file: T;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new UserError(`${path}: expected JSON, ${(err as Error).message}`);
  }
  if (file.format !== format) throw new UserError(`${path}: format: expected '${format}', got ${JSON.stringify(file.format)}`);
  return file;
}

export function loadModel(dir: string): LoadedModel {
  const file = readTaggedJson<ModelFile>(join(dir, 'model.json'), MODEL_FORMAT, `${dir}: expected the model/ folder of an automl or tabular run (no model.json)`);
  const members = file.members.map((m) => {
    const memberPath = join(dir, m.file);
    if (!existsSync(memberPath)) throw new UserError(`${memberPath}: missing member model (the model folder is incomplete)`);
    return JSON.parse(readFileSync(memberPath, 'utf8')) as SavedMember;
  });
  for (const m of members) {
    if (!LEARNERS[m.kind]) throw new UserError(`${dir}: the model uses learner '${m.kind}', which this version of sciml does not have`);
  }
  return { file, members };
}

export interface ModelPredictions {
  prediction: Float64Array;
  members: { name: string; prediction: Float64Array }[];
}

/** Predicts a table (with at least the model's input columns; the target is not needed). */
export function predictTable(model: LoadedModel, table: DataTable): ModelPredictions {
  const features = applyPlan(table, model.file.plan);
  const X = TableEncoder.fromJSON(model.file.encoder).transform(features);
  const preds = model.members.map((m) => predictMember(m, X));
  const names = model.file.members.map((m) => m.name);
  return { prediction: combine(model.file.final, preds, names, X, model.file.clamp_min ?? null), members: names.map((name, i) => ({ name, prediction: preds[i] })) };
}
