/**
 * pipeline-report.html beside the lock: the DAG with each stage's state (an SVG drawn by dag-svg.ts), a Vega-Lite timeline of
 * stage start and end (the parallelism shows as overlapping bars), and the metrics of every stage
 * that declared metrics files, side by side.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../runtime/atomic.js';
import { scimlVersion } from '../runtime/version.js';
import { renderCharts, reportHtml, THEME, PALETTE, type Report, type ReportSection } from '../report/index.js';
import type { Dag } from './graph.js';
import { dagSvg } from './dag-svg.js';
import { flatten } from '../runtime/flatten.js';
import type { StageReport } from './run.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

const STATE_COLORS: Record<string, string> = {
  ran: PALETTE[2],
  restored: PALETTE[5],
  'up-to-date': '#9a9a9a',
  failed: PALETTE[3],
  skipped: PALETTE[1],
  'not-run': '#cccccc',
};

function colorScale(states: string[]) {
  const domain = Object.keys(STATE_COLORS).filter((s) => states.includes(s));
  return { domain, range: domain.map((s) => STATE_COLORS[s]) };
}

function timelineChart(reports: StageReport[]): TopLevelSpec | undefined {
  const timed = reports.filter((r) => r.startedMs !== undefined && r.endedMs !== undefined);
  if (timed.length === 0) return undefined;
  const t0 = Math.min(...timed.map((r) => r.startedMs!));
  const rows = timed.map((r) => ({
    stage: r.name,
    start_s: (r.startedMs! - t0) / 1000,
    end_s: Math.max((r.endedMs! - t0) / 1000, (r.startedMs! - t0) / 1000 + 0.01),
    state: r.state,
  }));
  return {
    $schema: SCHEMA,
    title: { text: 'Timeline', subtitle: 'each stage from start to end; overlapping bars ran in parallel' },
    width: 560,
    height: Math.max(80, rows.length * 22),
    config: THEME,
    data: { values: rows },
    mark: { type: 'bar', cornerRadius: 2 },
    encoding: {
      y: { field: 'stage', type: 'nominal', sort: rows.map((r) => r.stage), title: null },
      x: { field: 'start_s', type: 'quantitative', title: 'seconds since the first stage started' },
      x2: { field: 'end_s' },
      color: { field: 'state', type: 'nominal', title: 'state', scale: colorScale(rows.map((r) => r.state)) },
      tooltip: [{ field: 'stage' }, { field: 'start_s', format: '.2f' }, { field: 'end_s', format: '.2f' }],
    },
  } as unknown as TopLevelSpec;
}

/** Numbers of a metrics.json: its `metrics` block (and `baseline` as baseline.*) when present, else every number, flattened. */
function metricNumbers(file: string): Record<string, number> {
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  const flat = flatten((raw ?? {}) as Record<string, unknown>);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(flat)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

function metricsTable(dag: Dag): { columns: string[]; rows: (string | number | null)[][] } | undefined {
  const withMetrics = dag.order.filter((s) => s.metrics.length > 0);
  if (!withMetrics.length) return undefined;
  const values = withMetrics.map(
    (s) => Object.assign({}, ...s.metrics.map((m) => metricNumbers(m.abs))) as Record<string, number>,
  );
  // sciml's metrics.json: the model's `metrics` and its `baseline`; any other file: every number.
  const sciml = values.some((v) => Object.keys(v).some((x) => x.startsWith('metrics.')));
  const all = [...new Set(values.flatMap((v) => Object.keys(v)))];
  const keys = sciml
    ? [...all.filter((k) => k.startsWith('metrics.')), ...all.filter((k) => k.startsWith('baseline.'))]
    : all;
  if (!keys.length) return undefined;
  return {
    columns: ['metric', ...withMetrics.map((s) => s.name)],
    rows: keys.map((k) => [k.replace(/^metrics\./, ''), ...values.map((v) => v[k] ?? null)]),
  };
}

export async function writePipelineReport(dag: Dag, reports: StageReport[]): Promise<string> {
  const ran = reports.filter((r) => r.state === 'ran').length;
  const sections: ReportSection[] = [];
  const timeline = timelineChart(reports);
  sections.push({
    title: 'Stages',
    items: [
      {
        kind: 'svg',
        title: 'Stages and their dependencies',
        svg: dagSvg(dag, new Map(reports.map((r) => [r.name, r.state])), STATE_COLORS),
        caption: 'an arrow runs from a stage to the stages that use its outs',
        wide: true,
      },
      ...(timeline ? [{ kind: 'chart' as const, name: 'timeline', spec: timeline, wide: true }] : []),
      {
        kind: 'table',
        columns: ['stage', 'state', 'seconds', 'why'],
        rows: reports.map((r) => [
          r.name,
          r.state,
          r.startedMs !== undefined && r.endedMs !== undefined
            ? Number(((r.endedMs - r.startedMs) / 1000).toFixed(2))
            : null,
          [...r.reasons, ...(r.error ? [r.error] : [])].join('; '),
        ]),
      },
    ],
  });
  const metrics = metricsTable(dag);
  if (metrics)
    sections.push({
      title: 'Metrics',
      items: [
        {
          kind: 'table',
          columns: metrics.columns,
          rows: metrics.rows,
          caption: 'from each stage’s metrics files (metrics.json blocks flattened)',
        },
      ],
    });
  const report: Report = {
    title: 'Pipeline',
    subtitle: dag.pipeline.file,
    meta: {
      stages: reports.length,
      ran,
      failed: reports.filter((r) => r.state === 'failed').length,
      written: new Date()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z')
        .replace('T', ' '),
    },
    sections,
  };
  const svgs = await renderCharts(report);
  writeFileAtomic(
    dag.pipeline.reportFile,
    reportHtml(report, svgs, `Written by sciml ${scimlVersion()} (sciml pipeline run).`),
  );
  return dag.pipeline.reportFile;
}
