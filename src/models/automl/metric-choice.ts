/**
 * The metric of a run. 'auto' is rmse for regression and log_loss for classification: log loss
 * scores the probabilities themselves (what ensembles average and stacks combine), is smooth for
 * greedy selection, and is AutoGluon's default for multiclass; accuracy is reported beside it.
 * A metric of the other kind of problem is an error naming the inferred problem type.
 */
import { UserError } from '../../runtime/errors.js';
import { CLASSIFICATION_METRICS, type ClassificationMetric } from '../../metrics/classification.js';
import type { MetricName } from './config.js';
import type { RegressionMetric } from '../../metrics/regression.js';
import type { Problem } from '../../tabular/problem.js';

const REGRESSION_METRICS: RegressionMetric[] = ['rmse', 'mae', 'r2', 'rmsle'];

export function resolveMetric(
  metric: MetricName,
  problem: Problem,
  configFile: string,
): RegressionMetric | ClassificationMetric {
  const classification = problem.classes !== null;
  if (metric === 'auto') return classification ? 'log_loss' : 'rmse';
  const isClassMetric = (CLASSIFICATION_METRICS as readonly string[]).includes(metric);
  if (classification && !isClassMetric) {
    throw new UserError(
      `${configFile}: search.metric: '${metric}' is a regression metric, but the problem type is ${problem.type} (${problem.reason}); expected one of ${CLASSIFICATION_METRICS.join(', ')}, or set data.problem_type (--problem-type) to regression`,
    );
  }
  if (!classification && isClassMetric) {
    throw new UserError(
      `${configFile}: search.metric: '${metric}' needs a classification target, but the problem type is regression ` +
        `(${problem.reason}); expected one of ${REGRESSION_METRICS.join(', ')}, or set data.problem_type ` +
        `(--problem-type) to binary or multiclass`,
    );
  }
  return metric as RegressionMetric | ClassificationMetric;
}

export function higherIsBetter(metric: string): boolean {
  return (
    metric === 'r2' ||
    metric === 'accuracy' ||
    metric === 'balanced_accuracy' ||
    metric === 'roc_auc' ||
    metric === 'f1'
  );
}
