/**
 * From the config to the search's inputs: read the table(s), check the target, split off the
 * holdout, plan and encode the features, look for leaks, and deal the folds.
 */
import { dirname, resolve } from 'node:path';
import type { DataTable } from '../../data/table.js';
import { readTable } from '../../data/read-table.js';
import { UserError } from '../../runtime/errors.js';
import type { Matrix } from '../tabular/learner.js';
import { TableEncoder, extractTarget } from '../tabular/preprocess.js';
import type { AutomlConfig } from './config.js';
import { applyPlan, planFeatures, takeTableRows, type FeaturePlan } from './features.js';
import { findLeaks, type LeakFinding } from './leak.js';
import { holdoutSplit, kFoldAssignment } from './split.js';

/** What reading and preparing a table needs from a config: automl's and tabular's data and features sections. */
export interface TableConfig {
  seed: number;
  data: AutomlConfig['data'];
  features: Omit<AutomlConfig['features'], 'log_target'>;
}

export interface Prepared {
  dataPath: string;
  testPath: string | null;
  target: string;
  plan: FeaturePlan;
  encoder: TableEncoder;
  X: Matrix;
  y: Float64Array;
  Xtest: Matrix;
  ytest: Float64Array;
  /** Row numbers (0-based) of the training and holdout rows in their source tables. */
  trainRows: Int32Array;
  testRows: Int32Array;
  /** The holdout rows as read (for time and hour columns in the report). */
  testTable: DataTable;
  folds: Int32Array;
  leaks: LeakFinding[];
  clampMin: number | null;
}

export function resolveDataPath(path: string, configFile: string | undefined): string {
  if (path === '-' || !configFile) return path;
  return resolve(dirname(configFile), path);
}

export function minimumTrainingRows(folds: number): number {
  return Math.max(10, 2 * folds);
}

export async function readInputs(config: TableConfig, configFile: string | undefined): Promise<{ table: DataTable; test: DataTable | null; dataPath: string; testPath: string | null }> {
  const dataPath = resolveDataPath(config.data.path, configFile);
  const table = await readTable(dataPath);
  const testPath = config.data.test_path ? resolveDataPath(config.data.test_path, configFile) : null;
  const test = testPath ? await readTable(testPath) : null;
  return { table, test, dataPath, testPath };
}

export function targetName(config: TableConfig, table: DataTable): string {
  if (table.columns.length < 2) throw new UserError(`${table.source}: expected at least two columns (features and a target), got ${table.columns.length}`);
  const target = config.data.target || table.columns[table.columns.length - 1].name;
  if (!table.columns.some((c) => c.name === target)) {
    throw new UserError(`${table.source}: column '${target}': expected the target column in the table, have ${table.columns.map((c) => c.name).join(', ')}`);
  }
  return target;
}

/** Training and holdout row numbers: the explicit test table, or a seeded split of the one table. */
export function splitRows(config: TableConfig, rows: number, hasTestTable: boolean): { train: Int32Array; holdout: Int32Array } {
  if (hasTestTable) return { train: Int32Array.from({ length: rows }, (_, i) => i), holdout: new Int32Array(0) };
  const trainCount = config.data.train_fraction !== undefined ? Math.round(config.data.train_fraction * rows) : rows - Math.round(config.data.test_fraction * rows);
  return holdoutSplit(rows, trainCount, config.seed);
}

/** The holdout rows as a table, with their row numbers in the table they came from (the explicit test table, or the split-off rows). */
export function holdoutOf(config: TableConfig, inputs: { table: DataTable; test: DataTable | null }): { table: DataTable; rows: Int32Array } {
  if (inputs.test) return { table: inputs.test, rows: Int32Array.from({ length: inputs.test.numRows }, (_, i) => i) };
  const split = splitRows(config, inputs.table.numRows, false);
  return { table: takeTableRows(inputs.table, split.holdout), rows: split.holdout };
}

export function prepare(config: AutomlConfig, inputs: { table: DataTable; test: DataTable | null; dataPath: string; testPath: string | null }): Prepared {
  const prepared = prepareTable(config, inputs, { minRows: minimumTrainingRows(config.search.folds), why: `${config.search.folds}-fold bagging` });
  return { ...prepared, folds: kFoldAssignment(prepared.y.length, config.search.folds, config.seed) };
}

/** The table(s) as the learners see them: target checked, holdout split off, features planned and encoded, leaks looked for. */
export function prepareTable(config: TableConfig, inputs: { table: DataTable; test: DataTable | null; dataPath: string; testPath: string | null }, need: { minRows: number; why: string }): Omit<Prepared, 'folds'> {
  const { table, test } = inputs;
  const target = targetName(config, table);
  const yAll = extractTarget(table, target);
  const split = splitRows(config, table.numRows, test !== null);
  if (split.train.length < need.minRows) {
    throw new UserError(`${table.source}: expected at least ${need.minRows} training rows for ${need.why}, got ${split.train.length} (of ${table.numRows} rows)`);
  }
  const trainTable = takeTableRows(table, split.train);
  const testTable = test ?? takeTableRows(table, split.holdout);
  const testRows = test ? Int32Array.from({ length: test.numRows }, (_, i) => i) : split.holdout;
  if (testTable.numRows === 0) throw new UserError(`${test ? test.source : table.source}: expected at least one holdout row, got none`);
  const ytest = extractTarget(testTable, target);
  const y = Float64Array.from(split.train, (i) => yAll[i]);
  const plan = planFeatures(trainTable, { target, drop: config.data.drop, expandDates: config.features.expand_dates, dropIdLike: config.features.drop_id_like });
  const trainFeatures = applyPlan(trainTable, plan);
  const encoder = TableEncoder.fit(trainFeatures);
  const X = encoder.transform(trainFeatures);
  const Xtest = encoder.transform(applyPlan(testTable, plan));
  const leaks = findLeaks(X, y, { correlation: config.features.leak_correlation, r2: config.features.leak_r2 });
  let min = Infinity;
  for (const v of y) if (v < min) min = v;
  return {
    dataPath: inputs.dataPath,
    testPath: inputs.testPath,
    target,
    plan,
    encoder,
    X,
    y,
    Xtest,
    ytest,
    trainRows: split.train,
    testRows,
    testTable,
    leaks,
    clampMin: min >= 0 ? 0 : null,
  };
}
