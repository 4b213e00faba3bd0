import { classificationLossToMetric, type ClassificationMetric } from './classification.js';

export type RegressionMetric = 'rmse' | 'mae' | 'r2' | 'rmsle';

export function rmse(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - p[i]) ** 2;
  return Math.sqrt(s / y.length);
}

export function mae(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(y[i] - p[i]);
  return s / y.length;
}

export function r2(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  mean /= y.length;
  let ssr = 0;
  let sst = 0;
  for (let i = 0; i < y.length; i++) {
    ssr += (y[i] - p[i]) ** 2;
    sst += (y[i] - mean) ** 2;
  }
  return sst === 0 ? (ssr === 0 ? 1 : 0) : 1 - ssr / sst;
}

/** Root mean squared log error; predictions below 0 count as 0. */
function rmsle(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (Math.log1p(Math.max(0, p[i])) - Math.log1p(Math.max(0, y[i]))) ** 2;
  return Math.sqrt(s / y.length);
}

const METRIC_FUNCTIONS: Record<RegressionMetric, (y: ArrayLike<number>, p: ArrayLike<number>) => number> = {
  rmse,
  mae,
  r2,
  rmsle,
};

/** The metric as a loss (lower is better), for the search and the ensembles. */
export function lossOf(metric: RegressionMetric): (y: ArrayLike<number>, p: ArrayLike<number>) => number {
  return metric === 'r2' ? (y, p) => -r2(y, p) : METRIC_FUNCTIONS[metric];
}

function lossToMetric(metric: RegressionMetric, loss: number): number {
  return metric === 'r2' ? -loss : loss;
}

function isRegressionMetric(m: string): m is RegressionMetric {
  return m === 'rmse' || m === 'mae' || m === 'r2' || m === 'rmsle';
}

export function allMetrics(y: ArrayLike<number>, p: ArrayLike<number>): Record<RegressionMetric, number> {
  return { rmse: rmse(y, p), mae: mae(y, p), r2: r2(y, p), rmsle: rmsle(y, p) };
}

/** A loss back on the metric's scale, for regression and classification metrics alike. */
export function metricOfLoss(metric: string, loss: number): number {
  if (isRegressionMetric(metric)) return lossToMetric(metric, loss);
  return classificationLossToMetric(metric as ClassificationMetric, loss);
}
