/**
 * Classification metrics on class indices y (0..K-1) and row-major probabilities P (n x K; K is
 * P.length / y.length): accuracy, balanced accuracy, log loss (probabilities clipped at 1e-15, as
 * scikit-learn), ROC AUC (binary; one-vs-rest macro for K > 2, over the classes present), F1
 * (binary: of class 1; macro for K > 2). Plus the curves and tables of the report.
 */
import { argmaxRows } from '../learners/classifier.js';
import { logLossOfProba } from '../learners/class-losses.js';

export const CLASSIFICATION_METRICS = ['log_loss', 'accuracy', 'balanced_accuracy', 'roc_auc', 'f1'] as const;
export type ClassificationMetric = (typeof CLASSIFICATION_METRICS)[number];

type Labels = ArrayLike<number>;

function classesOf(y: Labels, P: ArrayLike<number>): number {
  return Math.round(P.length / Math.max(1, y.length));
}

export function accuracy(y: Labels, P: ArrayLike<number>): number {
  const pred = argmaxRows(P, classesOf(y, P));
  let hit = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) hit++;
  return hit / y.length;
}

export function logLoss(y: Labels, P: ArrayLike<number>): number {
  return logLossOfProba(y, P, classesOf(y, P));
}

/** Confusion matrix counts: row = true class, column = predicted class. */
export function confusionMatrix(y: Labels, P: ArrayLike<number>): number[][] {
  const K = classesOf(y, P);
  const pred = argmaxRows(P, K);
  const m = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i < y.length; i++) m[y[i]][pred[i]]++;
  return m;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Per-class precision, recall, F1 and support (0 where undefined, as scikit-learn's zero_division=0). */
export function perClassScores(y: Labels, P: ArrayLike<number>): ClassScores[] {
  const m = confusionMatrix(y, P);
  const K = m.length;
  return m.map((row, k) => {
    const tp = row[k];
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let j = 0; j < K; j++) predicted += m[j][k];
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
}

export function balancedAccuracy(y: Labels, P: ArrayLike<number>): number {
  const scores = perClassScores(y, P).filter((s) => s.support > 0);
  return scores.reduce((a, s) => a + s.recall, 0) / Math.max(1, scores.length);
}

export function f1(y: Labels, P: ArrayLike<number>): number {
  const scores = perClassScores(y, P);
  if (scores.length === 2) return scores[1].f1;
  const present = scores.filter((s) => s.support > 0);
  return present.reduce((a, s) => a + s.f1, 0) / Math.max(1, present.length);
}

/** AUC of scores for the positive rows (Mann-Whitney U with midranks for ties); NaN without both kinds. */
export function binaryAuc(positive: ArrayLike<boolean>, score: ArrayLike<number>): number {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  let pos = 0;
  let rankSum = 0;
  for (let a = 0; a < n; ) {
    let b = a;
    while (b + 1 < n && score[order[b + 1]] === score[order[a]]) b++;
    const mid = (a + b) / 2 + 1;
    for (let t = a; t <= b; t++)
      if (positive[order[t]]) {
        pos++;
        rankSum += mid;
      }
    a = b + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function rocAuc(y: Labels, P: ArrayLike<number>): number {
  const K = classesOf(y, P);
  const column = (k: number) => Float64Array.from({ length: y.length }, (_, i) => P[i * K + k]);
  const is = (k: number) => Array.from({ length: y.length }, (_, i) => y[i] === k);
  if (K === 2) return binaryAuc(is(1), column(1));
  let s = 0;
  let m = 0;
  for (let k = 0; k < K; k++) {
    const a = binaryAuc(is(k), column(k));
    if (Number.isFinite(a)) {
      s += a;
      m++;
    }
  }
  return m > 0 ? s / m : NaN;
}

const CLASSIFICATION_FUNCTIONS: Record<ClassificationMetric, (y: Labels, P: ArrayLike<number>) => number> = {
  log_loss: logLoss,
  accuracy,
  balanced_accuracy: balancedAccuracy,
  roc_auc: rocAuc,
  f1,
};

/** The metric as a loss (lower is better). */
export function classificationLoss(metric: ClassificationMetric): (y: Labels, P: ArrayLike<number>) => number {
  if (metric === 'log_loss') return logLoss;
  const f = CLASSIFICATION_FUNCTIONS[metric];
  return (y, P) => {
    const v = f(y, P);
    return Number.isFinite(v) ? 1 - v : Infinity;
  };
}

export function classificationLossToMetric(metric: ClassificationMetric, loss: number): number {
  return metric === 'log_loss' ? loss : 1 - loss;
}

export function allClassificationMetrics(y: Labels, P: ArrayLike<number>): Record<ClassificationMetric, number> {
  return {
    log_loss: logLoss(y, P),
    accuracy: accuracy(y, P),
    balanced_accuracy: balancedAccuracy(y, P),
    roc_auc: rocAuc(y, P),
    f1: f1(y, P),
  };
}

/** ROC curve points (false positive rate, true positive rate) of one class against the rest. */
export function rocCurve(positive: ArrayLike<boolean>, score: ArrayLike<number>): { fpr: number; tpr: number }[] {
  return thresholdSweep(positive, score).map((c) => ({
    fpr: c.neg > 0 ? c.fp / c.neg : 0,
    tpr: c.pos > 0 ? c.tp / c.pos : 0,
  }));
}

/** Precision-recall curve points of one class against the rest. */
export function prCurve(
  positive: ArrayLike<boolean>,
  score: ArrayLike<number>,
): { recall: number; precision: number }[] {
  return thresholdSweep(positive, score)
    .filter((c) => c.tp + c.fp > 0)
    .map((c) => ({ recall: c.pos > 0 ? c.tp / c.pos : 0, precision: c.tp / (c.tp + c.fp) }));
}

/** Counts at every distinct threshold, from the highest score down. */
function thresholdSweep(
  positive: ArrayLike<boolean>,
  score: ArrayLike<number>,
): { tp: number; fp: number; pos: number; neg: number }[] {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b] - score[a]);
  let pos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) pos++;
  const neg = n - pos;
  const out = [{ tp: 0, fp: 0, pos, neg }];
  let tp = 0;
  let fp = 0;
  for (let a = 0; a < n; ) {
    let b = a;
    while (b + 1 < n && score[order[b + 1]] === score[order[a]]) b++;
    for (let t = a; t <= b; t++)
      if (positive[order[t]]) tp++;
      else fp++;
    out.push({ tp, fp, pos, neg });
    a = b + 1;
  }
  return out;
}

/**
 * Reliability curve: the predicted probability of each row's top class, in `bins` equal-width
 * bins, against how often that top class was right.
 */
export function calibrationCurve(
  y: Labels,
  P: ArrayLike<number>,
  bins = 10,
): { confidence: number; accuracy: number; count: number }[] {
  const K = classesOf(y, P);
  const sumConf = new Float64Array(bins);
  const sumHit = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (P[i * K + k] > P[i * K + best]) best = k;
    const c = P[i * K + best];
    const b = Math.min(bins - 1, Math.floor(c * bins));
    sumConf[b] += c;
    sumHit[b] += best === y[i] ? 1 : 0;
    count[b]++;
  }
  const out: { confidence: number; accuracy: number; count: number }[] = [];
  for (let b = 0; b < bins; b++)
    if (count[b] > 0) out.push({ confidence: sumConf[b] / count[b], accuracy: sumHit[b] / count[b], count: count[b] });
  return out;
}
