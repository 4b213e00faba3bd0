/**
 * report.html of a tune run: per segment the leaderboard, every trial's learning curve with the
 * rung cut points, parallel coordinates of the parameters against the metric, and a marginal plot
 * per parameter; for the run, best-so-far against time per segment (and any reference curve, such
 * as random search's from a benchmark).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunDir } from '../runtime/rundir.js';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  THEME,
  lineChart,
  runMeta,
  scatterChart,
  writeReport,
  type ChartRow,
  type Report,
  type ReportItem,
} from '../report/index.js';
import type { TuneSetup } from './config.js';
import type { SegmentState } from './state.js';
import { formatValue, type LeaderRow } from './outputs.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface BestSoFar {
  name: string;
  points: { t: number; best: number }[];
}

/**
 * The leaderboard's best against time: after each report, the best of every configuration's
 * latest metric (what the leaderboard ranks), so the curve ends at the winner's value rather than at
 * some configuration's passing minimum. A point at each change.
 */
export function bestSoFar(
  reports: { t: number; metric: number; config?: number }[],
  mode: 'min' | 'max',
): { t: number; best: number }[] {
  const out: { t: number; best: number }[] = [];
  const latest = new Map<number, number>();
  let shown: number | undefined;
  [...reports]
    .sort((a, b) => a.t - b.t)
    .forEach((r, i) => {
      latest.set(r.config ?? -1 - i, r.metric);
      const values = [...latest.values()];
      const best = mode === 'max' ? Math.max(...values) : Math.min(...values);
      if (best !== shown) out.push({ t: r.t, best });
      shown = best;
    });
  return out;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}

function learningCurves(setup: TuneSetup, seg: SegmentState): TopLevelSpec {
  const rows: ChartRow[] = [];
  for (const cs of [...seg.configs.values()].sort((a, b) => a.index - b.index)) {
    for (const h of cs.history)
      rows.push({ trial: `t${cs.index}`, epoch: h.epoch, value: h.metrics[setup.metric] ?? null });
  }
  const curves = lineChart({
    data: rows,
    x: 'epoch',
    y: 'value',
    color: 'trial',
    xTitle: setup.budgetField,
    yTitle: setup.metric,
    title: `Learning curves (${seg.segment.name})`,
    subtitle: 'dashed: rung cut points',
  });
  const inner = curves as unknown as Record<string, unknown>;
  // Rungs no trial reached would stretch the axis past the last epoch trained.
  const reached = Math.max(0, ...rows.map((r) => Number(r.epoch)));
  const rules = {
    data: { values: [...new Set(seg.rungEpochs)].filter((e) => e <= reached).map((e) => ({ epoch: e })) },
    mark: { type: 'rule', color: '#999', strokeDash: [4, 4] },
    encoding: { x: { field: 'epoch', type: 'quantitative' } },
  };
  const curveLayer = { ...inner };
  for (const k of ['$schema', 'config', 'width', 'height', 'title']) delete curveLayer[k];
  if (inner.encoding)
    (curveLayer.encoding as Record<string, unknown>).color = { field: 'trial', type: 'nominal', legend: null };
  return {
    $schema: SCHEMA,
    title: inner.title,
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    config: THEME,
    layer: [curveLayer, rules],
  } as unknown as TopLevelSpec;
}

/** Parallel coordinates: each parameter (and the metric) scaled to [0, 1], one line per trial coloured by the metric. */
function parallelCoordinates(setup: TuneSetup, board: LeaderRow[], segment: string): TopLevelSpec {
  const axes = [...setup.parameters.map((p) => p.path), setup.metric];
  const rows = board.filter((r) => r.metric !== null);
  const numericOf = (p: string, v: unknown): number => {
    const param = setup.parameters.find((q) => q.path === p);
    if (param?.domain.type === 'loguniform') return Math.log10(Number(v));
    if (typeof v === 'number') return v;
    const choices = param?.values ?? (param?.domain.type === 'choice' ? param.domain.values : []);
    const i = choices.findIndex((c) => JSON.stringify(c) === JSON.stringify(v));
    return i;
  };
  const long: ChartRow[] = [];
  const ranges = axes.map((a) => {
    const vs = rows.map((r) => (a === setup.metric ? (r.metric as number) : numericOf(a, r.values[a])));
    return [Math.min(...vs), Math.max(...vs)];
  });
  for (const r of rows) {
    axes.forEach((a, k) => {
      const v = a === setup.metric ? (r.metric as number) : numericOf(a, r.values[a]);
      const [lo, hi] = ranges[k];
      long.push({
        trial: r.trial,
        axis: a,
        scaled: hi > lo ? (v - lo) / (hi - lo) : 0.5,
        shown: a === setup.metric ? formatValue(r.metric) : formatValue(r.values[a]),
        metric: r.metric,
      });
    });
  }
  // Each axis's own scale: its lowest and highest value written at its ends (the real values, not log10).
  const ticks: ChartRow[] = axes.flatMap((a) => {
    const on = long.filter((l) => l.axis === a).sort((x, y) => Number(x.scaled) - Number(y.scaled));
    return on.length
      ? [
          { axis: a, scaled: 0, label: on[0].shown },
          { axis: a, scaled: 1, label: on[on.length - 1].shown },
        ]
      : [];
  });
  const x = {
    field: 'axis',
    type: 'nominal',
    sort: axes,
    title: null,
    axis: { labelAngle: 0, labelLimit: 0, labelFontSize: 11, orient: 'bottom', labelPadding: 16 },
  };
  const y = { field: 'scaled', type: 'quantitative', title: null, axis: null, scale: { domain: [0, 1] } };
  return {
    $schema: SCHEMA,
    title: {
      text: `Parallel coordinates (${segment})`,
      subtitle: 'each axis from its lowest to its highest value (log scale for loguniform); colour: the metric',
    },
    width: Math.max(CHART_WIDTH, 150 * axes.length),
    height: CHART_HEIGHT,
    config: THEME,
    layer: [
      {
        data: { values: axes.map((a) => ({ axis: a })) },
        mark: { type: 'rule', color: '#bbb' },
        encoding: { x, y: { datum: 0, type: 'quantitative', scale: { domain: [0, 1] }, axis: null }, y2: { datum: 1 } },
      },
      {
        data: { values: long },
        mark: { type: 'line', opacity: 0.6, strokeWidth: 1.2 },
        encoding: {
          x,
          y,
          detail: { field: 'trial', type: 'nominal' },
          color: {
            field: 'metric',
            type: 'quantitative',
            title: setup.metric,
            scale: { scheme: 'viridis', reverse: setup.mode === 'min' },
          },
          tooltip: [{ field: 'trial' }, { field: 'shown' }],
        },
      },
      {
        data: { values: ticks },
        mark: { type: 'text', fontSize: 10, color: '#333', dx: 4, align: 'left', baseline: 'middle' },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  } as unknown as TopLevelSpec;
}

function marginal(setup: TuneSetup, board: LeaderRow[], param: string, segment: string, name: string): ReportItem {
  const p = setup.parameters.find((q) => q.path === param)!;
  const rows: ChartRow[] = board
    .filter((r) => r.metric !== null)
    .map((r) => ({
      value: typeof r.values[param] === 'number' ? (r.values[param] as number) : formatValue(r.values[param]),
      metric: r.metric,
      epochs: r.epochs,
    }));
  if (typeof rows[0]?.value === 'string' || p.domain.type === 'choice') {
    // Choices keep their own order; numbers ascending (not 128, 16, 32, 64 as strings sort).
    const declared = (p.values ?? (p.domain.type === 'choice' ? p.domain.values : [])).map((v) => formatValue(v));
    const seen = [...new Set(rows.map((r) => String(r.value)))];
    const order = seen.every((v) => Number.isFinite(Number(v)))
      ? seen.sort((a, b) => Number(a) - Number(b))
      : [...declared.filter((v) => seen.includes(v)), ...seen.filter((v) => !declared.includes(v))];
    const spec = {
      $schema: SCHEMA,
      title: { text: `${param} (${segment})` },
      width: CHART_WIDTH / 2,
      height: CHART_HEIGHT,
      config: THEME,
      data: { values: rows.map((r) => ({ ...r, value: String(r.value) })) },
      mark: { type: 'point', filled: true, opacity: 0.7 },
      encoding: {
        x: { field: 'value', type: 'ordinal', sort: order, title: param, axis: { labelAngle: 0 } },
        y: { field: 'metric', type: 'quantitative', title: setup.metric, scale: { zero: false } },
        size: { field: 'epochs', type: 'quantitative' },
      },
    } as unknown as TopLevelSpec;
    return { kind: 'chart', name, spec };
  }
  return {
    kind: 'chart',
    name,
    spec: scatterChart({
      data: rows,
      x: 'value',
      y: 'metric',
      size: 'epochs',
      xTitle: param,
      yTitle: setup.metric,
      title: `${param} (${segment})`,
      xScale: p.domain.type === 'loguniform' ? 'log' : undefined,
      width: CHART_WIDTH / 2,
    }),
  };
}

function bestSoFarChart(setup: TuneSetup, curves: BestSoFar[]): TopLevelSpec {
  const rows: ChartRow[] = curves.flatMap((c) => {
    const pts = c.points.flatMap((p, i) => (i === 0 ? [p] : [{ t: p.t, best: c.points[i - 1].best }, p]));
    return pts.map((p) => ({ series: c.name, t: p.t, best: p.best }));
  });
  return lineChart({
    data: rows,
    x: 't',
    y: 'best',
    color: 'series',
    xTitle: 'elapsed (s)',
    yTitle: `leader's ${setup.metric}`,
    title: 'The leader against time',
    subtitle: "after each report, the best configuration's metric at its latest epoch (as the leaderboard ranks them)",
    points: false,
  });
}

export async function writeTuneReport(
  run: RunDir,
  setup: TuneSetup,
  segments: SegmentState[],
  boards: LeaderRow[][],
  curves: BestSoFar[],
  facts: Record<string, string | number>,
): Promise<void> {
  const sections: Report['sections'] = [];
  sections.push({
    title: 'Search',
    items: [
      {
        kind: 'keyvalue',
        entries: {
          task: setup.task.name,
          base: setup.baseFile,
          metric: `${setup.metric} (${setup.mode})`,
          scheduler: setup.tune.scheduler,
          sampler: setup.tune.sampler,
          budget: `${setup.budgetField} ${setup.tune.budget.min}..${setup.tune.budget.max}`,
          ...facts,
        },
      },
      ...(curves.some((c) => c.points.length)
        ? [{ kind: 'chart', name: 'best-so-far', spec: bestSoFarChart(setup, curves), wide: true } as ReportItem]
        : []),
    ],
  });
  const cv = setup.tune.rerank.top > 0;
  segments.forEach((seg, i) => {
    const board = boards[i];
    const name = safeName(seg.segment.name);
    const items: ReportItem[] = [
      {
        kind: 'table',
        title: `Leaderboard (${board.length} configurations${cv ? `; the best ${setup.tune.rerank.top} by ${setup.metric} re-ranked by ${setup.tune.rerank.folds}-fold cross-validation` : ''})`,
        // The result columns before the parameters, so a narrow page still shows them; long errors cut.
        columns: [
          'rank',
          'trial',
          setup.metric,
          `best ${setup.metric}`,
          ...(cv ? [`cv ${setup.metric}`] : []),
          'epochs',
          'status',
          ...setup.parameters.map((p) => p.path),
        ],
        rows: board.map((r, k) => [
          k + 1,
          r.trial,
          r.metric === null ? '-' : formatValue(r.metric),
          r.best_metric === null ? '-' : formatValue(r.best_metric),
          ...(cv ? [r.cv_metric === null ? '-' : formatValue(r.cv_metric)] : []),
          r.epochs,
          r.error ? `${r.status}: ${r.error.slice(0, 60)}${r.error.length > 60 ? '…' : ''}` : r.status,
          ...setup.parameters.map((p) => formatValue(r.values[p.path])),
        ]),
        maxRows: 50,
      },
    ];
    if (board.some((r) => r.metric !== null)) {
      items.push({ kind: 'chart', name: `curves-${name}`, spec: learningCurves(setup, seg) });
      items.push({
        kind: 'chart',
        name: `parallel-${name}`,
        spec: parallelCoordinates(setup, board, seg.segment.name),
        wide: true,
      });
      setup.parameters.forEach((p, k) =>
        items.push(marginal(setup, board, p.path, seg.segment.name, `marginal-${name}-${k}`)),
      );
    }
    sections.push({ title: `Segment ${seg.segment.name}`, items });
  });
  await writeReport(run, {
    title: `Tune: ${setup.task.name}`,
    subtitle: `${setup.metric} (${setup.mode}) over ${setup.parameters.length} parameters`,
    meta: runMeta(run),
    sections,
  });
}
