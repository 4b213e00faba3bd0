/**
 * The tabular task's tune trial. The budget is the learner's cost parameter: boosting rounds
 * (gbm `max_iter`) or trees (forests `n_estimators`). A trial holds `validation.fraction` of the
 * training rows out, grows the model to `budget` units, continuing from its checkpoint (gbm: the
 * booster's trees and state, then more rounds; forests: more trees, tree t depending only on
 * (seed, t)), and reports validation RMSE, MAE and R^2 in the target's units at every unit up to
 * 20, every 10th after, and at the budget itself, so any rung of a scheduler gets a report.
 *
 * The checkpoint folder holds trees.jsonl (one tree per line, appended) and state.bin (rewritten
 * atomically; it names how many of the trees count, so a kill between the two writes loses
 * nothing). Learners without a continuation (ridge, knn; mlp, whose budget is epochs) are fitted
 * once per budget asked. After a call that trained more, the folder also holds the model as
 * `sciml train` writes it (model.json, members/, tabular.json), fitted on the trial's rows.
 * GBM's own early stopping is not applied inside trials: the scheduler stops trials.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  EpochReport,
  FoldOptions,
  FoldOutcome,
  TaskContext,
  TaskTrial,
  TrialOptions,
  TrialOutcome,
} from '../../contracts/task.js';
import { UserError } from '../../runtime/errors.js';
import { Random } from '../../runtime/random.js';
import { readStateFile, writeStateFile, type DecodedState } from '../../runtime/state-file.js';
import { mae, r2, rmse } from '../../metrics/regression.js';
import { forward, inverseInPlace, type TargetTransform } from '../../tabular/target.js';
import { clampInPlace, ensureBackendFor, predictOriginal } from '../automl/trial-common.js';
import type { Learner, Matrix, Params } from '../../learners/learner.js';
import { saveTabularModel } from './model-io.js';
import { LEARNERS } from '../../learners/registry.js';
import { Booster } from '../../learners/booster.js';
import { GradientBoosting, regressionObjective } from '../../learners/gbm.js';
import { Forest } from '../../learners/forest.js';
import { LOSSES } from '../../learners/losses.js';
import { takeRows, takeValues } from '../../learners/preprocess.js';
import { addTreePrediction, treeToJSON, type FlatTree, type TreeJSON } from '../../learners/tree.js';
import type { TabularConfig } from './config.js';
import { crossValidationFold, meanOf, targetTransform, validationSplit } from './data.js';
import { trialTable } from './trial-data.js';

const STATE_FILE = 'state.bin';
const TREES_FILE = 'trees.jsonl';
const FORMAT = 'sciml-tabular-trial/1';
/** Forest trees grown between checkpoints (they train in parallel within a chunk). */
const FOREST_CHUNK = 10;

/** Budget units after which a trial reports: every one up to 20, every 10th after, and the budget. */
export function isReportPoint(unit: number, budget: number): boolean {
  return unit <= 20 || unit % 10 === 0 || unit === budget;
}

interface TrialState {
  learner: string;
  fingerprint: string;
  /** Budget units done. */
  done: number;
  /** Lines of trees.jsonl that belong to this state. */
  trees: number;
  history: EpochReport[];
  rng?: number[];
}

interface Inputs {
  X: Matrix;
  y: Float64Array;
  Xval: Matrix;
  yval: Float64Array;
  transform: TargetTransform;
  clampMin: number | null;
}

function validationMetrics(yval: Float64Array, prediction: Float64Array): Record<string, number> {
  return {
    'validation.rmse': rmse(yval, prediction),
    'validation.mae': mae(yval, prediction),
    'validation.r2': r2(yval, prediction),
  };
}

function fingerprintOf(
  kind: string,
  params: Params,
  budgetParam: string | undefined,
  seed: number,
  inputs: Inputs,
): string {
  const h = createHash('sha256');
  const { [budgetParam ?? '']: _budget, ...rest } = params;
  h.update(
    JSON.stringify({
      kind,
      params: Object.entries(rest).sort(),
      seed,
      transform: inputs.transform,
      rows: inputs.y.length,
    }),
  );
  for (const c of [...inputs.X.columns, inputs.y, ...inputs.Xval.columns, inputs.yval])
    h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  return h.digest('hex').slice(0, 32);
}

/** The trial's checkpoint folder: state.bin plus the trees it counts. */
class TrialCheckpoint {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private get statePath(): string {
    return join(this.dir, STATE_FILE);
  }

  private get treesPath(): string {
    return join(this.dir, TREES_FILE);
  }

  read(
    kind: string,
    fingerprint: string,
  ): { state: TrialState; file: DecodedState<TrialState>; trees: TreeJSON[] } | undefined {
    const file = readStateFile<TrialState>(this.statePath, 'sciml-tabular-trial/');
    if (!file) return undefined;
    if (file.state.learner !== kind || file.state.fingerprint !== fingerprint) {
      throw new UserError(
        `${this.statePath}: this checkpoint was written for another learner, parameters or data; a trial continues only with its own config (the budget may change)`,
      );
    }
    const lines = existsSync(this.treesPath)
      ? readFileSync(this.treesPath, 'utf8')
          .split('\n')
          .filter((l) => l.length > 0)
      : [];
    if (lines.length < file.state.trees)
      throw new UserError(
        `${this.treesPath}: expected ${file.state.trees} trees, found ${lines.length}: the checkpoint is incomplete`,
      );
    // Trees appended after the last state write (an interrupted step) are dropped.
    if (lines.length > file.state.trees)
      writeFileSync(
        this.treesPath,
        lines
          .slice(0, file.state.trees)
          .map((l) => l + '\n')
          .join(''),
      );
    return { state: file.state, file, trees: lines.slice(0, file.state.trees).map((l) => JSON.parse(l) as TreeJSON) };
  }

  /** Appends the new trees, then records the state that counts them. */
  write(state: TrialState, newTrees: FlatTree[], arrays: Record<string, Float64Array | Int32Array>): void {
    if (newTrees.length > 0)
      appendFileSync(this.treesPath, newTrees.map((t) => JSON.stringify(treeToJSON(t)) + '\n').join(''));
    writeStateFile(this.statePath, FORMAT, state, arrays);
  }
}

/** A learner's trial steps: the state reached, and the model when this call trained more of it. */
interface Stepped {
  state: TrialState;
  learner?: Learner;
}

/** What every learner's trial steps start from. */
interface StepInput {
  kind: string;
  params: Params;
  seed: number;
  threads: number;
  inputs: Inputs;
  checkpoint: TrialCheckpoint;
  fingerprint: string;
  options: TrialOptions;
}

/** The checkpoint of this learner and inputs, if any, and the state to continue (fresh without one). */
function resumed({ kind, checkpoint, fingerprint }: StepInput) {
  const saved = checkpoint.read(kind, fingerprint);
  const state: TrialState = saved?.state ?? { learner: kind, fingerprint, done: 0, trees: 0, history: [] };
  return { saved, state };
}

async function gbmTrial(step: StepInput): Promise<Stepped> {
  const { params, seed, inputs, checkpoint, options } = step;
  const { saved, state } = resumed(step);
  const startedAt = state.done;
  const booster = saved
    ? Booster.resume('gbm', params, inputs.X, regressionObjective(params, inputs.y, undefined), seed, {
        trees: saved.trees,
        rng: saved.state.rng!,
        raw: saved.file.array<Float64Array>('raw'),
        index: saved.file.array<Int32Array>('index'),
        importance: saved.file.array<Float64Array>('importance'),
      })
    : Booster.start(params, inputs.X, regressionObjective(params, inputs.y, undefined), seed, new Random(seed));
  const valRaw = saved
    ? saved.file.array<Float64Array>('validation_raw')
    : new Float64Array(inputs.Xval.rows).fill(booster.baseline[0]);
  const link = LOSSES[params.loss as string].inverseLink;
  let unsaved: FlatTree[] = [];
  while (booster.rounds < options.budget) {
    const [tree] = booster.grow();
    unsaved.push(tree);
    addTreePrediction(tree, inputs.Xval, valRaw);
    const round = booster.rounds;
    if (!isReportPoint(round, options.budget)) continue;
    const prediction = clampInPlace(inverseInPlace(inputs.transform, Float64Array.from(valRaw, link)), inputs.clampMin);
    const report: EpochReport = { epoch: round, metrics: validationMetrics(inputs.yval, prediction) };
    state.history.push(report);
    state.done = round;
    state.trees = round;
    const b = booster.state();
    state.rng = b.rng;
    checkpoint.write(state, unsaved, { raw: b.raw, index: b.index, importance: b.importance, validation_raw: valRaw });
    unsaved = [];
    options.onEpoch(report);
  }
  return {
    state,
    learner:
      booster.rounds > startedAt
        ? GradientBoosting.fromBooster({ ...params, max_iter: booster.rounds }, booster, inputs.X.names)
        : undefined,
  };
}

async function forestTrial(step: StepInput): Promise<Stepped> {
  const { kind, params, seed, threads, inputs, checkpoint, options } = step;
  const { saved, state } = resumed(step);
  const startedAt = state.done;
  const forest = LEARNERS[kind].create(params) as Forest;
  if (saved)
    forest.restore({
      features: inputs.X.columns.length,
      names: inputs.X.names,
      trees: saved.trees,
      importance: Array.from(saved.file.array<Float64Array>('importance')),
    });
  // Sum of the trees' validation predictions, in tree order (the same sums whether grown at once or in steps).
  const valSum = saved ? saved.file.array<Float64Array>('validation_sum') : new Float64Array(inputs.Xval.rows);
  while (forest.treeCount < options.budget) {
    const start = forest.treeCount;
    await forest.growTo(inputs.X, inputs.y, { seed, threads }, Math.min(options.budget, start + FOREST_CHUNK));
    const grown = forest.treeList.slice(start);
    const reports: EpochReport[] = [];
    grown.forEach((tree, k) => {
      addTreePrediction(tree, inputs.Xval, valSum);
      const count = start + k + 1;
      if (!isReportPoint(count, options.budget)) return;
      const prediction = clampInPlace(
        inverseInPlace(
          inputs.transform,
          Float64Array.from(valSum, (v) => v / count),
        ),
        inputs.clampMin,
      );
      reports.push({ epoch: count, metrics: validationMetrics(inputs.yval, prediction) });
    });
    state.history.push(...reports);
    state.done = forest.treeCount;
    state.trees = forest.treeCount;
    checkpoint.write(state, grown, { importance: Float64Array.from(forest.importance), validation_sum: valSum });
    for (const r of reports) options.onEpoch(r);
  }
  return { state, learner: forest.treeCount > startedAt ? forest : undefined };
}

/** Learners without a continuation: fitted once at the budget asked (the budget parameter, when the learner has one). */
async function oneShotTrial(step: StepInput): Promise<Stepped> {
  const { kind, params, seed, threads, inputs, checkpoint, options } = step;
  const { state } = resumed(step);
  if (state.done >= options.budget) return { state };
  await ensureBackendFor([kind]);
  const learner = LEARNERS[kind].create(params);
  await learner.fit(inputs.X, inputs.y, { seed, threads });
  const report: EpochReport = {
    epoch: options.budget,
    metrics: validationMetrics(inputs.yval, predictOriginal(learner, inputs.Xval, inputs.transform, inputs.clampMin)),
  };
  state.history.push(report);
  state.done = options.budget;
  checkpoint.write(state, [], {});
  options.onEpoch(report);
  return { state, learner };
}

/** The learner's parameters, defaults filled, with its budget parameter (when it has one) set to `budget`. */
function paramsAt(config: TabularConfig, budget: number): Params {
  const factory = LEARNERS[config.model.learner];
  return factory.create({ ...config.model.params, ...(factory.budgetParam ? { [factory.budgetParam]: budget } : {}) })
    .params;
}

async function run(ctx: TaskContext, config: TabularConfig, options: TrialOptions): Promise<TrialOutcome> {
  const kind = config.model.learner;
  const factory = LEARNERS[kind];
  const budgetParam = factory.budgetParam;
  if (!Number.isInteger(options.budget) || options.budget < 1)
    throw new UserError(
      `model.params.${budgetParam ?? 'budget'}: expected a positive integer budget, got ${options.budget}`,
    );
  const where = ctx.configFile ?? 'config';
  const prep = await trialTable(ctx, config);
  const transform = targetTransform(config, prep.y, where);
  const split = validationSplit(prep.y.length, config.validation.fraction, config.seed, where);
  const inputs: Inputs = {
    X: takeRows(prep.X, split.fit),
    y: forward(transform, takeValues(prep.y, split.fit)),
    Xval: takeRows(prep.X, split.validation),
    yval: takeValues(prep.y, split.validation),
    transform,
    clampMin: prep.clampMin,
  };
  const resolved = paramsAt(config, options.budget);
  const fingerprint = fingerprintOf(kind, resolved, budgetParam, config.seed, inputs);
  const checkpoint = new TrialCheckpoint(options.checkpointDir);
  const step: StepInput = {
    kind,
    params: resolved,
    seed: config.seed,
    threads: Math.max(1, ctx.workers),
    inputs,
    checkpoint,
    fingerprint,
    options,
  };
  const { state, learner } =
    kind === 'gbm'
      ? await gbmTrial(step)
      : factory.create(resolved) instanceof Forest
        ? await forestTrial(step)
        : await oneShotTrial(step);
  // The checkpoint folder doubles as a model folder (`sciml predict --model`, `sciml evaluate --model`).
  if (learner)
    saveTabularModel(
      options.checkpointDir,
      { ...prep.model, rows: inputs.y.length },
      learner,
      transform,
      meanOf(takeValues(prep.y, split.fit)),
    );
  return { history: state.history, budgetUsed: state.done };
}

/**
 * One fold of the re-ranking cross-validation: the learner fitted from scratch at `budget` as a
 * trial grows it (GBM without its own early stopping), on every training row outside the fold.
 */
async function crossValidate(ctx: TaskContext, config: TabularConfig, options: FoldOptions): Promise<FoldOutcome> {
  const kind = config.model.learner;
  const factory = LEARNERS[kind];
  const where = ctx.configFile ?? 'config';
  const prep = await trialTable(ctx, config);
  const transform = targetTransform(config, prep.y, where);
  const { fit, heldOut } = crossValidationFold(
    prep.y.length,
    config.validation.fraction,
    config.seed,
    options.fold,
    options.folds,
    where,
  );
  const resolved = paramsAt(config, options.budget);
  const learner = factory.create(kind === 'gbm' ? { ...resolved, early_stopping: 'off' } : resolved);
  await ensureBackendFor([kind]);
  await learner.fit(takeRows(prep.X, fit), forward(transform, takeValues(prep.y, fit)), {
    seed: config.seed,
    threads: Math.max(1, ctx.workers),
  });
  const prediction = predictOriginal(learner, takeRows(prep.X, heldOut), transform, prep.clampMin);
  return { metrics: validationMetrics(takeValues(prep.y, heldOut), prediction), rows: heldOut.length };
}

export const tabularTrial: TaskTrial<TabularConfig> = {
  budgetFields: ['model.params.max_iter', 'model.params.n_estimators', 'model.params.max_epochs'],
  metrics: { 'validation.rmse': 'min', 'validation.mae': 'min', 'validation.r2': 'max' },
  run,
  crossValidate,
};
