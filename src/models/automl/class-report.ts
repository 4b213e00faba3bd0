/**
 * The classification charts of an automl report, from predictions.arrow (true label, `proba_<class>`
 * columns): confusion matrix (counts and row-normalised), ROC and precision-recall curves (binary:
 * of the second class; one-vs-rest per class up to 10 classes), a reliability curve, and
 * per-class precision / recall / F1.
 */
import { barChart, heatmapChart, lineChart, scatterChart, type ChartRow, type ReportItem } from '../../report/index.js';
import {
  calibrationCurve,
  confusionMatrix,
  perClassScores,
  prCurve,
  rocCurve,
  binaryAuc,
} from '../../metrics/classification.js';

/** Curves per class are drawn up to this many classes. */
const MAX_CURVE_CLASSES = 10;

export function classificationItems(
  pred: Record<string, ArrayLike<unknown>>,
  classes: string[],
): { charts: ReportItem[]; tables: ReportItem[] } {
  const K = classes.length;
  const index = new Map(classes.map((c, k) => [c, k]));
  const labels = pred.y as ArrayLike<string>;
  const n = labels.length;
  const y = Float64Array.from({ length: n }, (_, i) => index.get(String(labels[i])) ?? 0);
  const P = new Float64Array(n * K);
  classes.forEach((c, k) => {
    const col = pred[`proba_${c}`] as ArrayLike<number>;
    for (let i = 0; i < n; i++) P[i * K + k] = Number(col[i]);
  });
  const charts: ReportItem[] = [];
  const m = confusionMatrix(y, P);
  const counts: ChartRow[] = [];
  const normalized: ChartRow[] = [];
  m.forEach((row, a) => {
    const total = row.reduce((s, v) => s + v, 0);
    row.forEach((v, b) => {
      counts.push({ true: classes[a], predicted: classes[b], count: v });
      normalized.push({ true: classes[a], predicted: classes[b], share: total > 0 ? v / total : 0 });
    });
  });
  charts.push({
    kind: 'chart',
    name: 'confusion_matrix',
    spec: heatmapChart({
      data: counts,
      x: 'predicted',
      y: 'true',
      value: 'count',
      order: classes,
      title: 'Confusion matrix (holdout counts)',
    }),
  });
  charts.push({
    kind: 'chart',
    name: 'confusion_matrix_normalized',
    spec: heatmapChart({
      data: normalized,
      x: 'predicted',
      y: 'true',
      value: 'share',
      order: classes,
      valueFormat: '.2f',
      title: 'Confusion matrix (row-normalised: recall per class)',
    }),
  });

  const curveClasses = K === 2 ? [1] : K <= MAX_CURVE_CLASSES ? classes.map((_, k) => k) : [];
  if (curveClasses.length) {
    const roc: ChartRow[] = [];
    const pr: ChartRow[] = [];
    for (const k of curveClasses) {
      const positive = Array.from(y, (v) => v === k);
      const score = Float64Array.from({ length: n }, (_, i) => P[i * K + k]);
      const auc = binaryAuc(positive, score);
      const name =
        K === 2
          ? `${classes[k]} (AUC ${auc.toFixed(3)})`
          : `${classes[k]} vs rest (AUC ${Number.isFinite(auc) ? auc.toFixed(3) : '-'})`;
      for (const p of rocCurve(positive, score)) roc.push({ fpr: p.fpr, tpr: p.tpr, class: name });
      for (const p of prCurve(positive, score)) pr.push({ recall: p.recall, precision: p.precision, class: name });
    }
    const curves = [
      ['roc_curve', roc, 'fpr', 'tpr', 'false positive rate', 'true positive rate', 'ROC curve'],
      ['pr_curve', pr, 'recall', 'precision', 'recall', 'precision', 'Precision-recall curve'],
    ] as const;
    for (const [name, data, x, y, xTitle, yTitle, title] of curves)
      charts.push({
        kind: 'chart',
        name,
        spec: lineChart({
          data,
          x,
          y,
          color: 'class',
          xTitle,
          yTitle,
          yDomain: [0, 1],
          title: K === 2 ? `${title} (holdout)` : `${title}s, one vs rest (holdout)`,
        }),
      });
  }
  const reliability = calibrationCurve(y, P, 10).map((b) => ({
    confidence: b.confidence,
    accuracy: b.accuracy,
    rows: b.count,
  }));
  charts.push({
    kind: 'chart',
    name: 'calibration',
    spec: scatterChart({
      data: reliability,
      x: 'confidence',
      y: 'accuracy',
      diagonal: true,
      title: 'Reliability: top-class probability vs accuracy (10 bins)',
      xTitle: 'predicted probability of the top class',
      yTitle: 'fraction correct',
    }),
    caption: 'Points on the diagonal are calibrated; below it, overconfident.',
  });

  const scores = perClassScores(y, P);
  const bars: ChartRow[] = scores.flatMap((s, k) => [
    { class: classes[k], value: s.precision, score: 'precision' },
    { class: classes[k], value: s.recall, score: 'recall' },
    { class: classes[k], value: s.f1, score: 'f1' },
  ]);
  charts.push({
    kind: 'chart',
    name: 'per_class_scores',
    wide: K > 10,
    spec: barChart({
      data: bars,
      x: 'class',
      y: 'value',
      color: 'score',
      yDomain: [0, 1],
      title: 'Per-class precision, recall and F1 (holdout)',
    }),
  });
  const tables: ReportItem[] = [
    {
      kind: 'table',
      title: 'Per-class scores (holdout)',
      columns: ['class', 'precision', 'recall', 'f1', 'support'],
      rows: scores.map((s, k) => [classes[k], s.precision, s.recall, s.f1, s.support]),
    },
  ];
  if (K > MAX_CURVE_CLASSES)
    tables.push({
      kind: 'notes',
      text: `ROC and precision-recall curves are drawn for up to ${MAX_CURVE_CLASSES} classes; this target has ${K} (the one-vs-rest macro ROC AUC is in the metrics).`,
    });
  return { charts, tables };
}
