/** `sciml runs`: every run directory as a table: name, task, started, duration, status, headline metrics, params that differ from the first listed run. */
import { UserError } from '../runtime/errors.js';
import { markdownTable, textTable } from '../runtime/text-table.js';
import { formatNumber, formatValue } from './format.js';
import { findRuns, type RunRecord } from './read.js';

export interface RunsRequest {
  dir: string;
  task?: string;
  /** `started` (default), `name`, `duration`, or a metric name; `-` in front sorts descending. */
  sort?: string;
  format: 'text' | 'md' | 'json';
}

const MAX_METRICS = 4;
const MAX_CHANGED = 4;
/** Fields that differ between any two runs and say nothing about the model. */
const IGNORED = new Set(['task']);

export function changedParams(run: RunRecord, reference: RunRecord | undefined): string[] {
  if (!reference || reference === run) return [];
  const keys = new Set([...Object.keys(reference.params), ...Object.keys(run.params)]);
  const out: string[] = [];
  for (const key of keys) {
    if (IGNORED.has(key)) continue;
    if (JSON.stringify(run.params[key]) !== JSON.stringify(reference.params[key])) out.push(`${key}=${formatValue(run.params[key])}`);
  }
  return out;
}

function sortRuns(runs: RunRecord[], sort: string): RunRecord[] {
  const desc = sort.startsWith('-');
  const key = desc ? sort.slice(1) : sort;
  const value = (r: RunRecord): string | number | undefined => {
    if (key === 'started') return r.started ?? '';
    if (key === 'name') return r.name;
    if (key === 'duration') return r.duration_s;
    if (key === 'task') return r.task;
    return r.headline[key] ?? r.numbers[key];
  };
  if (!['started', 'name', 'duration', 'task'].includes(key) && !runs.some((r) => value(r) !== undefined)) {
    throw new UserError(`--sort ${sort}: expected started, name, duration, task or a metric of these runs (${[...new Set(runs.flatMap((r) => Object.keys(r.headline)))].join(', ') || 'none'})`);
  }
  return [...runs].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === undefined && y === undefined) return 0;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    const c = x < y ? -1 : x > y ? 1 : 0;
    return desc ? -c : c;
  });
}

export function listRuns(req: RunsRequest): string {
  let runs = findRuns(req.dir);
  if (req.task) runs = runs.filter((r) => r.task === req.task);
  runs = sortRuns(runs, req.sort ?? 'started');
  const reference = runs[0];
  if (req.format === 'json') {
    return JSON.stringify(runs.map((r) => ({ name: r.name, path: r.path, task: r.task, started: r.started ?? null, duration_s: r.duration_s ?? null, status: r.status, metrics: r.headline, changed_params: Object.fromEntries(changedParams(r, reference).map((p) => [p.slice(0, p.indexOf('=')), r.params[p.slice(0, p.indexOf('='))]])) }))) + '\n';
  }
  if (runs.length === 0) return req.format === 'md' ? `No runs in ${req.dir}.\n` : `no runs in ${req.dir}${req.task ? ` for task ${req.task}` : ''}\n`;
  const metricNames: string[] = [];
  for (const r of runs) for (const k of Object.keys(r.headline).slice(0, MAX_METRICS)) if (!metricNames.includes(k) && metricNames.length < 2 * MAX_METRICS) metricNames.push(k);
  const head = ['run', 'task', 'started', 'duration', 'status', ...metricNames, `params vs ${reference.name}`];
  const rows = runs.map((r) => {
    const changed = changedParams(r, reference);
    return [
      r.name,
      r.task,
      r.started ? r.started.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-',
      r.duration_s !== undefined ? `${r.duration_s.toFixed(1)}s` : '-',
      r.status,
      ...metricNames.map((m) => (r.headline[m] !== undefined ? formatNumber(r.headline[m]) : '-')),
      changed.length > MAX_CHANGED ? `${changed.slice(0, MAX_CHANGED).join(' ')} (+${changed.length - MAX_CHANGED})` : changed.join(' '),
    ];
  });
  const align = head.map((_, i) => (i === 3 || (i >= 5 && i < 5 + metricNames.length) ? 'right' : 'left')) as ('left' | 'right')[];
  return req.format === 'md' ? markdownTable([head, ...rows], align) : textTable([head, ...rows], align);
}
