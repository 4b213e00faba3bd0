/**
 * Writes a report into a run directory: charts/<name>.vl.json (Vega-Lite, data inlined),
 * charts/<name>.svg, then report.html (inline SVG). Every file goes through the atomic writers, and
 * report.html is written last so it never points at charts that are not there yet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { RunDir } from '../runtime/rundir.js';
import { scimlVersion } from '../runtime/version.js';
import { renderSvg } from './render.js';
import { reportHtml, type ChartItem, type Report } from './page.js';

const CHART_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export interface WrittenReport {
  html: string;
  charts: { name: string; spec: string; svg: string }[];
}

function chartsOf(report: Report): ChartItem[] {
  const charts = report.sections.flatMap((s) => s.items.filter((i): i is ChartItem => i.kind === 'chart'));
  const seen = new Set<string>();
  for (const chart of charts) {
    if (!CHART_NAME.test(chart.name))
      throw new Error(`report: chart name '${chart.name}' must be letters, digits, '-' or '_'`);
    if (seen.has(chart.name)) throw new Error(`report: two charts are named '${chart.name}'`);
    seen.add(chart.name);
  }
  return charts;
}

/** Renders every chart of the report to SVG (name -> SVG text). */
export async function renderCharts(report: Report): Promise<Map<string, string>> {
  const svgs = new Map<string, string>();
  for (const chart of chartsOf(report)) svgs.set(chart.name, await renderSvg(chart.spec));
  return svgs;
}

export async function writeReport(run: RunDir, report: Report): Promise<WrittenReport> {
  const svgs = await renderCharts(report);
  const charts = chartsOf(report).map((chart) => ({
    name: chart.name,
    spec: run.writeText(`charts/${chart.name}.vl.json`, JSON.stringify(chart.spec) + '\n'),
    svg: run.writeText(`charts/${chart.name}.svg`, svgs.get(chart.name)!),
  }));
  const footer = `Written by sciml ${scimlVersion()} on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}. Charts: charts/<name>.vl.json (Vega-Lite, data inlined) and charts/<name>.svg.`;
  const html = run.writeText('report.html', reportHtml(report, svgs, footer));
  return { html, charts };
}

/**
 * Standard facts for a report header: run id (folder name), start time, backend and seed. Taken
 * from run.json when the run has finished (so `sciml report` re-renders the same header), else from
 * the live RunDir; `extra` adds or overrides entries.
 */
export function runMeta(
  run: RunDir,
  extra: Record<string, string | number | undefined> = {},
): Record<string, string | number | undefined> {
  let recorded: { started_at?: string; backend?: string; seed?: number } = {};
  const runJson = run.file('run.json');
  if (existsSync(runJson)) {
    try {
      recorded = JSON.parse(readFileSync(runJson, 'utf8'));
    } catch {
      recorded = {};
    }
  }
  const started = recorded.started_at ?? run.startedAt.toISOString();
  return {
    run: basename(run.path),
    started: started.replace(/\.\d+Z$/, 'Z').replace('T', ' '),
    ...(recorded.backend && recorded.backend !== 'none' ? { backend: recorded.backend } : {}),
    ...(recorded.seed !== undefined ? { seed: recorded.seed } : {}),
    ...extra,
  };
}
