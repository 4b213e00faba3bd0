/** The config fields of a table and its features: shared by `task: automl` and `task: tabular`. */
import { z } from 'zod';
import { bool, choice, fraction, text } from '../config/fields.js';

const optionalFraction = (description: string) =>
  z
    .number({ error: 'expected a number between 0 and 1' })
    .gt(0, { error: 'expected a number between 0 and 1 (exclusive)' })
    .lt(1, { error: 'expected a number between 0 and 1 (exclusive)' })
    .optional()
    .describe(description);

export const columnList = (description: string) =>
  z
    .array(z.string({ error: 'expected a column name' }), { error: 'expected a list of column names' })
    .default([])
    .describe(description);

/** The table, target and holdout fields: shared by `task: automl` and `task: tabular`. */
export const tableDataFields = {
  path: z
    .string({ error: 'expected a path to a CSV or Arrow table' })
    .min(1, { error: 'expected a path to a CSV or Arrow table' })
    .describe('training table (CSV or Arrow; - for stdin), relative to the config file'),
  target: text('', 'column to predict (empty: the last column)'),
  drop: columnList('columns the models must not see (ids, leaks such as parts of the target)'),
  columns: columnList(
    "read only these columns (and the target); empty: all. 'hlf' stands for the 14 high-level features of particle events (HT, MET, ..., LepIsEle)",
  ),
  test_path: text('', 'explicit holdout table (same columns), never seen by the search; empty: split one off'),
  test_fraction: fraction(0.2, 'holdout fraction of the rows when test_path is empty'),
  train_fraction: optionalFraction('training fraction of the rows (the rest is the holdout); overrides test_fraction'),
};

/** Feature engineering fields (a task may redefine log_target). */
export const featureFields = {
  expand_dates: bool(
    true,
    'expand date and timestamp columns into year, month, day, day of week, day of year (and hour)',
  ),
  drop_id_like: bool(true, 'drop columns that look like row identifiers (unique integers or unique strings)'),
  leak_correlation: fraction(0.99, 'warn when a feature correlates with the target beyond this |r|'),
  leak_r2: fraction(0.999, 'warn when a linear combination of features explains the target beyond this R^2'),
  log_target: choice(
    ['auto', 'always', 'never'],
    'auto',
    "log1p target transform: 'auto' tries it on skewed non-negative targets and keeps it if cross-validation prefers it",
  ),
};

export type TableDataFields = z.output<z.ZodObject<typeof tableDataFields>>;
export type FeatureFields = z.output<z.ZodObject<typeof featureFields>>;
