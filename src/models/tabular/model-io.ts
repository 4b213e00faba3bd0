/**
 * The tabular task's model/ folder, in the AutoML model format (one member, one fold),
 * so `sciml predict --model RUN/model` and the AutoML loader read it unchanged; tabular.json adds
 * what the task's own evaluate needs (the learner and the mean baseline). A tune trial writes the
 * same files into its checkpoint folder, so a tune run's best/<segment>/model/ predicts too.
 */
import { join } from 'node:path';
import { writeJsonAtomic } from '../../runtime/atomic.js';
import { MODEL_FORMAT, MODEL_VERSION, readTaggedJson, type ModelFile } from '../automl/model.js';
import { writeMemberFile, type SavedMember } from '../automl/trial-common.js';
import type { TargetTransform } from '../../tabular/target.js';
import type { Learner, Params } from '../../learners/learner.js';
import type { TabularData } from './data.js';
import type { FeaturePlan } from '../../tabular/features.js';
import type { TableEncoderState } from '../../learners/preprocess.js';

const TABULAR_FORMAT = 'sciml-tabular-model';
const MEMBER_FILE = 'members/model.json.gz';

export interface TabularModelInfo {
  format: typeof TABULAR_FORMAT;
  version: 1;
  learner: string;
  params: Params;
  target: string;
  transform: TargetTransform;
  /** The mean of the training target: the baseline's constant prediction. */
  baseline_mean: number;
  training_rows: number;
}

/** What a saved model needs of the prepared table. */
export interface ModelInputs {
  target: string;
  plan: FeaturePlan;
  encoder: TableEncoderState;
  clampMin: number | null;
  /** Rows the learner was fitted on. */
  rows: number;
}

export function modelInputsOf(prep: TabularData): ModelInputs {
  return {
    target: prep.target,
    plan: prep.plan,
    encoder: prep.encoder.toJSON(),
    clampMin: prep.clampMin,
    rows: prep.y.length,
  };
}

/** Writes the model folder `modelDir` (model.json, members/model.json.gz, tabular.json), each file atomically. */
export function saveTabularModel(
  modelDir: string,
  prep: ModelInputs,
  learner: Learner,
  transform: TargetTransform,
  baselineMean: number,
): TabularModelInfo {
  const member: SavedMember = {
    kind: learner.kind,
    params: learner.params,
    transform,
    clampMin: prep.clampMin,
    folds: [learner.toJSON()],
  };
  writeMemberFile(join(modelDir, MEMBER_FILE), member);
  const model: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    target: prep.target,
    metric: 'rmse',
    transform,
    plan: prep.plan,
    encoder: prep.encoder,
    clamp_min: prep.clampMin,
    members: [{ id: 0, name: learner.kind, file: MEMBER_FILE }],
    final: { type: 'single', name: learner.kind },
  };
  writeJsonAtomic(join(modelDir, 'model.json'), model);
  const info: TabularModelInfo = {
    format: TABULAR_FORMAT,
    version: 1,
    learner: learner.kind,
    params: learner.params,
    target: prep.target,
    transform,
    baseline_mean: baselineMean,
    training_rows: prep.rows,
  };
  writeJsonAtomic(join(modelDir, 'tabular.json'), info);
  return info;
}

export function readTabularInfo(modelDir: string): TabularModelInfo {
  return readTaggedJson<TabularModelInfo>(
    join(modelDir, 'tabular.json'),
    TABULAR_FORMAT,
    `${modelDir}: expected the model/ folder of a tabular run (no tabular.json)`,
  );
}
