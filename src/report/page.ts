/**
 * The report page model and its HTML: a title, a line of run facts, and sections holding metrics
 * tables (with an optional baseline column), charts (inline SVG), notes, key/value and plain tables.
 * The page is self-contained: inline CSS, inline SVG, no scripts, no fonts or images from anywhere.
 */
import type { TopLevelSpec } from 'vega-lite';

type Cell = string | number | boolean | null | undefined;

interface MetricsItem {
  kind: 'metrics';
  metrics: Record<string, number>;
  baseline?: Record<string, number>;
  /** Column headings (default 'model' and 'baseline'), e.g. { model: 'DAE', baseline: 'Wiener filter' }. */
  labels?: { model?: string; baseline?: string };
  /** Which way is better per metric; otherwise guessed from the name (mse/error/loss lower, accuracy/r2/auc higher). */
  better?: Record<string, 'higher' | 'lower'>;
  caption?: string;
}

export interface ChartItem {
  kind: 'chart';
  /** File stem for charts/<name>.vl.json and .svg: letters, digits, '-' and '_'. */
  name: string;
  spec: TopLevelSpec;
  caption?: string;
  /** Take the full page width instead of sharing a row with the next chart. */
  wide?: boolean;
}

/** A drawing made without Vega (the pipeline DAG): trusted SVG text built by sciml with escaped labels. */
interface SvgItem {
  kind: 'svg';
  title: string;
  svg: string;
  caption?: string;
  wide?: boolean;
}

interface NotesItem {
  kind: 'notes';
  /** Plain text; blank lines separate paragraphs. Escaped, never interpreted as HTML. */
  text: string;
}

interface KeyValueItem {
  kind: 'keyvalue';
  title?: string;
  entries: Record<string, Cell> | [string, Cell][];
}

interface TableItem {
  kind: 'table';
  title?: string;
  columns: string[];
  rows: Cell[][];
  caption?: string;
  /** Rows shown at most (the rest summarised in a line); default 200. */
  maxRows?: number;
}

export type ReportItem = MetricsItem | ChartItem | SvgItem | NotesItem | KeyValueItem | TableItem;

export interface ReportSection {
  title: string;
  items: ReportItem[];
}

export interface Report {
  title: string;
  subtitle?: string;
  /** Run facts shown under the title: run id, time, backend, seed, ... */
  meta?: Record<string, Cell>;
  sections: ReportSection[];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Numbers for people: 4 significant digits, integers whole, tiny/huge in exponent form, NaN as a dash. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(4)));
}

function formatCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return formatNumber(v);
  return String(v);
}

const LOWER_IS_BETTER =
  /(^|_)(mse|rmse|msle|rmsle|mae|mdae|mape|smape|error|err|loss|logloss|log_loss|nll|brier|ece|time|seconds|spectral_error|deviance)($|_)/i;
const HIGHER_IS_BETTER =
  /(^|_)(accuracy|acc|r2|auc|roc_auc|f1|precision|recall|hit|hits|score|peak_accuracy|throughput)($|_)/i;

function betterDirection(
  metric: string,
  explicit?: Record<string, 'higher' | 'lower'>,
): 'higher' | 'lower' | undefined {
  if (explicit?.[metric]) return explicit[metric];
  if (LOWER_IS_BETTER.test(metric)) return 'lower';
  if (HIGHER_IS_BETTER.test(metric)) return 'higher';
  return undefined;
}

function metricsHtml(item: MetricsItem): string {
  const names = Object.keys(item.metrics);
  const hasBaseline = item.baseline !== undefined && names.some((n) => item.baseline![n] !== undefined);
  const head = [
    'metric',
    item.labels?.model ?? 'model',
    ...(hasBaseline ? [item.labels?.baseline ?? 'baseline', 'difference'] : []),
  ];
  const rows = names.map((name) => {
    const value = item.metrics[name];
    const base = item.baseline?.[name];
    const cells = [`<th scope="row">${escapeHtml(name)}</th>`];
    let verdict = '';
    if (hasBaseline && base !== undefined && Number.isFinite(value) && Number.isFinite(base)) {
      const dir = betterDirection(name, item.better);
      if (dir && value !== base) verdict = (dir === 'higher') === value > base ? 'better' : 'worse';
    }
    cells.push(`<td class="num ${verdict}">${escapeHtml(formatNumber(value))}</td>`);
    if (hasBaseline) {
      cells.push(`<td class="num">${base === undefined ? '' : escapeHtml(formatNumber(base))}</td>`);
      const diff = base === undefined ? '' : formatSigned(value - base);
      // The arrow shows the sign of the difference; the colour (better/worse) says whether that is good.
      const mark = base === undefined || !verdict ? '' : value > base ? ' ▲' : ' ▼';
      cells.push(`<td class="num diff ${verdict}">${escapeHtml(diff)}${mark}</td>`);
    }
    return `<tr>${cells.join('')}</tr>`;
  });
  return tableBlock(head, rows, 'metrics', item.caption);
}

function formatSigned(v: number): string {
  if (!Number.isFinite(v)) return formatNumber(v);
  return (v > 0 ? '+' : v < 0 ? '−' : '±') + formatNumber(Math.abs(v));
}

function tableBlock(head: string[], rows: string[], className: string, caption?: string, title?: string): string {
  return [
    '<figure class="table">',
    title ? `<h3>${escapeHtml(title)}</h3>` : '',
    `<div class="scroll"><table class="${className}">`,
    `<thead><tr>${head.map((h, i) => `<th scope="col"${i > 0 ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${rows.join('\n')}</tbody></table></div>`,
    caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : '',
    '</figure>',
  ].join('');
}

function keyValueHtml(item: KeyValueItem): string {
  const entries = Array.isArray(item.entries) ? item.entries : Object.entries(item.entries);
  const rows = entries.map(
    ([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(formatCell(v))}</td></tr>`,
  );
  return [
    '<figure class="table">',
    item.title ? `<h3>${escapeHtml(item.title)}</h3>` : '',
    `<div class="scroll"><table class="kv"><tbody>${rows.join('\n')}</tbody></table></div></figure>`,
  ].join('');
}

function tableHtml(item: TableItem): string {
  const max = item.maxRows ?? 200;
  const numeric = item.columns.map((_, j) =>
    item.rows.every((r) => r[j] === null || r[j] === undefined || typeof r[j] === 'number'),
  );
  const rows = item.rows
    .slice(0, max)
    .map(
      (r) =>
        `<tr>${item.columns.map((_, j) => `<td${numeric[j] ? ' class="num"' : ''}>${escapeHtml(formatCell(r[j]))}</td>`).join('')}</tr>`,
    );
  if (item.rows.length > max)
    rows.push(`<tr><td class="more" colspan="${item.columns.length}">… ${item.rows.length - max} more rows</td></tr>`);
  const head = `<thead><tr>${item.columns.map((h, j) => `<th scope="col"${numeric[j] ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
  return [
    '<figure class="table">',
    item.title ? `<h3>${escapeHtml(item.title)}</h3>` : '',
    `<div class="scroll"><table class="data">${head}<tbody>${rows.join('\n')}</tbody></table></div>`,
    item.caption ? `<figcaption>${escapeHtml(item.caption)}</figcaption>` : '',
    '</figure>',
  ].join('');
}

function notesHtml(item: NotesItem): string {
  const paragraphs = item.text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => `<p>${escapeHtml(p.trim()).replace(/\n/g, '<br>')}</p>`);
  return `<div class="notes">${paragraphs.join('')}</div>`;
}

/** Strips the XML prolog and fixed size so the SVG scales with its box (the viewBox keeps the aspect). */
function inlineSvg(svg: string, label: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '').replace(/^<svg([^>]*)>/, (_m, attrs: string) => {
    const width = /\swidth="([\d.]+)"/.exec(attrs)?.[1];
    const kept = attrs.replace(/\s(width|height)="[\d.]+"/g, '');
    return `<svg${kept} role="img" aria-label="${escapeHtml(label)}" style="max-width:${width ?? 600}px">`;
  });
}

function chartHtml(item: ChartItem, svg: string): string {
  const title = (item.spec as { title?: { text?: string } | string }).title;
  const label = typeof title === 'string' ? title : (title?.text ?? item.name);
  return `<figure class="chart${item.wide ? ' wide' : ''}" id="chart-${escapeHtml(item.name)}">${inlineSvg(svg, label)}${item.caption ? `<figcaption>${escapeHtml(item.caption)}</figcaption>` : ''}</figure>`;
}

function itemHtml(item: ReportItem, svgs: Map<string, string>): string {
  switch (item.kind) {
    case 'metrics':
      return metricsHtml(item);
    case 'keyvalue':
      return keyValueHtml(item);
    case 'table':
      return tableHtml(item);
    case 'notes':
      return notesHtml(item);
    case 'svg':
      return `<figure class="chart${item.wide ? ' wide' : ''}"><h3>${escapeHtml(item.title)}</h3>${inlineSvg(item.svg, item.title)}${item.caption ? `<figcaption>${escapeHtml(item.caption)}</figcaption>` : ''}</figure>`;
    case 'chart': {
      const svg = svgs.get(item.name);
      if (svg === undefined) throw new Error(`report: chart '${item.name}' was not rendered`);
      return chartHtml(item, svg);
    }
  }
}

/** Consecutive charts share a grid (two per row where the page is wide enough). */
function sectionHtml(section: ReportSection, svgs: Map<string, string>, index: number): string {
  const parts: string[] = [];
  let charts: string[] = [];
  const flush = () => {
    if (charts.length) parts.push(`<div class="charts">${charts.join('\n')}</div>`);
    charts = [];
  };
  for (const item of section.items) {
    if (item.kind === 'chart' || item.kind === 'svg') charts.push(itemHtml(item, svgs));
    else {
      flush();
      parts.push(itemHtml(item, svgs));
    }
  }
  flush();
  return `<section id="s${index + 1}"><h2>${escapeHtml(section.title)}</h2>\n${parts.join('\n')}</section>`;
}

const CSS = `
:root { color-scheme: light; --ink: #1d1d1f; --muted: #666; --line: #e3e3e3; --accent: #0072B2; --good: #1a7f37; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #f6f7f9; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 32px 48px; }
header { margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 2px; letter-spacing: -0.01em; }
.subtitle { color: var(--muted); margin: 0 0 10px; font-size: 15px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 8px; margin: 0; padding: 0; list-style: none; }
.meta li { background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 2px 8px; font-size: 12px; color: #333; }
.meta b { font-weight: 600; color: var(--muted); margin-right: 4px; }
nav.toc { margin: 14px 0 0; font-size: 13px; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 14px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 18px 22px 20px; margin-top: 20px; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 13px; margin: 0 0 6px; color: #333; text-transform: uppercase; letter-spacing: 0.04em; }
figure { margin: 0 0 14px; min-width: 0; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px 20px; margin-bottom: 6px; }
.chart.wide { grid-column: 1 / -1; }
.chart svg { display: block; width: 100%; height: auto; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #cfcfcf; font-weight: 600; white-space: nowrap; }
tbody th { font-weight: 500; white-space: nowrap; }
td { max-width: 480px; overflow-wrap: break-word; }
.num { text-align: right; white-space: nowrap; }
td.better { color: var(--good); font-weight: 600; }
td.worse { color: var(--bad); }
td.diff { color: var(--muted); font-weight: 400; }
td.diff.better { color: var(--good); }
td.diff.worse { color: var(--bad); }
td.more { color: var(--muted); font-style: italic; text-align: center; }
table.kv th { color: #444; }
.notes p { margin: 0 0 8px; max-width: 80ch; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
@media print { body { background: #fff; } section { border: none; padding: 0; } .charts { grid-template-columns: 1fr; } }
`;

/** The whole page. `svgs` maps chart names to rendered SVG. */
export function reportHtml(report: Report, svgs: Map<string, string>, footer?: string): string {
  const meta = Object.entries(report.meta ?? {})
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `<li><b>${escapeHtml(k)}</b>${escapeHtml(formatCell(v))}</li>`)
    .join('');
  const toc =
    report.sections.length > 2
      ? `<nav class="toc">${report.sections.map((s, i) => `<a href="#s${i + 1}">${escapeHtml(s.title)}</a>`).join('')}</nav>`
      : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(report.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(report.title)}</h1>
${report.subtitle ? `<p class="subtitle">${escapeHtml(report.subtitle)}</p>` : ''}
${meta ? `<ul class="meta">${meta}</ul>` : ''}
${toc}
</header>
${report.sections.map((s, i) => sectionHtml(s, svgs, i)).join('\n')}
${footer ? `<footer>${escapeHtml(footer)}</footer>` : ''}
</main>
</body>
</html>
`;
}
