import { z } from 'zod';
import { executionSection } from '../../execution/config.js';
import { bool, choice, fraction, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber, section, seed, text, timeLimitSeconds } from '../../config/fields.js';

export const METRICS = ['auto', 'rmse', 'mae', 'r2', 'rmsle', 'log_loss', 'accuracy', 'balanced_accuracy', 'roc_auc', 'f1'] as const;
export type MetricName = (typeof METRICS)[number];

const optionalFraction = (description: string) =>
  z.number({ error: 'expected a number between 0 and 1' }).gt(0, { error: 'expected a number between 0 and 1 (exclusive)' }).lt(1, { error: 'expected a number between 0 and 1 (exclusive)' }).optional().describe(description);

const columnList = (description: string) => z.array(z.string({ error: 'expected a column name' }), { error: 'expected a list of column names' }).default([]).describe(description);

/** The table, target and holdout fields: shared by `task: automl` and `task: tabular`. */
export const tableDataFields = {
  path: z.string({ error: 'expected a path to a CSV or Arrow table' }).min(1, { error: 'expected a path to a CSV or Arrow table' }).describe('training table (CSV or Arrow; - for stdin), relative to the config file'),
  target: text('', 'column to predict (empty: the last column)'),
  drop: columnList('columns the models must not see (ids, leaks such as parts of the target)'),
  columns: columnList("read only these columns (and the target); empty: all. 'hlf' stands for the 14 high-level features of particle events (HT, MET, ..., LepIsEle)"),
  test_path: text('', 'explicit holdout table (same columns), never seen by the search; empty: split one off'),
  test_fraction: fraction(0.2, 'holdout fraction of the rows when test_path is empty'),
  train_fraction: optionalFraction('training fraction of the rows (the rest is the holdout); overrides test_fraction'),
};

/** Feature engineering fields (a task may redefine log_target). */
export const featureFields = {
  expand_dates: bool(true, 'expand date and timestamp columns into year, month, day, day of week, day of year (and hour)'),
  drop_id_like: bool(true, 'drop columns that look like row identifiers (unique integers or unique strings)'),
  leak_correlation: fraction(0.99, 'warn when a feature correlates with the target beyond this |r|'),
  leak_r2: fraction(0.999, 'warn when a linear combination of features explains the target beyond this R^2'),
  log_target: choice(['auto', 'always', 'never'], 'auto', "log1p target transform: 'auto' tries it on skewed non-negative targets and keeps it if cross-validation prefers it"),
};

export const automlSchema = z.strictObject({
  task: z.literal('automl').describe('time-budgeted tabular model search and ensembling'),
  seed: seed(),
  data: section(
    {
      ...tableDataFields,
      problem_type: choice(['auto', 'regression', 'binary', 'multiclass'], 'auto', "'auto' infers it from the target: text, true/false or a few distinct integers are classification (binary with two classes)"),
    },
    'the table, the target and the holdout',
  ),
  features: section(featureFields, 'feature engineering'),
  search: section(
    {
      time_limit_s: timeLimitSeconds(120, 'wall-clock budget of the whole run (search, ensembles, outputs), in seconds'),
      max_trials: nonNegativeInt(0, 'stop after this many trials (0: no limit); runs with a limit are reproducible for a seed'),
      workers: nonNegativeInt(0, 'parallel trial workers (0: one per core)'),
      metric: choice(METRICS, 'auto', "metric to optimize and report; 'auto' is rmse for regression, log_loss for classification"),
      class_weight: choice(['none', 'balanced'], 'none', "classification: 'balanced' weights each row by n / (classes x rows of its class) in training"),
      folds: positiveInt(5, 'k of the k-fold bagging; each trial keeps out-of-fold predictions'),
      scheduler: choice(['auto', 'asha', 'successive_halving', 'random'], 'auto', "trial scheduler; 'auto' is asha, or successive_halving when max_trials is set (timing-independent)"),
      eta: positiveNumber(3, 'successive halving: keep the best 1/eta of each rung'),
      min_budget: fraction(1 / 3, 'successive halving: budget fraction (rounds, trees, or data) of the lowest rung'),
      learners: columnList('learners to search (empty: every learner in the registry)'),
      trial_timeout_s: timeLimitSeconds(0, 'kill a single trial after this many seconds (0: only the overall budget)', { zeroMeansNone: true }),
    },
    'the model search',
  ),
  ensemble: section(
    {
      candidates: positiveInt(20, 'best trials (by CV) kept as ensemble candidates, with their fold models'),
      greedy_rounds: positiveInt(50, 'rounds of greedy ensemble selection with replacement (Caruana et al. 2004)'),
      stacking: bool(true, 'also fit second-level learners on the out-of-fold predictions (with and without the original features)'),
      deploy: choice(['compact', 'bagged'], 'compact', "saved model: 'compact' refits each member of the final model once on all training rows (about 1/folds of the size); 'bagged' keeps every fold's model"),
    },
    'ensembles',
  ),
  execution: executionSection('trials'),
});

export type AutomlConfig = z.infer<typeof automlSchema>;
