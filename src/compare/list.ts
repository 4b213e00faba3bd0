/**
 * `sciml runs`: every run directory as a table: name, task, started, duration, status, headline
 * metrics, tags, and the params that differ from the first listed run of the same task.
 */
import { UserError } from '../runtime/errors.js';
import { markdownTable, textTable } from '../runtime/text-table.js';
import { formatNumber } from '../report/page.js';
import { formatValue } from './format.js';
import { findRuns, type RunRecord } from './read.js';

const RUN_STATUSES = ['completed', 'failed', 'interrupted', 'running'] as const;

/** Which runs: shared by `sciml runs`, `runs gc`. */
export interface RunFilter {
  task?: string;
  status?: string;
  /** Every entry must match: `key=value`, or `key` alone for "has this tag". */
  tags?: string[];
  /** The N most recently started runs (after the other filters). */
  limit?: number;
}

export interface RunsRequest extends RunFilter {
  dir: string;
  /** `started` (default), `name`, `duration`, or a metric name; `-` in front sorts descending. */
  sort?: string;
  format: 'text' | 'md' | 'json';
}

const MAX_METRICS = 4;
const MAX_CHANGED = 4;
/** Fields that differ between any two runs and say nothing about the model. */
const IGNORED = new Set(['task']);

function changedParams(run: RunRecord, reference: RunRecord | undefined): string[] {
  if (!reference || reference === run) return [];
  const keys = new Set([...Object.keys(reference.params), ...Object.keys(run.params)]);
  const out: string[] = [];
  for (const key of keys) {
    if (IGNORED.has(key)) continue;
    if (JSON.stringify(run.params[key]) !== JSON.stringify(reference.params[key]))
      out.push(`${key}=${formatValue(run.params[key])}`);
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
    throw new UserError(
      `--sort ${sort}: expected started, name, duration, task or a metric of these runs (${[...new Set(runs.flatMap((r) => Object.keys(r.headline)))].join(', ') || 'none'})`,
    );
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

function tagMatches(run: RunRecord, wanted: string): boolean {
  const at = wanted.indexOf('=');
  return at < 0 ? wanted in run.tags : run.tags[wanted.slice(0, at)] === wanted.slice(at + 1);
}

/** Most recently started first (runs without a start time last, then by name). */
export function newestFirst(runs: RunRecord[]): RunRecord[] {
  return [...runs].sort((a, b) => (b.started ?? '').localeCompare(a.started ?? '') || a.name.localeCompare(b.name));
}

export function filterRuns(runs: RunRecord[], f: RunFilter): RunRecord[] {
  if (f.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(f.status))
    throw new UserError(`--status: expected ${RUN_STATUSES.join(', ')}, got ${JSON.stringify(f.status)}`);
  let out = runs.filter(
    (r) =>
      (f.task === undefined || r.task === f.task) &&
      (f.status === undefined || r.status === f.status) &&
      (f.tags ?? []).every((t) => tagMatches(r, t)),
  );
  if (f.limit !== undefined) {
    const kept = new Set(newestFirst(out).slice(0, f.limit));
    out = out.filter((r) => kept.has(r));
  }
  return out;
}

/** Each run is compared with the first listed run of its own task: params of other tasks say nothing. */
function referencesByTask(runs: RunRecord[]): Map<string, RunRecord> {
  const refs = new Map<string, RunRecord>();
  for (const r of runs) if (!refs.has(r.task)) refs.set(r.task, r);
  return refs;
}

const tagText = (r: RunRecord) =>
  Object.entries(r.tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

export function listRuns(req: RunsRequest): string {
  let runs = filterRuns(findRuns(req.dir), req);
  runs = sortRuns(runs, req.sort ?? 'started');
  const refs = referencesByTask(runs);
  if (req.format === 'json') {
    return (
      JSON.stringify(
        runs.map((r) => {
          const ref = refs.get(r.task)!;
          const changed = Object.fromEntries(
            changedParams(r, ref).map((p) => [p.slice(0, p.indexOf('=')), r.params[p.slice(0, p.indexOf('='))]]),
          );
          return {
            name: r.name,
            path: r.path,
            task: r.task,
            started: r.started ?? null,
            duration_s: r.duration_s ?? null,
            status: r.status,
            tags: r.tags,
            metrics: r.headline,
            compared_with: ref.name,
            changed_params: changed,
          };
        }),
      ) + '\n'
    );
  }
  if (runs.length === 0) {
    const what = [
      req.task && `task ${req.task}`,
      req.status && `status ${req.status}`,
      ...(req.tags ?? []).map((t) => `tag ${t}`),
    ]
      .filter(Boolean)
      .join(', ');
    return req.format === 'md' ? `No runs in ${req.dir}.\n` : `no runs in ${req.dir}${what ? ` for ${what}` : ''}\n`;
  }
  const oneTask = refs.size === 1;
  // One task: a column per headline metric. Several: each row shows its own task's headline metrics.
  const metricNames: string[] = [];
  if (oneTask)
    for (const r of runs)
      for (const k of Object.keys(r.headline).slice(0, MAX_METRICS))
        if (!metricNames.includes(k) && metricNames.length < 2 * MAX_METRICS) metricNames.push(k);
  const metricCells = (r: RunRecord): string[] =>
    oneTask
      ? metricNames.map((m) => (r.headline[m] !== undefined ? formatNumber(r.headline[m]) : '-'))
      : [
          Object.entries(r.headline)
            .slice(0, MAX_METRICS)
            .map(([k, v]) => `${k}=${formatNumber(v)}`)
            .join(' ') || '-',
        ];
  const withTags = runs.some((r) => Object.keys(r.tags).length > 0);
  const head = [
    'run',
    'task',
    'started',
    'duration',
    'status',
    ...(oneTask ? metricNames : ['metrics']),
    ...(withTags ? ['tags'] : []),
    oneTask ? `params vs ${runs[0].name}` : 'params vs first run of its task',
  ];
  const rows = runs.map((r) => {
    const changed = changedParams(r, refs.get(r.task));
    return [
      r.name,
      r.task,
      r.started ? r.started.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-',
      r.duration_s !== undefined ? `${r.duration_s.toFixed(1)}s` : '-',
      r.status,
      ...metricCells(r),
      ...(withTags ? [tagText(r) || '-'] : []),
      changed.length > MAX_CHANGED
        ? `${changed.slice(0, MAX_CHANGED).join(' ')} (+${changed.length - MAX_CHANGED})`
        : changed.join(' '),
    ];
  });
  const align = head.map((_, i) =>
    i === 3 || (oneTask && i >= 5 && i < 5 + metricNames.length) ? 'right' : 'left',
  ) as ('left' | 'right')[];
  return req.format === 'md' ? markdownTable([head, ...rows], align) : textTable([head, ...rows], align);
}
