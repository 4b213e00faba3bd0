/**
 * One classification trial: stratified k-fold bagging of one classifier configuration, the
 * classification twin of trial.ts. Out-of-fold and holdout predictions are row-major class
 * probabilities (n x K). Forests and k-NN get a power calibration (calibration.ts): cross-fitted
 * for the out-of-fold probabilities, fitted on all of them for the holdout and the saved member.
 */
import { gatherRows, type Classifier, type ClassifierFactory } from '../../learners/classifier.js';
import { CLASSIFIERS } from '../../learners/classifiers.js';
import type { Matrix } from '../../learners/learner.js';
import { takeRows, takeValues } from '../../learners/preprocess.js';
import { applyCalibration, crossFitted, fitCalibration, type PowerCalibration } from './calibration.js';
import { classificationLoss, type ClassificationMetric } from '../../metrics/classification.js';
import {
  DeadlineError,
  ensureBackendFor,
  foldRows,
  foldSeed,
  writeMemberFile,
  type SavedMember,
  type TrialData,
  type TrialResult,
  type TrialTask,
} from './trial-common.js';
import { resolveTrialParams } from './zoo.js';

/** Learners whose probabilities are votes, calibrated after bagging. */
export const CALIBRATED_KINDS = new Set(['random_forest', 'extra_trees', 'knn']);

/** A classification trial's result and, when its CV loss is below `task.saveBelow`, its fold models (not yet written anywhere). */
export async function runClassTrialFolds(
  task: TrialTask,
  data: Omit<TrialData, 'candidatesDir'>,
  factories: Record<string, ClassifierFactory> = CLASSIFIERS,
): Promise<{ result: Omit<TrialResult, 'modelFile'>; member: SavedMember | null }> {
  const K = data.classes!;
  const { kind, params, dataFraction } = resolveTrialParams(
    task.config,
    task.budget,
    factories[String(task.config.learner)],
  );
  const factory = factories[kind];
  await ensureBackendFor([kind]);
  const n = data.y.length;
  let oof: Float64Array = new Float64Array(n * K).fill(NaN);
  let test: Float64Array = new Float64Array(data.Xtest.rows * K);
  const models: ReturnType<Classifier['toJSON']>[] = [];
  const loss = classificationLoss(data.metric as ClassificationMetric);
  let fitSeconds = 0;
  let predictSeconds = 0;
  const deadlineMs =
    task.softDeadlineEpochMs === undefined ? undefined : performance.now() + (task.softDeadlineEpochMs - Date.now());
  let usedParams = params;
  const validRowsOf: number[][] = [];
  for (let f = 0; f < data.k; f++) {
    if (deadlineMs !== undefined && performance.now() > deadlineMs)
      throw new DeadlineError(`trial ${task.id}: time budget reached before fold ${f + 1}`);
    const { trainRows, validRows } = foldRows(data.folds, f, dataFraction, task.seed);
    validRowsOf.push(validRows);
    const learner = factory.create(params);
    usedParams = learner.params;
    const t0 = performance.now();
    await learner.fit(takeRows(data.X, trainRows), takeValues(data.y, trainRows), {
      seed: foldSeed(task.seed, f),
      deadlineMs,
      threads: 1,
      classes: K,
      sampleWeight: data.sampleWeight ? takeValues(data.sampleWeight, trainRows) : undefined,
    });
    const t1 = performance.now();
    const pValid = learner.predictProba(takeRows(data.X, validRows));
    const pTest = learner.predictProba(data.Xtest);
    predictSeconds += (performance.now() - t1) / 1000;
    fitSeconds += (t1 - t0) / 1000;
    validRows.forEach((i, j) => oof.set(pValid.subarray(j * K, (j + 1) * K), i * K));
    for (let i = 0; i < test.length; i++) test[i] += pTest[i] / data.k;
    models.push(learner.toJSON());
    (learner as { dispose?: () => void }).dispose?.();
  }
  let calibration: PowerCalibration | undefined;
  if (CALIBRATED_KINDS.has(kind)) {
    calibration = fitCalibration(data.y, oof, K);
    oof = crossFitted(data.y, oof, K, data.folds, data.k);
    test = applyCalibration(test, K, calibration);
  }
  const foldLosses = validRowsOf.map((rows) => loss(takeValues(data.y, rows), gatherRows(oof, rows, K)));
  const total = loss(data.y, oof);
  const member: SavedMember | null =
    Number.isFinite(total) && total < task.saveBelow
      ? {
          kind,
          params: usedParams,
          transform: 'none',
          clampMin: null,
          classes: K,
          ...(calibration ? { calibration } : {}),
          folds: models,
        }
      : null;
  return {
    result: {
      kind,
      params: usedParams,
      loss: Number.isFinite(total) ? total : Infinity,
      foldLosses,
      oof,
      test,
      fitSeconds,
      predictSeconds,
    },
    member,
  };
}

/** Bagged class probabilities of a saved classification member (calibrated where it was). */
export function predictClassMember(
  member: SavedMember,
  X: Matrix,
  factories: Record<string, ClassifierFactory> = CLASSIFIERS,
): Float64Array {
  const K = member.classes!;
  const factory = factories[member.kind];
  if (!factory)
    throw new Error(`saved model uses classifier '${member.kind}', which this version of sciml does not have`);
  const out = new Float64Array(X.rows * K);
  for (const json of member.folds) {
    const model = factory.fromJSON(json);
    const p = model.predictProba(X);
    (model as { dispose?: () => void }).dispose?.();
    for (let i = 0; i < out.length; i++) out[i] += p[i] / member.folds.length;
  }
  return member.calibration ? applyCalibration(out, K, member.calibration) : out;
}
