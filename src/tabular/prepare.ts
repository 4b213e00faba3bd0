/**
 * From a config's data and features sections to the learners' inputs (automl's and tabular's):
 * read the table(s), check the target, split off the holdout, plan and encode the features, look
 * for leaks.
 */
import { HLF_FEATURES } from '../data/particles/schema.js';
import { dirname, resolve } from 'node:path';
import type { DataTable } from '../data/table.js';
import { readTable } from '../data/read-table.js';
import { UserError } from '../runtime/errors.js';
import type { Matrix } from '../learners/learner.js';
import { TableEncoder, extractTarget } from '../learners/preprocess.js';
import type { TableDataFields, FeatureFields } from './fields.js';
import { applyPlan, planFeatures, takeTableRows, type FeaturePlan } from './features.js';
import { findLeaks, type LeakFinding } from './leak.js';
import { holdoutSplit, stratifiedHoldoutSplit } from './split.js';
import { encodeLabels, type Problem } from './problem.js';

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
  /** Regression or classification, and why; for classification y and ytest hold class indices. */
  problem: Problem;
  /** class_weight: balanced: the training rows' weights. */
  sampleWeight?: Float64Array;
  /** Notes on the fold plan (rare classes), for the log. */
  notes: string[];
}

/** What reading and preparing a table needs from a config: automl's and tabular's data and features sections. */
export interface TableConfig {
  seed: number;
  data: TableDataFields;
  features: Omit<FeatureFields, 'log_target'>;
}

export function resolveDataPath(path: string, configFile: string | undefined): string {
  if (path === '-' || !configFile) return path;
  return resolve(dirname(configFile), path);
}

/** data.columns with 'hlf' expanded to the 14 high-level features of particle events, plus the target; undefined: all columns. */
function selectedColumns(columns: string[], target: string): string[] | undefined {
  if (columns.length === 0) return undefined;
  if (!target) throw new UserError('data.columns: give data.target too (the target is otherwise the last column read)');
  const names = columns.flatMap((c) => (c === 'hlf' ? [...HLF_FEATURES] : [c]));
  return [...new Set([...names, target])];
}

/**
 * The table(s) a config names, with the rows whose target is empty dropped (AutoGluon's way; `notes`
 * says how many, for the log). A target with no labeled row, or a single value, is a UserError.
 */
export async function readInputs(
  config: TableConfig,
  configFile: string | undefined,
): Promise<{ table: DataTable; test: DataTable | null; dataPath: string; testPath: string | null; notes: string[] }> {
  const dataPath = resolveDataPath(config.data.path, configFile);
  const notes: string[] = [];
  const columns = selectedColumns(config.data.columns, config.data.target);
  const read = await readTable(dataPath, { columns });
  const target = targetName(config, read);
  if (config.data.drop.includes(target))
    notes.push(
      `${read.source}: data.drop (--drop) names the target '${target}': ignored there, the target is what the models predict`,
    );
  const table = labeledRows(read, target, notes);
  checkTargetVaries(table, target);
  const testPath = config.data.test_path ? resolveDataPath(config.data.test_path, configFile) : null;
  const test = testPath ? labeledRows(await readTable(testPath, { columns }), target, notes) : null;
  return { table, test, dataPath, testPath, notes };
}

function isMissing(column: DataTable['columns'][number], i: number): boolean {
  const v = column.values[i];
  return typeof v === 'number' ? Number.isNaN(v) : v === null || v.trim() === '';
}

/** The rows with a target value; a note names how many had none. */
function labeledRows(table: DataTable, target: string, notes: string[]): DataTable {
  const column = table.columns.find((c) => c.name === target);
  if (!column) return table;
  const keep: number[] = [];
  for (let i = 0; i < table.numRows; i++) if (!isMissing(column, i)) keep.push(i);
  if (keep.length === table.numRows) return table;
  if (keep.length === 0)
    throw new UserError(
      `${table.source}: column '${target}': no labeled rows (the target is empty in all ${table.numRows} rows)`,
    );
  notes.push(
    `${table.source}: column '${target}': ${table.numRows - keep.length} of ${table.numRows} rows have no target value and are left out (the row numbers of predictions.arrow count the labeled rows)`,
  );
  return takeTableRows(table, Int32Array.from(keep));
}

/** A target with one value has nothing to learn: every model would score perfectly against it. */
function checkTargetVaries(table: DataTable, target: string): void {
  const column = table.columns.find((c) => c.name === target);
  if (!column || table.numRows < 2) return;
  const first = column.values[0];
  for (let i = 1; i < table.numRows; i++) if (column.values[i] !== first) return;
  throw new UserError(
    `${table.source}: column '${target}': the target is constant (${JSON.stringify(first)} in all ${table.numRows} labeled rows): there is nothing to learn`,
  );
}

export function targetName(config: TableConfig, table: DataTable): string {
  if (table.columns.length < 2)
    throw new UserError(
      `${table.source}: expected at least two columns (features and a target), got ${table.columns.length}`,
    );
  const target = config.data.target || table.columns[table.columns.length - 1].name;
  if (!table.columns.some((c) => c.name === target)) {
    throw new UserError(
      `${table.source}: column '${target}': expected the target column in the table, have ${table.columns.map((c) => c.name).join(', ')}`,
    );
  }
  return target;
}

/**
 * Training and holdout row numbers: the explicit test table, or a seeded split of the one table
 * (stratified by class when `labels` are given).
 */
function splitRows(
  config: TableConfig,
  rows: number,
  hasTestTable: boolean,
  labels?: Float64Array,
): { train: Int32Array; holdout: Int32Array } {
  if (hasTestTable) return { train: Int32Array.from({ length: rows }, (_, i) => i), holdout: new Int32Array(0) };
  const trainCount =
    config.data.train_fraction !== undefined
      ? Math.round(config.data.train_fraction * rows)
      : rows - Math.round(config.data.test_fraction * rows);
  return labels ? stratifiedHoldoutSplit(labels, trainCount, config.seed) : holdoutSplit(rows, trainCount, config.seed);
}

/** The holdout rows as a table, with their row numbers in the table they came from (the explicit test table, or the split-off rows; stratified by `labels`). */
export function holdoutOf(
  config: TableConfig,
  inputs: { table: DataTable; test: DataTable | null },
  labels?: Float64Array,
): { table: DataTable; rows: Int32Array } {
  if (inputs.test) return { table: inputs.test, rows: Int32Array.from({ length: inputs.test.numRows }, (_, i) => i) };
  const split = splitRows(config, inputs.table.numRows, false, labels);
  return { table: takeTableRows(inputs.table, split.holdout), rows: split.holdout };
}

/**
 * The table(s) as the learners see them: target checked (class indices for classification),
 * holdout split off (stratified for classification), features planned and encoded, leaks looked for.
 */
export function prepareTable(
  config: TableConfig,
  inputs: { table: DataTable; test: DataTable | null; dataPath: string; testPath: string | null },
  need: { minRows: number; why: string },
  problem: Problem = { type: 'regression', classes: null, reason: 'a regression task' },
): Omit<Prepared, 'folds' | 'sampleWeight' | 'notes'> {
  const { table, test } = inputs;
  const target = targetName(config, table);
  const classes = problem.classes;
  const yAll = classes ? encodeLabels(table, target, classes) : extractTarget(table, target);
  const split = splitRows(config, table.numRows, test !== null, classes ? yAll : undefined);
  if (split.train.length < need.minRows) {
    throw new UserError(
      `${table.source}: expected at least ${need.minRows} training rows for ${need.why}, got ${split.train.length} (of ${table.numRows} rows)`,
    );
  }
  const trainTable = takeTableRows(table, split.train);
  const testTable = test ?? takeTableRows(table, split.holdout);
  const testRows = test ? Int32Array.from({ length: test.numRows }, (_, i) => i) : split.holdout;
  if (testTable.numRows === 0)
    throw new UserError(`${test ? test.source : table.source}: expected at least one holdout row, got none`);
  const ytest = classes ? encodeLabels(testTable, target, classes) : extractTarget(testTable, target);
  const y = Float64Array.from(split.train, (i) => yAll[i]);
  const plan = planFeatures(trainTable, {
    target,
    drop: config.data.drop,
    expandDates: config.features.expand_dates,
    dropIdLike: config.features.drop_id_like,
  });
  const trainFeatures = applyPlan(trainTable, plan);
  const encoder = TableEncoder.fit(trainFeatures);
  const X = encoder.transform(trainFeatures);
  const Xtest = encoder.transform(applyPlan(testTable, plan));
  // Leak checks correlate features with the target: meaningful for numbers and 0/1 labels only.
  const leaks =
    problem.type === 'multiclass'
      ? []
      : findLeaks(X, y, { correlation: config.features.leak_correlation, r2: config.features.leak_r2 });
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
    clampMin: classes ? null : min >= 0 ? 0 : null,
    problem,
  };
}
