/**
 * The tabular task's model/ folder, plain JSON in the AutoML model format (one member, one fold),
 * so `sciml predict --model RUN/model` and the AutoML loader read it unchanged; tabular.json adds
 * what the task's own evaluate needs (the learner and the mean baseline).
 */
import { join } from 'node:path';
import type { RunDir } from '../../runtime/rundir.js';
import { MODEL_FORMAT, readTaggedJson, type ModelFile } from '../automl/model.js';
import type { SavedMember } from '../automl/trial.js';
import type { TargetTransform } from '../automl/target.js';
import type { Learner, Params } from './learner.js';
import type { TabularData } from './data.js';

export const TABULAR_FORMAT = 'sciml-tabular-model';
const MEMBER_FILE = 'members/model.json';

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

export function saveTabularModel(run: RunDir, prep: TabularData, learner: Learner, transform: TargetTransform, baselineMean: number): TabularModelInfo {
  const member: SavedMember = { kind: learner.kind, params: learner.params, transform, clampMin: prep.clampMin, folds: [learner.toJSON()] };
  run.writeJson(`model/${MEMBER_FILE}`, member);
  const model: ModelFile = {
    format: MODEL_FORMAT,
    version: 1,
    target: prep.target,
    metric: 'rmse',
    transform,
    plan: prep.plan,
    encoder: prep.encoder.toJSON(),
    clamp_min: prep.clampMin,
    members: [{ id: 0, name: learner.kind, file: MEMBER_FILE }],
    final: { type: 'single', name: learner.kind },
  };
  run.writeJson('model/model.json', model);
  const info: TabularModelInfo = { format: TABULAR_FORMAT, version: 1, learner: learner.kind, params: learner.params, target: prep.target, transform, baseline_mean: baselineMean, training_rows: prep.y.length };
  run.writeJson('model/tabular.json', info);
  return info;
}

export function readTabularInfo(modelDir: string): TabularModelInfo {
  return readTaggedJson<TabularModelInfo>(join(modelDir, 'tabular.json'), TABULAR_FORMAT, `${modelDir}: expected the model/ folder of a tabular run (no tabular.json)`);
}
