/**
 * The saved model (`<run>/model/`, plain JSON): feature plan, table encoder, the bagged fold models
 * of each ensemble member (members/trial-N.json.gz: gzip JSON lines, see writeMemberFile), and how the
 * members combine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataTable } from '../../data/table.js';
import { UserError } from '../../runtime/errors.js';
import type { Learner, Matrix } from '../../learners/learner.js';
import { TableEncoder, type TableEncoderState } from '../../learners/preprocess.js';
import { LEARNERS } from '../../learners/registry.js';
import { CLASSIFIERS } from '../../learners/classifiers.js';
import { applyPlan, type FeaturePlan } from '../../tabular/features.js';
import { clampBelow, stackMatrix, weightedSum } from './ensemble.js';
import { predictMember } from './trial.js';
import { readMemberFile, readMemberHead, type SavedMember } from './trial-common.js';
import type { TargetTransform } from '../../tabular/target.js';
import { applyClassStacker, type ClassStacker } from './class-stack.js';
import type { Problem } from '../../tabular/problem.js';

export const MODEL_FORMAT = 'sciml-automl-model';
/**
 * 2: tree models saved packed (learners/tree-pack.ts). 3: member files gzip-compressed
 * (members/*.json.gz). Version 1 and 2 folders (one JSON object per tree; plain member files)
 * still load; an older sciml cannot read a newer folder.
 */
export const MODEL_VERSION = 3;
const READABLE_VERSIONS = [1, 2, 3];

export type FinalModel =
  | { type: 'single'; name: string }
  | { type: 'greedy'; name: string; weights: number[] }
  | { type: 'stack'; name: string; with_features: boolean; stacker: ReturnType<Learner['toJSON']> }
  | { type: 'class_stack'; name: string; stacker: ClassStacker };

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: 1 | 2 | 3;
  target: string;
  metric: string;
  transform: TargetTransform;
  plan: FeaturePlan;
  encoder: TableEncoderState;
  /** Predictions are clipped below at this value (null: not clipped). */
  clamp_min: number | null;
  members: { id: number; name: string; file: string }[];
  final: FinalModel;
  /** Regression or classification (absent in models saved before classification: regression). */
  problem?: Problem;
}

const stackers = new WeakMap<object, Learner>();

/** The saved stacker, rebuilt from JSON once per loaded model. */
function stackerOf(final: Extract<FinalModel, { type: 'stack' }>): Learner {
  let model = stackers.get(final);
  if (!model) {
    model = LEARNERS[final.stacker.kind].fromJSON(final.stacker);
    stackers.set(final, model);
  }
  return model;
}

export function combine(
  final: FinalModel,
  memberPreds: Float64Array[],
  names: string[],
  X: Matrix,
  clampMin: number | null,
  stacker?: Learner,
  classes?: number,
): Float64Array {
  switch (final.type) {
    case 'class_stack':
      return applyClassStacker(final.stacker, memberPreds, classes!);
    case 'single':
      return Float64Array.from(memberPreds[0]);
    case 'greedy':
      return weightedSum(memberPreds, final.weights);
    case 'stack': {
      const model = stacker ?? stackerOf(final);
      return clampBelow(
        Float64Array.from(model.predict(stackMatrix(memberPreds, names, final.with_features ? X : null))),
        clampMin,
      );
    }
  }
}

/**
 * A model folder: model.json, and each member's kind (its file's first line). The members' fold
 * models load one at a time while predicting (`readMember`), so a model of several large forests
 * never sits in memory all at once.
 */
export interface LoadedModel {
  /** The model/ folder it was loaded from. */
  dir: string;
  file: ModelFile;
  members: { kind: string }[];
  readMember(i: number): SavedMember;
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
  if (file.format !== format)
    throw new UserError(`${path}: format: expected '${format}', got ${JSON.stringify(file.format)}`);
  return file;
}

/**
 * `keepMembers`: hold the member models in memory after their first use (a server predicting
 * many small batches); otherwise each predict reads them one at a time (one big file, less memory).
 */
export function loadModel(dir: string, options: { keepMembers?: boolean } = {}): LoadedModel {
  const path = join(dir, 'model.json');
  const file = readTaggedJson<ModelFile>(
    path,
    MODEL_FORMAT,
    `${dir}: expected the model/ folder of an automl or tabular run (no model.json)`,
  );
  checkModelVersion(path, file.version);
  const paths = file.members.map((m) => {
    const memberPath = join(dir, m.file);
    if (!existsSync(memberPath))
      throw new UserError(`${memberPath}: missing member model (the model folder is incomplete)`);
    return memberPath;
  });
  const members = paths.map((p) => ({ kind: readMemberHead(p).kind }));
  for (const m of members) {
    if (!LEARNERS[m.kind] && !CLASSIFIERS[m.kind])
      throw new UserError(`${dir}: the model uses learner '${m.kind}', which this version of sciml does not have`);
  }
  const kept = new Map<number, SavedMember>();
  const readMember = (i: number): SavedMember => {
    if (!options.keepMembers) return readMemberFile(paths[i]);
    let member = kept.get(i);
    if (!member) kept.set(i, (member = readMemberFile(paths[i])));
    return member;
  };
  return { dir, file, members, readMember };
}

/** A version this sciml cannot read is a UserError saying which versions it reads and what to do. */
function checkModelVersion(path: string, version: unknown): void {
  if (READABLE_VERSIONS.includes(version as number)) return;
  const newer = typeof version === 'number' && version > MODEL_VERSION;
  throw new UserError(
    `${path}: version: this sciml reads model format versions ${READABLE_VERSIONS.slice(0, -1).join(', ')} and ${READABLE_VERSIONS.at(-1)}, got ` +
      `${JSON.stringify(version ?? null)}: ` +
      `${newer ? 'the model was saved by a newer sciml, upgrade sciml to load it' : 'retrain the model with this sciml'}`,
  );
}

export interface ModelPredictions {
  /** Regression: the predictions; classification: the row-major class probabilities. */
  prediction: Float64Array;
  members: { name: string; prediction: Float64Array }[];
}

/** Predicts a table (with at least the model's input columns; the target is not needed). */
export function predictTable(model: LoadedModel, table: DataTable): ModelPredictions {
  const features = applyPlan(table, model.file.plan);
  const X = TableEncoder.fromJSON(model.file.encoder).transform(features);
  const preds = model.members.map((_, i) => predictMember(model.readMember(i), X));
  const names = model.file.members.map((m) => m.name);
  const K = model.file.problem?.classes?.length;
  return {
    prediction: combine(model.file.final, preds, names, X, model.file.clamp_min ?? null, undefined, K),
    members: names.map((name, i) => ({ name, prediction: preds[i] })),
  };
}
