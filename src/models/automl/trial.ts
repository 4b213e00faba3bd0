/**
 * One trial: k-fold bagging of one learner configuration. Each fold's model is fitted on the other
 * folds and predicts its own fold (out-of-fold predictions, for scoring and ensembling) and the
 * holdout (averaged over the folds: the bagged model). Runs as an `automl-trial` job (trial-job.ts)
 * on any executor, and in the parent for replays.
 *
 * Regression and classification share the fold loop; a `FoldTarget` says what differs. A regression
 * fold model predicts one column in the target's own units (fitted on the transformed target); a
 * classifier predicts K class probabilities per row (n x K, row-major), and forests and k-NN get a
 * power calibration (calibration.ts): cross-fitted for the out-of-fold probabilities, fitted on all
 * of them for the holdout and the saved member.
 */
import { writeFileAtomic } from '../../runtime/atomic.js';
import type { FitOptions, Learner, LearnerFactory, Matrix } from '../../learners/learner.js';
import { gatherRows, type Classifier } from '../../learners/classifier.js';
import { LEARNERS } from '../../learners/registry.js';
import { CLASSIFIERS } from '../../learners/classifiers.js';
import { takeRows, takeValues } from '../../learners/preprocess.js';
import { forward } from '../../tabular/target.js';
import { lossOf, type RegressionMetric } from '../../metrics/regression.js';
import { classificationLoss, type ClassificationMetric } from '../../metrics/classification.js';
import { applyCalibration, crossFitted, fitCalibration } from './calibration.js';
import { resolveTrialParams } from './zoo.js';
import {
  DeadlineError,
  memberBytes,
  ensureBackendFor,
  predictOriginal,
  foldSeed,
  foldRows,
  type TrialData,
  type TrialTask,
  type TrialResult,
  type SavedMember,
} from './trial-common.js';

/** Learners whose probabilities are votes, calibrated after bagging. */
const CALIBRATED_KINDS = new Set(['random_forest', 'extra_trees', 'knn']);

/** What the fold loop does differently for a regression and a classification target. */
interface FoldTarget {
  factories: Record<string, LearnerFactory>;
  /** Prediction columns per row: 1, or the K class probabilities. */
  width: number;
  /** The training target of these rows and the fit options beyond seed, deadline and threads. */
  fitTarget(trainRows: number[]): { y: Float64Array; options?: Partial<FitOptions> };
  predict(learner: Learner, X: Matrix): Float64Array;
  loss(y: Float64Array, p: Float64Array): number;
  /** After the folds: the out-of-fold and holdout predictions to score, and the member's fields. */
  finish(
    kind: string,
    oof: Float64Array,
    test: Float64Array,
  ): { oof: Float64Array; test: Float64Array; member: Omit<SavedMember, 'kind' | 'params' | 'folds'> };
}

function regressionTarget(task: TrialTask, data: Omit<TrialData, 'candidatesDir'>): FoldTarget {
  return {
    factories: LEARNERS,
    width: 1,
    fitTarget: (rows) => ({ y: forward(task.transform, takeValues(data.y, rows)) }),
    predict: (learner, X) => predictOriginal(learner, X, task.transform, data.clampMin),
    loss: lossOf(data.metric as RegressionMetric),
    finish: (_kind, oof, test) => ({ oof, test, member: { transform: task.transform, clampMin: data.clampMin } }),
  };
}

function classificationTarget(data: Omit<TrialData, 'candidatesDir'>, K: number): FoldTarget {
  return {
    factories: CLASSIFIERS,
    width: K,
    fitTarget: (rows) => ({
      y: takeValues(data.y, rows),
      options: { classes: K, sampleWeight: data.sampleWeight ? takeValues(data.sampleWeight, rows) : undefined },
    }),
    predict: (learner, X) => (learner as Classifier).predictProba(X),
    loss: classificationLoss(data.metric as ClassificationMetric),
    finish: (kind, oof, test) => {
      const member = { transform: 'none' as const, clampMin: null, classes: K };
      if (!CALIBRATED_KINDS.has(kind)) return { oof, test, member };
      const calibration = fitCalibration(data.y, oof, K);
      return {
        oof: crossFitted(data.y, oof, K, data.folds, data.k),
        test: applyCalibration(test, K, calibration),
        member: { ...member, calibration },
      };
    },
  };
}

/** A trial's result and, when its CV loss is below `task.saveBelow`, its fold models (not yet written anywhere). */
export async function runTrialFolds(
  task: TrialTask,
  data: Omit<TrialData, 'candidatesDir'>,
): Promise<{ result: Omit<TrialResult, 'modelFile'>; member: SavedMember | null }> {
  const target = data.classes === undefined ? regressionTarget(task, data) : classificationTarget(data, data.classes);
  const { kind, params, dataFraction } = resolveTrialParams(
    task.config,
    task.budget,
    target.factories[String(task.config.learner)],
  );
  const factory = target.factories[kind];
  await ensureBackendFor([kind]);
  const width = target.width;
  let oof: Float64Array = new Float64Array(data.y.length * width).fill(NaN);
  let test: Float64Array = new Float64Array(data.Xtest.rows * width);
  const models: ReturnType<Learner['toJSON']>[] = [];
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
    const { y, options } = target.fitTarget(trainRows);
    const learner = factory.create(params);
    usedParams = learner.params;
    const t0 = performance.now();
    // One thread per trial: the trials themselves run in parallel.
    await learner.fit(takeRows(data.X, trainRows), y, {
      seed: foldSeed(task.seed, f),
      deadlineMs,
      threads: 1,
      ...options,
    });
    const t1 = performance.now();
    const pValid = target.predict(learner, takeRows(data.X, validRows));
    const pTest = target.predict(learner, data.Xtest);
    predictSeconds += (performance.now() - t1) / 1000;
    fitSeconds += (t1 - t0) / 1000;
    validRows.forEach((i, j) => oof.set(pValid.subarray(j * width, (j + 1) * width), i * width));
    for (let i = 0; i < test.length; i++) test[i] += pTest[i] / data.k;
    models.push(learner.toJSON());
    (learner as { dispose?: () => void }).dispose?.();
  }
  const finished = target.finish(kind, oof, test);
  oof = finished.oof;
  test = finished.test;
  const foldLosses = validRowsOf.map((rows) => target.loss(takeValues(data.y, rows), gatherRows(oof, rows, width)));
  const total = target.loss(data.y, oof);
  const member: SavedMember | null =
    Number.isFinite(total) && total < task.saveBelow
      ? { kind, params: usedParams, ...finished.member, folds: models }
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

/** Runs a trial here and writes its fold models into `data.candidatesDir` when they are kept. */
export async function runTrial(task: TrialTask, data: TrialData): Promise<TrialResult> {
  const { result, member } = await runTrialFolds(task, data);
  return { ...result, modelFile: member ? saveMember(data.candidatesDir, task.id, member) : null };
}

/** `<dir>/trial-<id>.json`: where a kept trial's fold models wait until the ensembles are built. */
export function saveMember(candidatesDir: string, id: number, member: SavedMember | Uint8Array): string {
  const modelFile = `${candidatesDir}/trial-${id}.json`;
  writeFileAtomic(modelFile, member instanceof Uint8Array ? member : memberBytes(member));
  return modelFile;
}

/** Regression fold models rebuilt from JSON once per saved member (rebuilding per call cost ms per request when serving). */
const foldModels = new WeakMap<SavedMember, Learner[]>();

function foldLearners(member: SavedMember, factory: LearnerFactory): Learner[] {
  let learners = foldModels.get(member);
  if (!learners) {
    learners = member.folds.map((json) => factory.fromJSON(json));
    foldModels.set(member, learners);
  }
  return learners;
}

/** Bagged prediction of a saved member: the mean over its fold models (a classifier's: n x K probabilities, calibrated where it was). */
export function predictMember(member: SavedMember, X: Matrix): Float64Array {
  if (member.classes !== undefined) return predictClassMember(member, X, member.classes);
  const out = new Float64Array(X.rows);
  const factory = LEARNERS[member.kind];
  if (!factory) throw new Error(`saved model uses learner '${member.kind}', which this version of sciml does not have`);
  const learners = foldLearners(member, factory);
  for (const learner of learners) {
    const p = predictOriginal(learner, X, member.transform, member.clampMin);
    for (let i = 0; i < out.length; i++) out[i] += p[i] / learners.length;
  }
  return out;
}

function predictClassMember(member: SavedMember, X: Matrix, K: number): Float64Array {
  const factory = CLASSIFIERS[member.kind];
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
