/** The tabular task's data: the AutoML reading, holdout split and feature plan, and the target transform. */
import type { TaskContext } from '../../tasks.js';
import { UserError } from '../../runtime/errors.js';
import { Random } from '../../runtime/random.js';
import { statSync } from 'node:fs';
import { prepareTable, readInputs, resolveDataPath, type Prepared } from '../automl/prepare.js';
import { logCandidate, type TargetTransform } from '../automl/target.js';
import type { TabularConfig } from './config.js';

export type TabularData = Omit<Prepared, 'folds'>;

/** Fewest training rows the task accepts (a trial holds some of them out). */
const MIN_TRAINING_ROWS = 10;

/**
 * The last table prepared in this process, by what it depends on: a tune run calls the trial of
 * the same table hundreds of times, and reading and planning it costs more than a short trial.
 */
let cached: { key: string; data: TabularData } | undefined;

function cacheKey(ctx: TaskContext, config: TabularConfig): string | undefined {
  const files = [config.data.path, config.data.test_path].filter((p) => p).map((p) => resolveDataPath(p, ctx.configFile));
  if (files.includes('-')) return undefined;
  const stamps = files.map((f) => {
    try {
      const s = statSync(f);
      return [f, s.size, s.mtimeMs];
    } catch {
      return [f, -1, -1];
    }
  });
  const { log_target: _transform, ...features } = config.features;
  return JSON.stringify({ seed: config.seed, data: config.data, features, stamps });
}

/** prepareTabular, reusing the previous call's result when the table files and the data and feature settings are unchanged. */
export async function prepareTabularCached(ctx: TaskContext, config: TabularConfig): Promise<TabularData> {
  const key = cacheKey(ctx, config);
  if (key !== undefined && cached?.key === key) return cached.data;
  const data = await prepareTabular(ctx, config);
  if (key !== undefined) cached = { key, data };
  return data;
}

export async function prepareTabular(ctx: TaskContext, config: TabularConfig): Promise<TabularData> {
  const inputs = await ctx.run.phase('read', () => readInputs(config, ctx.configFile));
  for (const path of [inputs.dataPath, inputs.testPath]) if (path && path !== '-') await ctx.run.recordInput(path);
  const prep = await ctx.run.phase('prepare', () => prepareTable(config, inputs, { minRows: MIN_TRAINING_ROWS, why: `task: tabular` }));
  for (const leak of prep.leaks) ctx.log.warn(`${prep.dataPath}: ${leak.message}`);
  for (const d of prep.plan.dropped) if (d.reason !== 'dropped by the user') ctx.log.info(`column '${d.column}' dropped: ${d.reason}`);
  return prep;
}

/** The target transform a config asks for, checked against the training target. */
export function targetTransform(config: TabularConfig, y: Float64Array, where: string): TargetTransform {
  const mode = config.features.log_target;
  if (mode === 'never') return 'none';
  if (mode === 'auto') return logCandidate(y) ? 'log1p' : 'none';
  let min = Infinity;
  for (const v of y) min = Math.min(min, v);
  if (!(min >= 0)) throw new UserError(`${where}: features.log_target: 'always' needs a non-negative target, got a minimum of ${min}; expected 'never' or 'auto'`);
  return 'log1p';
}

/** The mean of the training target: the baseline every tabular model must beat. */
export function meanOf(y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i];
  return s / y.length;
}

/** A trial's seeded split of the training rows into fitting and validation rows (ascending). */
export function validationSplit(rows: number, fraction: number, seed: number, where: string): { fit: Int32Array; validation: Int32Array } {
  const nVal = Math.round(rows * fraction);
  if (nVal < 1 || rows - nVal < 2) throw new UserError(`${where}: validation.fraction: expected a share leaving at least one validation row and two fitting rows of ${rows}, got ${fraction}`);
  const perm = new Random(seed).fork('tabular-validation').permutation(rows);
  return { validation: perm.slice(0, nVal).sort(), fit: perm.slice(nVal).sort() };
}
