/** report.html of a particles run, from its files (metrics.json, predictions.arrow), so `sciml report <run>` re-renders it. */
import { readFileSync } from 'node:fs';
import type { RunDir } from '../../runtime/rundir.js';
import {
  barChart,
  heatmapChart,
  histogramChart,
  lineChart,
  runMeta,
  writeReport,
  type ChartRow,
  type Report,
  type ReportItem,
} from '../../report/index.js';
import { readArrowColumns } from '../automl/report.js';
import { CLASS_NAMES } from '../../data/particles/schema.js';
import { distributedCharts, readRounds } from '../../distributed/report.js';

export async function writeParticlesReport(run: RunDir): Promise<void> {
  const m = JSON.parse(readFileSync(run.file('metrics.json'), 'utf8'));
  const pred = readArrowColumns(run.file('predictions.arrow'));
  const modelName = m.model_name ?? 'Inclusive classifier';
  const overview: ReportItem[] = [
    {
      kind: 'metrics',
      metrics: m.metrics,
      baseline: m.baseline,
      labels: { model: modelName, baseline: 'HLF classifier' },
      caption: `On ${m.events} held-out events; auc_* one-vs-rest ROC AUC, eff1pct_* the class's efficiency at a 1% false-positive rate.`,
    },
  ];
  if (m.paired) {
    overview.push({
      kind: 'keyvalue',
      title: 'Paired comparison (McNemar, same events)',
      entries: {
        events: m.paired.n,
        'HLF accuracy': m.paired.a,
        [`${modelName} accuracy`]: m.paired.b,
        difference: m.paired.diff,
        'standard error': m.paired.se,
        z: m.paired.z,
        'right only by HLF': m.paired.onlyA,
        [`right only by ${modelName}`]: m.paired.onlyB,
      },
    });
  }
  const charts: ReportItem[] = [];
  for (const curve of m.roc as {
    class: string;
    model: { fpr: number; tpr: number }[];
    baseline?: { fpr: number; tpr: number }[];
  }[]) {
    const rows: ChartRow[] = curve.model.map((p) => ({ fpr: p.fpr, tpr: p.tpr, model: modelName }));
    if (curve.baseline) rows.push(...curve.baseline.map((p) => ({ fpr: p.fpr, tpr: p.tpr, model: 'HLF classifier' })));
    charts.push({
      kind: 'chart',
      name: `roc_${curve.class.replace(/[^A-Za-z0-9]+/g, '')}`,
      spec: lineChart({
        data: rows,
        x: 'fpr',
        y: 'tpr',
        color: 'model',
        title: `ROC: ${curve.class} vs rest`,
        xTitle: 'false-positive rate',
        yTitle: 'true-positive rate (efficiency)',
        xScale: 'symlog',
      }),
    });
  }
  const confusion: ChartRow[] = [];
  (m.model_metrics.confusion as number[][]).forEach((row, t) =>
    row.forEach((count, p) => confusion.push({ true: CLASS_NAMES[t], predicted: CLASS_NAMES[p], events: count })),
  );
  charts.push({
    kind: 'chart',
    name: 'confusion',
    spec: heatmapChart({
      data: confusion,
      x: 'predicted',
      y: 'true',
      value: 'events',
      title: `Confusion matrix (${modelName})`,
      order: [...CLASS_NAMES],
    }),
  });
  const history = (m.history ?? []) as Record<string, number>[];
  if (history.length) {
    const lossKeys = ['train_loss', 'val_loss', 'baseline_train_loss', 'baseline_val_loss'].filter(
      (k) => history[0][k] !== undefined,
    );
    const accKeys = ['val_accuracy', 'baseline_val_accuracy'].filter((k) => history[0][k] !== undefined);
    charts.push({
      kind: 'chart',
      name: 'loss',
      spec: lineChart({
        data: history,
        x: 'epoch',
        y: lossKeys,
        title: 'Cross-entropy per epoch (baseline_*: HLF classifier)',
        yTitle: 'loss',
        points: true,
      }),
    });
    charts.push({
      kind: 'chart',
      name: 'accuracy',
      spec: lineChart({
        data: history,
        x: 'epoch',
        y: accKeys,
        title: 'Validation accuracy per epoch',
        yTitle: 'accuracy',
        points: true,
      }),
    });
  }
  const labels = pred.label as ArrayLike<number>;
  CLASS_NAMES.forEach((name) => {
    const scores = pred[`p_${name}`] as ArrayLike<number>;
    const rows: ChartRow[] = Array.from({ length: Math.min(labels.length, 20000) }, (_, i) => ({
      score: scores[i],
      true: CLASS_NAMES[labels[i]],
    }));
    charts.push({
      kind: 'chart',
      name: `scores_${name.replace(/[^A-Za-z0-9]+/g, '')}`,
      spec: histogramChart({
        data: rows,
        field: 'score',
        color: 'true',
        maxBins: 40,
        title: `P(${name}) by true class`,
        xTitle: `P(${name})`,
        yTitle: 'events',
      }),
    });
  });
  const importance: ReportItem[] = [];
  if (m.importance && m.importance.events > 0) {
    const imp = m.importance as {
      positions: number[];
      features: Record<string, number>;
      hlf: Record<string, number>;
      events: number;
    };
    importance.push({
      kind: 'notes',
      text: `Integrated gradients of the true class's probability, from the mean event (standardized zeros), averaged in absolute value over ${imp.events} test events.`,
    });
    if (imp.positions.length > 1)
      importance.push({
        kind: 'chart',
        name: 'ig_positions',
        spec: lineChart({
          data: imp.positions.map((v, i) => ({ position: i, importance: v })),
          x: 'position',
          y: 'importance',
          title: 'Importance by particle position (0: the lepton, then outwards in Delta R)',
          xTitle: 'position from the lepton',
          yTitle: 'mean |attribution|',
        }),
      });
    for (const [name, values, title] of [
      ['ig_features', imp.features, 'Importance by particle feature'],
      ['ig_hlf', imp.hlf, 'Importance by high-level feature'],
    ] as const) {
      const nonzero = Object.entries(values).filter(([, v]) => v > 0);
      if (nonzero.length)
        importance.push({
          kind: 'chart',
          name,
          spec: barChart({
            data: nonzero.map(([feature, v]) => ({ feature, importance: v })),
            x: 'feature',
            y: 'importance',
            horizontal: true,
            sort: 'descending',
            title,
            yTitle: 'mean |attribution|',
          }),
        });
    }
  }
  const report: Report = {
    title: `Particles: ${modelName}`,
    subtitle: m.model_dir ? `evaluation of ${m.model_dir}` : `${m.events} test events from ${m.data ?? ''}`,
    meta: runMeta(run),
    sections: [
      { title: 'Result', items: overview },
      { title: 'Charts', items: charts },
      ...(importance.length ? [{ title: 'What the model looks at', items: importance }] : []),
    ],
  };
  const rounds = readRounds(run.file('rounds.json'));
  if (rounds) report.sections.push({ title: 'Distributed training', items: distributedCharts(rounds) });
  await writeReport(run, report);
}
