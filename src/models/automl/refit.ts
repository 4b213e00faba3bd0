/**
 * `ensemble.deploy: compact` (the default): each member of the final model is refitted once on all
 * training rows with its trial's parameters (AutoGluon's refit_full), instead of deploying its k
 * fold models: about 1/k of the size and of the prediction time. The ensemble's weights, stacker
 * and probability calibration stay those fitted on the out-of-fold predictions.
 */
import type { Matrix } from '../../learners/learner.js';
import { LEARNERS } from '../../learners/registry.js';
import { CLASSIFIERS } from '../../learners/classifiers.js';
import { forward } from '../../tabular/target.js';
import { ensureBackendFor, foldSeed, type SavedMember } from './trial-common.js';

export interface RefitData {
  X: Matrix;
  y: Float64Array;
  /** Classification: the number of classes, and per-row training weights if any. */
  classes?: number;
  sampleWeight?: Float64Array;
  /** The k of the k-fold bagging: the refit's seed is that of a fold k (one the search never used). */
  k: number;
}

/** The member refitted on all rows: one model in `folds`, everything else as saved. */
export async function refitMember(
  saved: Omit<SavedMember, 'folds'>,
  data: RefitData,
  trialSeed: number,
): Promise<SavedMember> {
  // A member file's head also counts its fold lines (trial-common.ts): not part of the member.
  const { fold_lines: _lines, ...member } = saved as Omit<SavedMember, 'folds'> & { fold_lines?: number };
  await ensureBackendFor([member.kind]);
  const seed = foldSeed(trialSeed, data.k);
  if (member.classes !== undefined) {
    const factory = CLASSIFIERS[member.kind];
    if (!factory) throw new Error(`refit: unknown classifier '${member.kind}'`);
    const model = factory.create(member.params);
    await model.fit(data.X, data.y, { seed, classes: member.classes, sampleWeight: data.sampleWeight });
    const json = model.toJSON();
    (model as { dispose?: () => void }).dispose?.();
    return { ...member, folds: [json] };
  }
  const factory = LEARNERS[member.kind];
  if (!factory) throw new Error(`refit: unknown learner '${member.kind}'`);
  const model = factory.create(member.params);
  await model.fit(data.X, forward(member.transform, data.y), { seed });
  return { ...member, folds: [model.toJSON()] };
}
