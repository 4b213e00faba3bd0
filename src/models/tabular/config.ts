/**
 * `task: tabular`: one learner of the registry trained from YAML, on the AutoML data and feature
 * sections. `model.params` is checked against the learner's own parameters (scikit-learn's names)
 * while the config is validated, so a misspelled or out-of-range parameter is reported with the
 * file, line and field like any other config error.
 */
import { z } from 'zod';
import { choice, fraction, section, taskFields } from '../../config/fields.js';
import { didYouMean } from '../../config/didyoumean.js';
import { isUserError } from '../../runtime/errors.js';
import { featureFields, tableDataFields } from '../../tabular/fields.js';
import { LEARNERS } from '../../learners/registry.js';
import type { Params } from '../../learners/learner.js';

const LEARNER_NAMES = Object.keys(LEARNERS) as [string, ...string[]];

const paramValue = z.union([z.number(), z.string(), z.boolean()], { error: 'expected a number, string or boolean' });

export const tabularSchema = z
  .strictObject({
    ...taskFields('tabular', 'one tabular learner trained, evaluated and tuned like any task'),
    data: section(tableDataFields, 'the table, the target and the holdout (as in task: automl)'),
    features: section(
      {
        ...featureFields,
        log_target: choice(
          ['auto', 'always', 'never'],
          'never',
          "log1p target transform: 'always', 'never', or 'auto' (on when the training target is non-negative and right-skewed, skewness > 0.5)",
        ),
      },
      'feature engineering (as in task: automl)',
    ),
    model: section(
      {
        learner: choice(
          LEARNER_NAMES,
          'gbm',
          'the learner: gbm (histogram gradient boosting, as HistGradientBoostingRegressor), random_forest, extra_trees, ridge, knn or mlp',
        ),
        params: z
          .record(z.string(), paramValue, { error: 'expected a mapping of parameter names to values' })
          .default({})
          .describe(
            "the learner's parameters by scikit-learn's names (gbm: learning_rate, max_iter, max_leaf_nodes, " +
              'min_samples_leaf, l2_regularization, max_bins, ...; forests: n_estimators, max_features, ' +
              "min_samples_leaf, ...); unset ones keep the learner's defaults (all of them, with their defaults: " +
              'configs/README-tabular.md)',
          ),
      },
      'the learner and its parameters',
    ),
    validation: section(
      {
        fraction: fraction(
          0.2,
          'share of the training rows a tune trial holds out to score every budget step (validation.rmse, .mae, .r2); `sciml train` fits on all training rows',
        ),
      },
      'the validation hold-out of tune trials',
    ),
  })
  .superRefine((config, ctx) => {
    for (const issue of learnerParamProblems(config.model.learner, config.model.params))
      ctx.addIssue({ code: 'custom', path: ['model', 'params', ...issue.path], message: issue.message });
  });

export type TabularConfig = z.infer<typeof tabularSchema>;

/** Problems with a learner's parameters: unknown names (with a suggestion), wrong types, values the learner rejects. */
function learnerParamProblems(kind: string, params: Params): { path: string[]; message: string }[] {
  const factory = LEARNERS[kind];
  if (!factory) return [];
  const known = Object.keys(factory.defaults);
  const problems: { path: string[]; message: string }[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (!(name in factory.defaults)) {
      const guess = didYouMean(name, known);
      problems.push({
        path: [name],
        message: `expected a ${kind} parameter${guess ? ` (did you mean '${guess}'?)` : ''}; ${kind} has ${known.join(', ')}`,
      });
    } else if (typeof value !== typeof factory.defaults[name]) {
      problems.push({
        path: [name],
        message: `expected a ${typeof factory.defaults[name]} (default ${JSON.stringify(factory.defaults[name])})`,
      });
    }
  }
  if (problems.length > 0) return problems;
  try {
    factory.create(params);
  } catch (err) {
    if (!isUserError(err)) throw err;
    // The learners phrase their checks as `<kind>: <param>: expected ..., got <value>`.
    const m = /^[\w]+: (\w+): (expected .*?)(?:, got .*)?$/s.exec(err.message);
    if (m && m[1] in factory.defaults) problems.push({ path: [m[1]], message: m[2] });
    else problems.push({ path: [], message: `expected parameters ${kind} accepts (${err.message})` });
  }
  return problems;
}
