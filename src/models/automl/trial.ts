/**
 * One trial: k-fold bagging of one learner configuration. Each fold's model is fitted on the other
 * folds and predicts its own fold (out-of-fold predictions, for scoring and ensembling) and the
 * holdout (averaged over the folds: the bagged model). Runs as an `automl-trial` job (trial-job.ts)
 * on any executor, and in the parent for replays.
 */
import { writeFileAtomic } from '../../runtime/atomic.js';
import type { Learner, LearnerFactory, Matrix } from '../../learners/learner.js';
import { LEARNERS } from '../../learners/registry.js';
import { takeRows, takeValues } from '../../learners/preprocess.js';
import { forward } from '../../tabular/target.js';
import { lossOf, type RegressionMetric } from '../../metrics/regression.js';
import { resolveTrialParams } from './zoo.js';
import { predictClassMember, runClassTrialFolds } from './class-trial.js';
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

/** A trial's result and, when its CV loss is below `task.saveBelow`, its fold models (not yet written anywhere). */
export async function runTrialFolds(
  task: TrialTask,
  data: Omit<TrialData, 'candidatesDir'>,
  factories: Record<string, LearnerFactory> = LEARNERS,
): Promise<{ result: Omit<TrialResult, 'modelFile'>; member: SavedMember | null }> {
  if (data.classes !== undefined) return runClassTrialFolds(task, data);
  const { kind, params, dataFraction } = resolveTrialParams(
    task.config,
    task.budget,
    factories[String(task.config.learner)],
  );
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
  const deadlineMs =
    task.softDeadlineEpochMs === undefined ? undefined : performance.now() + (task.softDeadlineEpochMs - Date.now());
  let usedParams = params;
  for (let f = 0; f < data.k; f++) {
    if (deadlineMs !== undefined && performance.now() > deadlineMs)
      throw new DeadlineError(`trial ${task.id}: time budget reached before fold ${f + 1}`);
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
  const member: SavedMember | null =
    Number.isFinite(total) && total < task.saveBelow
      ? { kind, params: usedParams, transform: task.transform, clampMin: data.clampMin, folds: models }
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
export async function runTrial(
  task: TrialTask,
  data: TrialData,
  factories: Record<string, LearnerFactory> = LEARNERS,
): Promise<TrialResult> {
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

function foldLearners(
  member: SavedMember,
  factory: LearnerFactory,
  factories: Record<string, LearnerFactory>,
): Learner[] {
  if (factories !== LEARNERS) return member.folds.map((json) => factory.fromJSON(json));
  let learners = foldModels.get(member);
  if (!learners) {
    learners = member.folds.map((json) => factory.fromJSON(json));
    foldModels.set(member, learners);
  }
  return learners;
}

/** Bagged prediction of a saved member: the mean over its fold models. */
export function predictMember(
  member: SavedMember,
  X: Matrix,
  factories: Record<string, LearnerFactory> = LEARNERS,
): Float64Array {
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
