/**
 * The dashboard's index of run directories under `--dir`: one summary per run (nested ones too:
 * tune trials, pipeline outputs), refreshed by modification times. A refresh stats each folder and
 * each run's run.json / metrics.json; only what changed is read again, so listing a thousand runs
 * costs a few thousand stat calls, not a thousand JSON parses.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { numbersOf } from '../compare/read.js';

export interface RunSummary {
  /** Path relative to `--dir`, with '/' separators: the run's id in the API. */
  path: string;
  task: string;
  /** train, evaluate, automl, tune, trial, ... (the command that made it), or 'run'. */
  kind: string;
  status: string;
  started?: string;
  ended?: string;
  duration_s?: number;
  /** The task's headline metrics (metrics.json `metrics`, flattened). */
  metrics: Record<string, number>;
  /** `key=value` (or bare) tags from run.json. */
  tags: string[];
  /** The enclosing run (a tune for its trials). */
  parent?: string;
  /** Latest modification time seen (ms), for "updated" and live polling. */
  updated: number;
}

interface FolderEntry {
  mtimeMs: number;
  folders: string[];
  files: Set<string>;
}

interface CachedSummary {
  stamp: string;
  summary: RunSummary;
}

/** Folders inside a run directory that never hold runs. */
const NOT_RUNS = new Set(['model', 'charts', 'checkpoint', 'node_modules']);
const MAX_DEPTH = 6;
const KNOWN_KINDS = new Set(['train', 'evaluate', 'automl', 'tune', 'pipeline', 'predict']);

function readJson(file: string): any {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** A run directory: what `sciml runs` counts, plus a trial or tune still running its first step. */
function looksLikeRun(files: Set<string>): boolean {
  return (
    files.has('run.json') ||
    (files.has('config.yaml') && (files.has('metrics.json') || files.has('history.json'))) ||
    files.has('tune.yaml')
  );
}

function tagsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v));
  if (value && typeof value === 'object')
    return Object.entries(value).map(([k, v]) => (v === true || v === '' || v === null ? k : `${k}=${v}`));
  if (typeof value === 'string' && value)
    return value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  return [];
}

function taskFromConfig(dir: string): string | undefined {
  try {
    return /^task:\s*['"]?([A-Za-z0-9_-]+)/m.exec(readFileSync(join(dir, 'config.yaml'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function readSummary(
  dir: string,
  path: string,
  files: Set<string>,
  parent: RunSummary | undefined,
  updated: number,
): RunSummary {
  const info = files.has('run.json') ? (readJson(join(dir, 'run.json')) ?? {}) : {};
  const metrics = files.has('metrics.json') ? readJson(join(dir, 'metrics.json')) : undefined;
  const isTune = files.has('tune.yaml');
  const task = isTune
    ? 'tune'
    : String(metrics?.task ?? (files.has('config.yaml') ? taskFromConfig(dir) : undefined) ?? info.task ?? 'unknown');
  const command = Array.isArray(info.command) ? String(info.command[1] ?? '') : '';
  const kind = isTune
    ? 'tune'
    : parent?.kind === 'tune'
      ? 'trial'
      : typeof info.kind === 'string'
        ? info.kind
        : KNOWN_KINDS.has(command)
          ? command
          : 'run';
  // A tune trial has no run.json: its metrics.json carries the trial's state (paused, cut, completed).
  const status = String(
    info.status ?? (typeof metrics?.status === 'string' ? metrics.status : metrics ? 'completed' : 'running'),
  );
  return {
    path,
    task,
    kind,
    status,
    started: typeof info.started_at === 'string' ? info.started_at : undefined,
    ended: typeof info.ended_at === 'string' && status !== 'running' ? info.ended_at : undefined,
    duration_s: typeof info.duration_s === 'number' && status !== 'running' ? info.duration_s : undefined,
    metrics: numbersOf(metrics?.metrics),
    tags: tagsOf(info.tags),
    parent: parent?.path,
    updated,
  };
}

export class RunIndex {
  private readonly folders = new Map<string, FolderEntry>();
  private readonly runs = new Map<string, CachedSummary>();
  private lastRefresh = 0;
  /** Grows whenever a summary is added, changed or removed: the listing's ETag. */
  version = 0;
  /** Lock files (`*.lock`) seen during the walk, relative to the root: pipelines. */
  readonly locks = new Set<string>();

  constructor(
    readonly root: string,
    private readonly minIntervalMs = 300,
  ) {}

  /** Re-walks the folder (at most once per `minIntervalMs`) and returns every run, sorted by path. */
  list(): RunSummary[] {
    this.refresh();
    return [...this.runs.values()]
      .map((c) => c.summary)
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  get(path: string): RunSummary | undefined {
    this.refresh();
    // A run that appeared since the last walk (a link from a fresher listing): walk again now.
    if (!this.runs.has(path)) this.refresh(true);
    return this.runs.get(path)?.summary;
  }

  refresh(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastRefresh < this.minIntervalMs) return;
    this.lastRefresh = now;
    const seen = new Set<string>();
    const locks = new Set<string>();
    this.walk(this.root, '', 0, undefined, seen, locks);
    for (const path of this.runs.keys()) {
      if (!seen.has(path)) {
        this.runs.delete(path);
        this.version++;
      }
    }
    for (const path of this.folders.keys()) if (!seen.has(path)) this.folders.delete(path);
    this.locks.clear();
    for (const l of locks) this.locks.add(l);
  }

  private folder(abs: string, rel: string): FolderEntry | undefined {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(abs).mtimeMs;
    } catch {
      return undefined;
    }
    const cached = this.folders.get(rel);
    if (cached && cached.mtimeMs === mtimeMs) return cached;
    const folders: string[] = [];
    const files = new Set<string>();
    try {
      for (const entry of readdirSync(abs, { withFileTypes: true })) {
        if (entry.name.startsWith('.')) continue;
        // Symlinks are neither followed nor listed: nothing outside --dir is reached through them.
        if (entry.isDirectory()) folders.push(entry.name);
        else if (entry.isFile()) files.add(entry.name);
      }
    } catch {
      return undefined;
    }
    const entry = { mtimeMs, folders: folders.sort(), files };
    this.folders.set(rel, entry);
    return entry;
  }

  private walk(
    abs: string,
    rel: string,
    depth: number,
    parent: RunSummary | undefined,
    seen: Set<string>,
    locks: Set<string>,
  ): void {
    const entry = this.folder(abs, rel);
    if (!entry) return;
    seen.add(rel);
    let run: RunSummary | undefined;
    if (rel !== '' && looksLikeRun(entry.files)) {
      const runMtime = entry.files.has('run.json') ? mtimeOf(join(abs, 'run.json')) : -1;
      const metricsMtime = entry.files.has('metrics.json') ? mtimeOf(join(abs, 'metrics.json')) : -1;
      const stamp = `${entry.mtimeMs}:${runMtime}:${metricsMtime}:${parent?.kind ?? ''}`;
      const cached = this.runs.get(rel);
      if (cached && cached.stamp === stamp) run = cached.summary;
      else {
        run = readSummary(abs, rel, entry.files, parent, Math.max(entry.mtimeMs, runMtime, metricsMtime));
        this.runs.set(rel, { stamp, summary: run });
        this.version++;
      }
    } else {
      for (const f of entry.files) if (f.endsWith('.lock')) locks.add(rel ? `${rel}/${f}` : f);
    }
    if (depth >= MAX_DEPTH) return;
    for (const name of entry.folders) {
      if (run && NOT_RUNS.has(name)) continue;
      this.walk(join(abs, name), rel ? `${rel}/${name}` : name, depth + 1, run ?? parent, seen, locks);
    }
  }
}
