/** The tabular task's data: the AutoML reading, holdout split and feature plan, and the target transform. */
import type { TaskContext } from '../../contracts/task.js';
import { UserError } from '../../runtime/errors.js';
import { Random } from '../../runtime/random.js';
import { prepareTable, readInputs, type Prepared } from '../../tabular/prepare.js';
import { logCandidate, type TargetTransform } from '../../tabular/target.js';
import type { TabularConfig } from './config.js';

export type TabularData = Omit<Prepared, 'folds' | 'sampleWeight' | 'notes'>;

/** Fewest training rows the task accepts (a trial holds some of them out). */
const MIN_TRAINING_ROWS = 10;

export async function prepareTabular(ctx: TaskContext, config: TabularConfig): Promise<TabularData> {
  const inputs = await ctx.run.phase('read', () => readInputs(config, ctx.configFile));
  for (const path of [inputs.dataPath, inputs.testPath]) if (path && path !== '-') await ctx.run.recordInput(path);
  const prep = await ctx.run.phase('prepare', () =>
    prepareTable(config, inputs, { minRows: MIN_TRAINING_ROWS, why: `task: tabular` }),
  );
  for (const note of inputs.notes) ctx.log.warn(note);
  for (const leak of prep.leaks) ctx.log.warn(`${prep.dataPath}: ${leak.message}`);
  for (const d of prep.plan.dropped)
    if (d.reason !== 'dropped by the user') ctx.log.info(`column '${d.column}' dropped: ${d.reason}`);
  return prep;
}

/** The target transform a config asks for, checked against the training target. */
export function targetTransform(config: TabularConfig, y: Float64Array, where: string): TargetTransform {
  const mode = config.features.log_target;
  if (mode === 'never') return 'none';
  if (mode === 'auto') return logCandidate(y) ? 'log1p' : 'none';
  let min = Infinity;
  for (const v of y) min = Math.min(min, v);
  if (!(min >= 0))
    throw new UserError(
      `${where}: features.log_target: 'always' needs a non-negative target, got a minimum of ${min}; expected 'never' or 'auto'`,
    );
  return 'log1p';
}

/** The mean of the training target: the baseline every tabular model must beat. */
export function meanOf(y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i];
  return s / y.length;
}

function validationOrder(
  rows: number,
  fraction: number,
  seed: number,
  where: string,
): { perm: Int32Array; nVal: number } {
  const nVal = Math.round(rows * fraction);
  if (nVal < 1 || rows - nVal < 2)
    throw new UserError(
      `${where}: validation.fraction: expected a share leaving at least one validation row and two fitting rows of ${rows}, got ${fraction}`,
    );
  return { perm: new Random(seed).fork('tabular-validation').permutation(rows), nVal };
}

/** A trial's seeded split of the training rows into fitting and validation rows (ascending). */
export function validationSplit(
  rows: number,
  fraction: number,
  seed: number,
  where: string,
): { fit: Int32Array; validation: Int32Array } {
  const { perm, nVal } = validationOrder(rows, fraction, seed, where);
  return { validation: perm.slice(0, nVal).sort(), fit: perm.slice(nVal).sort() };
}

/**
 * Fold `fold` of `folds` over a trial's fitting rows (the rows outside its validation split, cut in
 * permutation order into near-equal parts): the fold's rows are held out, every other training
 * row fits, the trial's validation rows included. The folds partition the fitting rows.
 */
export function crossValidationFold(
  rows: number,
  fraction: number,
  seed: number,
  fold: number,
  folds: number,
  where: string,
): { fit: Int32Array; heldOut: Int32Array } {
  const { perm, nVal } = validationOrder(rows, fraction, seed, where);
  const fitting = rows - nVal;
  if (!(Number.isInteger(folds) && folds >= 2 && folds <= fitting))
    throw new UserError(
      `${where}: tune.rerank.folds: expected 2 to ${fitting} folds (the trials' fitting rows), got ${folds}`,
    );
  if (!(Number.isInteger(fold) && fold >= 0 && fold < folds)) throw new Error(`fold ${fold} is not one of ${folds}`);
  const start = nVal + Math.round((fitting * fold) / folds);
  const end = nVal + Math.round((fitting * (fold + 1)) / folds);
  const fit = new Int32Array(rows - (end - start));
  fit.set(perm.subarray(0, start));
  fit.set(perm.subarray(end), start);
  return { fit: fit.sort(), heldOut: perm.slice(start, end).sort() };
}
