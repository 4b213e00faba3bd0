/** report.html of a tabular run, from its files (metrics.json, predictions.arrow), so `sciml report <run>` re-renders it. */
import { readFileSync } from 'node:fs';
import type { RunDir } from '../../runtime/rundir.js';
import { barChart, runMeta, writeReport, type Report, type ReportItem } from '../../report/index.js';
import { droppedColumnsText, holdoutCharts, leakNotes, readArrowColumns } from '../automl/report.js';

export async function writeTabularReport(run: RunDir): Promise<void> {
  const m = JSON.parse(readFileSync(run.file('metrics.json'), 'utf8'));
  const pred = readArrowColumns(run.file('predictions.arrow'));
  const overview: ReportItem[] = [
    {
      kind: 'metrics',
      metrics: m.metrics,
      baseline: m.baseline,
      labels: { model: m.learner, baseline: m.baseline_name },
      caption: 'On the holdout rows, never seen in training.',
    },
    {
      kind: 'keyvalue',
      title: 'Model',
      entries: {
        learner: m.learner,
        parameters: JSON.stringify(m.params),
        ...(m.rounds !== undefined ? { 'boosting rounds': m.rounds } : {}),
        ...(m.trees !== undefined ? { trees: m.trees } : {}),
        target: m.target,
        'target transform': m.target_transform,
        'training rows': m.rows?.train ?? '',
        'holdout rows': m.rows?.holdout,
        'dropped columns': droppedColumnsText(m.dropped_columns),
      },
    },
    ...leakNotes(m.leaks),
  ];
  const items = holdoutCharts(pred, m.target);
  const importance: { feature: string; importance: number }[] = m.feature_importance ?? [];
  if (importance.length) {
    items.push({
      kind: 'chart',
      name: 'feature_importance',
      spec: barChart({
        data: importance,
        x: 'feature',
        y: 'importance',
        horizontal: true,
        sort: 'descending',
        title: `Split-gain importance (${m.learner})`,
        yTitle: 'share of total gain',
      }),
    });
  }
  const report: Report = {
    title: `Tabular: ${m.learner} on ${m.target}`,
    subtitle: m.model_dir ? `evaluation of ${m.model_dir}` : `baseline: ${m.baseline_name}`,
    meta: runMeta(run),
    sections: [
      { title: 'Result', items: overview },
      { title: 'Charts', items },
    ],
  };
  await writeReport(run, report);
}
