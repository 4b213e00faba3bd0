import { existsSync, readFileSync } from 'node:fs';
import type { RunDir } from '../../runtime/rundir.js';
import type { Logger } from '../../runtime/log.js';
import { UserError } from '../../runtime/errors.js';
import { readArrowFile } from '../../data/arrow.js';
import { nearestEven } from '../../data/knots/columns.js';
import { distributedCharts, readRounds } from '../../distributed/report.js';
import { distributedSummary, type DistributedSummary } from '../../distributed/summary.js';
import {
  barChart,
  lineChart,
  runMeta,
  scatterChart,
  writeReport,
  type ChartRow,
  type Report,
  type ReportItem,
} from '../../report/index.js';
import type { KnotsHistory } from './outputs.js';

interface MetricsJson {
  metrics: Record<string, number>;
  baseline: Record<string, number>;
  top_k?: { k: number; method: string; features: string[]; test_mse: number; test_accuracy: number };
  salience: {
    rule: string;
    steps: number;
    baseline: string;
    examples: number;
    top_gradient: string[];
    top_integrated_gradients: string[];
  };
  data: { source: string; synthetic: boolean; rows: number; train: number; validation: number; test: number };
  objective: string;
}

function readJson<T>(run: RunDir, name: string): T {
  const path = run.file(name);
  if (!existsSync(path)) throw new UserError(`${run.path}: no ${name}; expected a finished knots run`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function columnValues(path: string, names: string[]): Record<string, ArrayLike<number> | (string | null)[]> {
  const table = readArrowFile(path);
  const out: Record<string, ArrayLike<number> | (string | null)[]> = {};
  for (const name of names) {
    const vector = table.getChild(name);
    if (!vector) throw new UserError(`${path}: column '${name}': missing`);
    out[name] =
      vector.type.toString() === 'Utf8'
        ? (Array.from(vector) as (string | null)[])
        : (vector.toArray() as ArrayLike<number>);
  }
  return out;
}

/** Rows {signature, estimate, count}: how often each (true, even-rounded estimate) pair occurs. */
function pairCounts(truth: ArrayLike<number>, estimate: ArrayLike<number>, estimateName: string): ChartRow[] {
  const counts = new Map<string, number>();
  for (let i = 0; i < truth.length; i++) {
    const key = `${truth[i]},${nearestEven(estimate[i])}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => {
    const [s, e] = key.split(',').map(Number);
    return { signature: s, [estimateName]: e, count };
  });
}

/** The test set's (signature, estimate) pair-count charts: name, estimate column, its label, what is rounded, title. */
const PAIR_COUNT_CHARTS = [
  ['predicted-vs-true', 'predicted', 'predicted', 'prediction', 'MLP prediction vs signature'],
  ['slope-vs-true', 'slope_over_2', 'slope/2', 'slope/2', 'slope/2 vs signature'],
] as const;

function salienceChart(path: string): { spec: ReturnType<typeof barChart>; features: string[] } {
  const c = columnValues(path, [
    'feature',
    'gradient_saliency_normalized',
    'integrated_gradients_normalized',
    'gradient_rank',
  ]);
  const features = c.feature as string[];
  const order = features
    .map((f, j) => ({ f, j, r: (c.gradient_rank as ArrayLike<number>)[j] }))
    .sort((a, b) => a.r - b.r);
  const rows: ChartRow[] = [];
  for (const { f, j } of order) {
    rows.push({
      feature: f,
      method: 'gradient saliency',
      share: (c.gradient_saliency_normalized as ArrayLike<number>)[j],
    });
    rows.push({
      feature: f,
      method: 'integrated gradients',
      share: (c.integrated_gradients_normalized as ArrayLike<number>)[j],
    });
  }
  const spec = barChart({
    data: rows,
    x: 'feature',
    y: 'share',
    color: 'method',
    horizontal: true,
    title: 'Normalized salience',
    subtitle: 'share of total attribution per invariant, sorted by gradient saliency',
    yTitle: 'share of salience',
    xTitle: 'invariant',
    colorTitle: 'method',
  });
  return { spec, features };
}

function historyChart(history: KnotsHistory): ReturnType<typeof lineChart> {
  const rows: ChartRow[] = [];
  for (const [model, records] of [
    ['all features', history.full],
    ['top-k', history.top_k ?? []],
  ] as const) {
    for (const r of records) {
      rows.push({ epoch: r.epoch, loss: r.train_loss, series: `${model}: train` });
      rows.push({ epoch: r.epoch, loss: r.validation_loss, series: `${model}: validation` });
    }
  }
  return lineChart({
    data: rows,
    x: 'epoch',
    y: 'loss',
    color: 'series',
    yScale: 'log',
    title: 'Training curves',
    subtitle: 'per-example training loss (standardized units); best validation epoch kept',
    dashed: ['all features: validation', 'top-k: validation'],
  });
}

/** The models a knots run trains, by the name of their files (rounds-<name>.json). */
const KNOTS_MODELS = [
  ['full', 'all features'],
  ['top_k', 'top-k features'],
] as const;

/** run.json's `distributed`: per model trained on replicas, its rounds in brief. */
export function knotsDistributedSummary(run: RunDir): Record<string, DistributedSummary> | undefined {
  const out: Record<string, DistributedSummary> = {};
  for (const [name] of KNOTS_MODELS) {
    const rounds = readRounds(run.file(`rounds-${name}.json`));
    if (rounds) out[name] = distributedSummary(rounds.rounds, rounds.replicas, rounds.executor);
  }
  return Object.keys(out).length ? out : undefined;
}

/** Builds report.html and charts/ from the files of a knots run (metrics.json, predictions.arrow, salience.arrow, history.json). */
export async function renderKnotsReport(run: RunDir, _log?: Logger): Promise<void> {
  const metrics = readJson<MetricsJson>(run, 'metrics.json');
  const predictions = columnValues(run.file('predictions.arrow'), ['signature', 'predicted', 'slope_over_2']);
  const salience = salienceChart(run.file('salience.arrow'));
  const history = existsSync(run.file('history.json')) ? readJson<KnotsHistory>(run, 'history.json') : undefined;
  const m = metrics.metrics;
  const synthetic = metrics.data.synthetic;

  const comparison: ReportItem = {
    kind: 'metrics',
    metrics: { test_mse: m.test_mse, test_accuracy: m.test_accuracy },
    baseline: metrics.baseline,
    labels: { model: 'MLP, all features', baseline: 'slope/2' },
    caption: 'accuracy: the prediction rounded to the nearest even integer equals the signature',
  };
  const rows: [string, string | number][] = [
    ['MLP, all features', `${m.test_mse.toFixed(3)} MSE, ${(100 * m.test_accuracy).toFixed(1)}% accuracy`],
    [
      'slope/2',
      `${metrics.baseline.test_mse.toFixed(3)} MSE, ${(100 * metrics.baseline.test_accuracy).toFixed(1)}% accuracy`,
    ],
  ];
  if (metrics.top_k)
    rows.push([
      `MLP, top ${metrics.top_k.k} (${metrics.top_k.method}): ${metrics.top_k.features.join(', ')}`,
      `${metrics.top_k.test_mse.toFixed(3)} MSE, ${(100 * metrics.top_k.test_accuracy).toFixed(1)}% accuracy`,
    ]);

  const report: Report = {
    title: `Knot signature from geometric invariants${synthetic ? ' (SYNTHETIC data)' : ''}`,
    subtitle: synthetic
      ? 'Synthetic knots from `sciml data generate knots`, mirroring the published column format and the slope/2 relationship; not real knots.'
      : `Data: ${metrics.data.source}`,
    meta: runMeta(run, { rows: metrics.data.rows, test: metrics.data.test, objective: metrics.objective }),
    sections: [
      {
        title: 'Test set',
        items: [comparison, { kind: 'keyvalue', title: 'Models on the test set', entries: rows }],
      },
      {
        title: 'Salience',
        items: [
          {
            kind: 'chart',
            name: 'salience',
            spec: salience.spec,
            wide: true,
            caption:
              `Gradient saliency: mean |d loss / d x| over the training set (standardized inputs). Integrated gradients: mean ` +
              `|IG| over ${metrics.salience.examples} test knots, baseline ${metrics.salience.baseline}, ` +
              `${metrics.salience.rule} with ${metrics.salience.steps} steps.`,
          },
          {
            kind: 'keyvalue',
            entries: [
              ['top 3, gradient saliency', metrics.salience.top_gradient.slice(0, 3).join(', ')],
              ['top 3, integrated gradients', metrics.salience.top_integrated_gradients.slice(0, 3).join(', ')],
              ['IG completeness gap (mean |Σ IG − (F(x) − F(baseline))|)', m.ig_completeness_gap],
              ['relative to mean |F(x) − F(baseline)|', m.ig_completeness_gap_relative],
            ],
          },
        ],
      },
      {
        title: 'Predictions',
        items: PAIR_COUNT_CHARTS.map(
          ([name, field, label, rounded, title]): ReportItem => ({
            kind: 'chart',
            name,
            spec: scatterChart({
              data: pairCounts(
                predictions.signature as ArrayLike<number>,
                predictions[field] as ArrayLike<number>,
                field,
              ),
              x: 'signature',
              y: field,
              size: 'count',
              diagonal: true,
              title,
              subtitle: `${rounded} rounded to the nearest even integer; point size = number of test knots`,
              yTitle: label,
            }),
            caption: `Counts of (true, ${label}) pairs on the test set.`,
          }),
        ),
      },
    ],
  };
  if (history)
    report.sections.push({
      title: 'Training',
      items: [{ kind: 'chart', name: 'training', spec: historyChart(history), wide: true }],
    });
  for (const [name, title] of KNOTS_MODELS) {
    const rounds = readRounds(run.file(`rounds-${name}.json`));
    if (rounds)
      report.sections.push({ title: `Distributed training: ${title}`, items: distributedCharts(rounds, `${name}-`) });
  }
  if (synthetic)
    report.sections.push({
      title: 'About the data',
      items: [
        {
          kind: 'notes',
          text:
            'These knots are SYNTHETIC: the published data set (Davies et al. 2021) cannot be downloaded here. ' +
            'The generator (src/data/knots/simulate.ts, configs/README-knots.md) mirrors the published ranges, ' +
            'correlations and the slope/2 relationship, with a correction growing with volume · ' +
            'injectivity_radius^-3. Conclusions about real knots need the published data: set data.path to its ' +
            'CSV.',
        },
      ],
    });
  await writeReport(run, report);
}
