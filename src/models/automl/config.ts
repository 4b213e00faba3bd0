import { z } from 'zod';
import { executionSection } from '../../execution/config.js';
import {
  bool,
  choice,
  fraction,
  nonNegativeInt,
  positiveInt,
  positiveNumber,
  section,
  taskFields,
  timeLimitSeconds,
} from '../../config/fields.js';
import { columnList, featureFields, tableDataFields } from '../../tabular/fields.js';

const METRICS = [
  'auto',
  'rmse',
  'mae',
  'r2',
  'rmsle',
  'log_loss',
  'accuracy',
  'balanced_accuracy',
  'roc_auc',
  'f1',
] as const;
export type MetricName = (typeof METRICS)[number];

export const automlSchema = z.strictObject({
  ...taskFields('automl', 'time-budgeted tabular model search and ensembling'),
  data: section(
    {
      ...tableDataFields,
      problem_type: choice(
        ['auto', 'regression', 'binary', 'multiclass'],
        'auto',
        "'auto' infers it from the target: text, true/false or a few distinct integers are classification (binary with two classes)",
      ),
    },
    'the table, the target and the holdout',
  ),
  features: section(featureFields, 'feature engineering'),
  search: section(
    {
      time_limit_s: timeLimitSeconds(
        120,
        'wall-clock budget of the whole run (search, ensembles, outputs), in seconds',
      ),
      max_trials: nonNegativeInt(
        0,
        'stop after this many trials (0: no limit); runs with a limit are reproducible for a seed',
      ),
      workers: nonNegativeInt(0, 'parallel trial workers (0: one per core)'),
      metric: choice(
        METRICS,
        'auto',
        "metric to optimize and report; 'auto' is rmse for regression, log_loss for classification",
      ),
      class_weight: choice(
        ['none', 'balanced'],
        'none',
        "classification: 'balanced' weights each row by n / (classes x rows of its class) in training",
      ),
      folds: positiveInt(5, 'k of the k-fold bagging; each trial keeps out-of-fold predictions'),
      scheduler: choice(
        ['auto', 'asha', 'successive_halving', 'random'],
        'auto',
        "trial scheduler; 'auto' is asha, or successive_halving when max_trials is set (timing-independent)",
      ),
      eta: positiveNumber(3, 'successive halving: keep the best 1/eta of each rung'),
      min_budget: fraction(1 / 3, 'successive halving: budget fraction (rounds, trees, or data) of the lowest rung'),
      learners: columnList('learners to search (empty: every learner in the registry)'),
      trial_timeout_s: timeLimitSeconds(0, 'kill a single trial after this many seconds (0: only the overall budget)', {
        zeroMeansNone: true,
      }),
    },
    'the model search',
  ),
  ensemble: section(
    {
      candidates: positiveInt(20, 'best trials (by CV) kept as ensemble candidates, with their fold models'),
      greedy_rounds: positiveInt(50, 'rounds of greedy ensemble selection with replacement (Caruana et al. 2004)'),
      stacking: bool(
        true,
        'also fit second-level learners on the out-of-fold predictions (with and without the original features)',
      ),
      deploy: choice(
        ['compact', 'bagged'],
        'compact',
        "saved model: 'compact' refits each member of the final model once on all training rows (about 1/folds of the size); 'bagged' keeps every fold's model",
      ),
    },
    'ensembles',
  ),
  execution: executionSection('trials'),
});

export type AutomlConfig = z.infer<typeof automlSchema>;
