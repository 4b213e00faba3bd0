/**
 * `sciml diff A B`: every metric of metrics.json (nested keys flattened) with A, B, the change and
 * the relative change, and the config fields that differ. `--fail-if 'metrics.peak_accuracy < -0.01'`
 * tests the change B - A (or its percentage with a trailing %) and makes the command exit 1: a CI gate.
 */
import { didYouMean } from '../config/didyoumean.js';
import { UserError } from '../runtime/errors.js';
import { markdownTable, textTable } from '../runtime/text-table.js';
import { formatNumber } from '../report/page.js';
import { formatValue } from './format.js';
import { readRun, type RunRecord } from './read.js';

interface MetricDiff {
  metric: string;
  a?: number;
  b?: number;
  change?: number;
  /** Percent change relative to |A|; undefined when A is 0 or missing. */
  change_pct?: number;
}

interface ParamDiff {
  param: string;
  a: unknown;
  b: unknown;
}

export interface RunDiff {
  a: string;
  b: string;
  metrics: MetricDiff[];
  params: ParamDiff[];
}

interface Gate {
  text: string;
  metric: string;
  op: '<' | '<=' | '>' | '>=' | '==' | '!=';
  threshold: number;
  percent: boolean;
}

export function diffRuns(a: RunRecord, b: RunRecord): RunDiff {
  const metricKeys = [...new Set([...Object.keys(a.numbers), ...Object.keys(b.numbers)])];
  const metrics = metricKeys.map((metric): MetricDiff => {
    const x = a.numbers[metric];
    const y = b.numbers[metric];
    const change = x !== undefined && y !== undefined ? y - x : undefined;
    const change_pct = change !== undefined && x !== 0 ? (100 * change) / Math.abs(x!) : undefined;
    return { metric, a: x, b: y, change, change_pct };
  });
  const paramKeys = [...new Set([...Object.keys(a.params), ...Object.keys(b.params)])];
  const params = paramKeys
    .filter((k) => JSON.stringify(a.params[k]) !== JSON.stringify(b.params[k]))
    .map((param) => ({ param, a: a.params[param], b: b.params[param] }));
  return { a: a.path, b: b.path, metrics, params };
}

const GATE = /^\s*([A-Za-z0-9_.[\]-]+)\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(%?)\s*$/;

function parseGate(text: string): Gate {
  const m = GATE.exec(text);
  if (!m)
    throw new UserError(
      `--fail-if '${text}': expected '<metric> <op> <number>[%]' with op one of < <= > >= == !=, e.g. 'metrics.peak_accuracy < -0.01' (the change B - A)`,
    );
  return { text, metric: m[1], op: m[2] as Gate['op'], threshold: Number(m[3]), percent: m[4] === '%' };
}

const HOLDS: Record<Gate['op'], (value: number, threshold: number) => boolean> = {
  '<': (v, t) => v < t,
  '<=': (v, t) => v <= t,
  '>': (v, t) => v > t,
  '>=': (v, t) => v >= t,
  '==': (v, t) => v === t,
  '!=': (v, t) => v !== t,
};

/** The gates that hold (each a message), or a UserError for a metric neither run has. */
function failedGates(diff: RunDiff, gates: Gate[]): string[] {
  const failed: string[] = [];
  for (const g of gates) {
    const d = diff.metrics.find((m) => m.metric === g.metric);
    if (!d) {
      const guess = didYouMean(
        g.metric,
        diff.metrics.map((m) => m.metric),
      );
      throw new UserError(
        `--fail-if '${g.text}': no metric '${g.metric}' in either run${guess ? ` (did you mean '${guess}'?)` : ''}`,
      );
    }
    const value = g.percent ? d.change_pct : d.change;
    if (value === undefined)
      throw new UserError(
        `--fail-if '${g.text}': ${g.metric} has no ${g.percent ? 'relative ' : ''}change (missing in one run${g.percent ? ', or 0 in A' : ''})`,
      );
    if (HOLDS[g.op](value, g.threshold))
      failed.push(
        `${g.metric} changed by ${formatNumber(value)}${g.percent ? '%' : ''} (${formatNumber(d.a!)} -> ${formatNumber(d.b!)}): ${g.op} ${g.threshold}${g.percent ? '%' : ''}`,
      );
  }
  return failed;
}

function pct(v: number | undefined): string {
  if (v === undefined) return '-';
  return `${v > 0 ? '+' : ''}${v.toFixed(Math.abs(v) >= 10 ? 1 : 2)}%`;
}

function signed(v: number | undefined): string {
  if (v === undefined) return '-';
  return `${v > 0 ? '+' : ''}${formatNumber(v)}`;
}

function formatDiff(diff: RunDiff, names: { a: string; b: string }, format: 'text' | 'md'): string {
  const table = format === 'md' ? markdownTable : textTable;
  const metricRows = [
    ['Metric', names.a, names.b, 'Change', 'Change %'],
    ...diff.metrics.map((m) => [
      m.metric,
      m.a === undefined ? '-' : formatNumber(m.a),
      m.b === undefined ? '-' : formatNumber(m.b),
      signed(m.change),
      pct(m.change_pct),
    ]),
  ];
  const align: ('left' | 'right')[] = ['left', 'right', 'right', 'right', 'right'];
  let out = format === 'md' ? `### Metrics: ${names.a} vs ${names.b}\n\n` : '';
  out += diff.metrics.length ? table(metricRows, align) : 'no metrics in either run\n';
  out += format === 'md' ? `\n### Params\n\n` : '\n';
  if (diff.params.length)
    out += table([
      ['Param', names.a, names.b],
      ...diff.params.map((p) => [p.param, formatValue(p.a), formatValue(p.b)]),
    ]);
  else out += 'no config fields differ\n';
  return out;
}

export function diffCommand(
  a: string,
  b: string,
  options: { format: 'text' | 'md' | 'json'; failIf: string[] },
): { text: string; failed: string[] } {
  const gates = options.failIf.map(parseGate);
  const diff = diffRuns(readRun(a), readRun(b));
  const failed = failedGates(diff, gates);
  const text =
    options.format === 'json'
      ? JSON.stringify({ ...diff, failed_gates: failed }) + '\n'
      : formatDiff(diff, { a, b }, options.format);
  return { text, failed };
}
