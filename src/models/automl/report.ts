/**
 * report.html of an automl run, built only from the run's files (metrics.json, leaderboard.arrow,
 * predictions.arrow, trials.jsonl), so `sciml report <run>` re-renders it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import type { Logger } from '../../runtime/log.js';
import type { RunDir } from '../../runtime/rundir.js';
import {
  barChart,
  layerCharts,
  lineChart,
  scatterChart,
  runMeta,
  writeReport,
  PALETTE,
  type ChartRow,
  type Report,
  type ReportItem,
} from '../../report/index.js';
import { readLeaderboard, scoreColumns, scoresOf } from './leaderboard.js';
import { classificationItems } from './class-report.js';
import { metricOfLoss } from '../../metrics/regression.js';

function movingAverage(values: Float64Array, window: number): Float64Array {
  const out = new Float64Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    out[i] = sum / Math.min(i + 1, window);
  }
  return out;
}

/**
 * Charts of holdout predictions (predictions.arrow columns y, prediction, row, and time/hour when
 * present): predicted vs true, both along time, and residuals by hour of day.
 */
export function holdoutCharts(pred: Record<string, ArrayLike<unknown>>, target: string): ReportItem[] {
  const items: ReportItem[] = [];
  const y = Float64Array.from(pred.y as ArrayLike<number>);
  const p = Float64Array.from(pred.prediction as ArrayLike<number>);
  const rowIndex = Int32Array.from(pred.row as ArrayLike<number>);
  items.push({
    kind: 'chart',
    name: 'predicted_vs_true',
    spec: scatterChart({
      data: Array.from(y, (v, i) => ({ true: v, predicted: p[i] })),
      x: 'true',
      y: 'predicted',
      diagonal: true,
      opacity: 0.35,
      title: 'Holdout: predicted vs true',
    }),
  });

  // Along time: holdout rows in time order (or row order), 100-point moving average.
  const order = Array.from(y.keys());
  const time = pred.time as ArrayLike<string> | undefined;
  if (time) order.sort((a, b) => (time[a] < time[b] ? -1 : time[a] > time[b] ? 1 : rowIndex[a] - rowIndex[b]));
  else order.sort((a, b) => rowIndex[a] - rowIndex[b]);
  const ys = movingAverage(
    Float64Array.from(order, (i) => y[i]),
    100,
  );
  const ps = movingAverage(
    Float64Array.from(order, (i) => p[i]),
    100,
  );
  const alongRows: ChartRow[] = order.map((i, k) => ({
    at: time && time[i] ? time[i] : rowIndex[i],
    true: ys[k],
    predicted: ps[k],
  }));
  items.push({
    kind: 'chart',
    name: 'along_time',
    wide: true,
    spec: lineChart({
      data: alongRows,
      x: 'at',
      y: ['true', 'predicted'],
      xTitle: time ? 'time' : 'row',
      yTitle: `${target} (100-point moving average)`,
      title: 'True and predicted along time (holdout)',
    }),
  });

  const hour = pred.hour as ArrayLike<number> | undefined;
  if (hour) {
    const sums = new Map<number, { n: number; r: number; r2: number }>();
    for (let i = 0; i < y.length; i++) {
      const h = hour[i];
      if (!Number.isFinite(h)) continue;
      const s = sums.get(h) ?? { n: 0, r: 0, r2: 0 };
      const r = p[i] - y[i];
      s.n++;
      s.r += r;
      s.r2 += r * r;
      sums.set(h, s);
    }
    const hourRows: ChartRow[] = [...sums.entries()]
      .sort((a, b) => a[0] - b[0])
      .flatMap(([h, s]) => [
        { hour: String(h), value: s.r / s.n, statistic: 'mean residual' },
        { hour: String(h), value: Math.sqrt(s.r2 / s.n), statistic: 'rmse' },
      ]);
    items.push({
      kind: 'chart',
      name: 'residuals_by_hour',
      spec: barChart({
        data: hourRows,
        x: 'hour',
        y: 'value',
        color: 'statistic',
        title: 'Holdout residuals (predicted - true) by hour of day',
        yTitle: target,
      }),
    });
  }
  return items;
}

/** Scores packed in a narrow band far from zero (AUCs of 0.97-0.99) get an axis zoomed to them. */
export function zoomedDomain(values: number[]): [number, number] | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (!finite.length) return undefined;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (lo <= 0 || hi - lo >= 0.25 * hi) return undefined;
  const pad = Math.max((hi - lo) * 0.15, Math.abs(hi) * 1e-4);
  return [lo - pad, hi + pad];
}

/** The budget (successive-halving rung, a fraction of the full fit) a row was trained at, from its params JSON. */
function budgetOf(params: string): number | undefined {
  try {
    const b = (JSON.parse(params) as { budget?: unknown }).budget;
    return typeof b === 'number' ? b : undefined;
  } catch {
    return undefined;
  }
}

/** Model names with their budget when the leaderboard mixes budgets (one configuration at two rungs is not a duplicate). */
export function modelLabels(rows: { model: string; params: string }[]): string[] {
  const budgets = rows.map((r) => budgetOf(r.params));
  const mixed = new Set(budgets.filter((b) => b !== undefined)).size > 1;
  return rows.map((r, i) =>
    mixed && budgets[i] !== undefined ? `${r.model} (budget ${Number(budgets[i]!.toPrecision(3))})` : r.model,
  );
}

/** A leaderboard row's params for people: numbers to 4 significant digits, `key=value` pairs. */
export function paramsText(params: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(params);
  } catch {
    return params;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return params;
  const show = (v: unknown): string =>
    typeof v === 'number'
      ? Number.isInteger(v)
        ? String(v)
        : String(Number(v.toPrecision(4)))
      : Array.isArray(v)
        ? `[${v.map(show).join(', ')}]`
        : v && typeof v === 'object'
          ? `{${Object.entries(v)
              .map(([k, x]) => `${k}=${show(x)}`)
              .join(', ')}}`
          : String(v);
  return Object.entries(parsed as Record<string, unknown>)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(', ');
}

export function readArrowColumns(path: string): Record<string, ArrayLike<unknown>> {
  const table = tableFromIPC(readFileSync(path));
  const out: Record<string, ArrayLike<unknown>> = {};
  for (const field of table.schema.fields)
    out[field.name] = table.getChild(field.name)!.toArray() as ArrayLike<unknown>;
  return out;
}

/** The columns the data preparation dropped, each with its reason ('none' when it dropped none). */
export function droppedColumnsText(dropped: { column: string; reason: string }[] | undefined): string {
  return (dropped ?? []).map((d) => `${d.column} (${d.reason})`).join(', ') || 'none';
}

/** A note listing the possible leaks the data preparation found (none when it found none). */
export function leakNotes(leaks: { message: string }[] | undefined): ReportItem[] {
  return leaks?.length
    ? [{ kind: 'notes', text: `Possible leaks:\n\n${leaks.map((l) => l.message).join('\n\n')}` }]
    : [];
}

export async function writeAutomlReport(run: RunDir, _log?: Logger): Promise<void> {
  const metricsFile = JSON.parse(readFileSync(run.file('metrics.json'), 'utf8'));
  const metric: string = metricsFile.metric ?? 'rmse';
  const leaderboard = readLeaderboard(run.file('leaderboard.arrow'), metric);
  const pred = readArrowColumns(run.file('predictions.arrow'));
  const trials = existsSync(run.file('trials.jsonl'))
    ? readFileSync(run.file('trials.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  const items: ReportItem[] = [];
  const classes: string[] | null = metricsFile.problem_type?.classes ?? null;
  const overview: ReportItem[] = [
    {
      kind: 'metrics',
      metrics: metricsFile.metrics,
      baseline: metricsFile.baseline,
      labels: { model: `final (${metricsFile.final_model})`, baseline: `best single (${metricsFile.baseline_model})` },
      caption: 'On the holdout rows, never seen by the search.',
    },
    {
      kind: 'keyvalue',
      title: 'Search',
      entries: {
        target: metricsFile.target,
        'problem type': metricsFile.problem_type
          ? `${metricsFile.problem_type.type} (${metricsFile.problem_type.reason})`
          : 'regression',
        ...(classes
          ? { 'class weight': metricsFile.class_weight }
          : { 'target transform': metricsFile.target_transform }),
        trials: `${metricsFile.trials?.total} (${metricsFile.trials?.ok} ok, ${metricsFile.trials?.killed} stopped at the budget, ${metricsFile.trials?.failed} failed)`,
        scheduler: metricsFile.scheduler,
        'time limit (s)': metricsFile.time_limit_s,
        'training rows': metricsFile.rows?.train,
        'holdout rows': metricsFile.rows?.holdout,
        'dropped columns': droppedColumnsText(metricsFile.dropped_columns),
      },
    },
    ...leakNotes(metricsFile.leaks),
  ];

  const labels = modelLabels(leaderboard);
  const top = leaderboard.slice(0, 20);
  const boardRows: ChartRow[] = top.flatMap((r, i) => [
    { model: labels[i], score: r.cv, split: 'cv' },
    { model: labels[i], score: r.holdout, split: 'holdout' },
  ]);
  const zoom = zoomedDomain(boardRows.map((r) => Number(r.score)));
  items.push({
    kind: 'chart',
    name: 'leaderboard',
    spec: barChart({
      data: boardRows,
      x: 'model',
      y: 'score',
      color: 'split',
      horizontal: true,
      yDomain: zoom,
      title: `Leaderboard (${metric})`,
      xTitle: 'model',
      yTitle: metric,
    }),
    caption: `The 20 best by cross-validation, with their holdout scores${zoom ? ' (axis zoomed to the scores)' : ''}.`,
  });
  let classTables: ReportItem[] = [];
  if (classes) {
    const parts = classificationItems(pred, classes);
    items.push(...parts.charts);
    classTables = parts.tables;
  } else {
    items.push(...holdoutCharts(pred, metricsFile.target));
  }
  const importance: { feature: string; importance: number }[] = metricsFile.feature_importance ?? [];
  const ranked = [...importance].sort((a, b) => b.importance - a.importance);
  if (ranked.length) {
    items.push({
      kind: 'chart',
      name: 'feature_importance',
      spec: barChart({
        data: ranked.slice(0, 30).map((f) => ({ feature: f.feature, importance: f.importance })),
        x: 'feature',
        y: 'importance',
        horizontal: true,
        sort: 'descending',
        title: 'Permutation importance of the final model',
        yTitle: `${metric} increase when shuffled`,
      }),
      caption:
        ranked.length > 30
          ? `The 30 most important of ${ranked.length} features; all in the Features table.`
          : undefined,
    });
  }
  const features: ReportItem[] = ranked.length
    ? [
        {
          kind: 'table',
          title: 'Permutation importance (holdout)',
          columns: ['rank', 'feature', `${metric} increase when shuffled`],
          rows: ranked.map((f, i) => [i + 1, f.feature, f.importance]),
          caption:
            "How much worse the final model scores on the holdout when the feature's values are shuffled (Breiman 2001); near zero or below: the model does not rely on it.",
          maxRows: 100,
        },
      ]
    : [
        {
          kind: 'notes',
          text: 'Permutation importance was not computed: the time limit left too little time after the search (it needs about 5 s).',
        },
      ];
  const scored = trials.filter((t) => t.status === 'ok' && t.loss !== null);
  if (scored.length) {
    const points: ChartRow[] = scored.map((t) => ({
      time_s: t.ended_s,
      score: metricOfLoss(metric, t.loss),
      learner: String(t.config.learner),
    }));
    let best = Infinity;
    const bestRows: ChartRow[] = [...scored]
      .sort((a, b) => a.ended_s - b.ended_s)
      .map((t) => {
        best = Math.min(best, t.loss);
        return { time_s: t.ended_s, score: metricOfLoss(metric, best), series: 'best so far' };
      });
    // One colour scale for the learners' points and the best-so-far line, so the line has its own colour and a legend entry.
    const learners = [...new Set(points.map((p) => String(p.learner)))];
    const colors = {
      field: 'learner',
      type: 'nominal',
      title: null,
      scale: {
        domain: [...learners, 'best so far'],
        range: [...learners.map((_, i) => PALETTE[i % PALETTE.length]), '#222222'],
      },
    };
    const scatter = scatterChart({
      data: points,
      x: 'time_s',
      y: 'score',
      color: 'learner',
      xTitle: 'seconds since start',
      yTitle: `cv ${metric}`,
    }) as unknown as { encoding: Record<string, unknown> };
    scatter.encoding.color = colors;
    const line = lineChart({ data: bestRows, x: 'time_s', y: 'score' }) as unknown as {
      encoding: Record<string, unknown>;
      mark: Record<string, unknown>;
    };
    line.encoding.color = { ...colors, field: 'series' };
    line.mark = { ...line.mark, strokeWidth: 2, interpolate: 'step-after' };
    items.push({
      kind: 'chart',
      name: 'search_progress',
      wide: true,
      spec: layerCharts(
        [
          scatter as unknown as Parameters<typeof layerCharts>[0][number],
          line as unknown as Parameters<typeof layerCharts>[0][number],
        ],
        { title: 'Search: CV score of each trial vs time, and the best so far' },
      ),
    });
  }
  const withAccuracy = Boolean(classes) && metric !== 'accuracy';
  const report: Report = {
    title: `AutoML: ${metricsFile.target}`,
    subtitle: `final model ${metricsFile.final_model}`,
    meta: runMeta(run),
    sections: [
      { title: 'Result', items: overview },
      { title: 'Charts', items },
      ...(classTables.length ? [{ title: 'Classes', items: classTables }] : []),
      { title: 'Features', items: features },
      {
        title: 'Leaderboard',
        items: [
          {
            kind: 'table',
            columns: ['rank', 'model', ...scoreColumns(metric, withAccuracy), 'fit_time_s', 'stack_level', 'params'],
            rows: leaderboard.map((r, i) => [
              r.rank,
              labels[i],
              ...scoresOf(r, withAccuracy),
              r.fit_time_s,
              r.stack_level,
              paramsText(r.params),
            ]),
            maxRows: 50,
          },
        ],
      },
    ],
  };
  await writeReport(run, report);
}
