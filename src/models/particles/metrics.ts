/**
 * Held-out metrics of a three-class event classifier: accuracy, log loss, one-vs-rest ROC AUC per
 * class and macro, and the trigger figure: each class's efficiency (true-positive rate) at a 1%
 * false-positive rate, the score threshold chosen on the events themselves.
 */
import { accuracy, binaryAuc, confusionMatrix, logLoss, rocCurve } from '../../metrics/classification.js';
import { CLASS_NAMES, N_CLASSES } from '../../data/particles/schema.js';

export interface ClassifierMetrics {
  accuracy: number;
  log_loss: number;
  auc_macro: number;
  auc: Record<string, number>;
  efficiency_at_1pct_fpr: Record<string, number>;
  confusion: number[][];
}

export function classifierMetrics(labels: ArrayLike<number>, probs: ArrayLike<number>): ClassifierMetrics {
  const auc: Record<string, number> = {};
  const eff: Record<string, number> = {};
  let sum = 0;
  for (let k = 0; k < N_CLASSES; k++) {
    const positive = Array.from({ length: labels.length }, (_, i) => labels[i] === k);
    const score = Float64Array.from({ length: labels.length }, (_, i) => probs[i * N_CLASSES + k]);
    auc[CLASS_NAMES[k]] = binaryAuc(positive, score);
    eff[CLASS_NAMES[k]] = efficiencyAtFpr(positive, score, 0.01);
    sum += auc[CLASS_NAMES[k]];
  }
  return {
    accuracy: accuracy(labels, probs),
    log_loss: logLoss(labels, probs),
    auc_macro: sum / N_CLASSES,
    auc,
    efficiency_at_1pct_fpr: eff,
    confusion: confusionMatrix(labels, probs),
  };
}

/** The largest true-positive rate among thresholds whose false-positive rate is at most `fpr`. */
function efficiencyAtFpr(positive: ArrayLike<boolean>, score: ArrayLike<number>, fpr: number): number {
  let best = 0;
  for (const p of rocCurve(positive, score)) if (p.fpr <= fpr && p.tpr > best) best = p.tpr;
  return best;
}

/** ROC curve points of one class against the rest, thinned to at most `points`. */
export function rocPoints(
  labels: ArrayLike<number>,
  probs: ArrayLike<number>,
  k: number,
  points = 200,
): { fpr: number; tpr: number }[] {
  const positive = Array.from({ length: labels.length }, (_, i) => labels[i] === k);
  const score = Float64Array.from({ length: labels.length }, (_, i) => probs[i * N_CLASSES + k]);
  const curve = rocCurve(positive, score);
  if (curve.length <= points) return curve;
  const out: { fpr: number; tpr: number }[] = [];
  for (let i = 0; i < points; i++) out.push(curve[Math.round((i * (curve.length - 1)) / (points - 1))]);
  return out;
}
