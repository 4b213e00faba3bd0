/**
 * Pipelines under `--dir`: each `<name>.lock` (pipeline/lock.ts) gives the stages that completed,
 * with their deps, outs and times; `<name>.status.json` beside it, written by `sciml pipeline run`
 * as stages change state, gives the live state of every stage and the DAG's edges. Without the
 * status file, edges come from the lock: a stage depends on the stage whose out holds its dep.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readLock } from '../pipeline/lock.js';
import type { PipelineStatusFile } from '../pipeline/status-file.js';
import type { RunsRoot } from './paths.js';
import type { RunSummary } from './run-index.js';

interface PipelineStageView {
  name: string;
  state: string;
  started_at?: string;
  ended_at?: string;
  duration_s?: number;
  worker?: string;
  outs: { path: string; run?: string }[];
  /** Ran in the latest run of the pipeline (an up-to-date stage's times are from an earlier one). */
  latest: boolean;
}

export interface PipelineView {
  lock: string;
  name: string;
  updated_at?: string;
  stages: PipelineStageView[];
  edges: [string, string][];
  error?: string;
}

const FINAL = new Set(['ran', 'restored', 'up-to-date', 'failed', 'skipped', 'not-run']);
const under = (path: string, folder: string) =>
  path === folder || path.startsWith(folder.endsWith('/') ? folder : `${folder}/`);

/** The run an out path names: out paths are relative to the pipeline's root, run paths to --dir. */
function runOf(out: string, runs: RunSummary[]): string | undefined {
  return runs.find((r) => out === r.path || out.endsWith(`/${r.path}`))?.path;
}

function readStatus(root: RunsRoot, lock: string): PipelineStatusFile | undefined {
  const file = root.resolve(lock.replace(/\.lock$/, '.status.json'));
  if (!file) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PipelineStatusFile;
  } catch {
    return undefined;
  }
}

function pipelineView(root: RunsRoot, lock: string, runs: RunSummary[]): PipelineView | undefined {
  const abs = root.resolve(lock);
  if (!abs) return undefined;
  const name = lock
    .split('/')
    .pop()!
    .replace(/\.lock$/, '');
  let stages: ReturnType<typeof readLock>['stages'];
  try {
    if (!readFileSync(abs, 'utf8').includes('sciml-pipeline-lock/')) return undefined; // some other tool's lock file
    stages = readLock(abs).stages;
  } catch (err) {
    return { lock, name, stages: [], edges: [], error: (err as Error).message.replace(abs, lock) };
  }
  const status = readStatus(root, lock);
  const names = [...new Set([...Object.keys(status?.stages ?? {}), ...Object.keys(stages)])];
  const views: PipelineStageView[] = names.map((stage) => {
    const locked = stages[stage];
    const live = status?.stages[stage];
    const outs = (live?.outs ?? locked?.outs.map((o) => o.path) ?? []).map((path) => ({
      path,
      run: runOf(path, runs),
    }));
    return {
      name: stage,
      state: live?.state ?? (locked ? (locked.restored ? 'restored' : 'ran') : 'unknown'),
      // A stage still to run this time has no start yet, whatever an earlier run recorded.
      started_at: live?.started_at ?? (live && !FINAL.has(live.state) ? undefined : locked?.started_at),
      ended_at: live?.ended_at ?? (live && !FINAL.has(live.state) ? undefined : locked?.ended_at),
      duration_s:
        locked && (!live || live.state === 'ran' || live.state === 'restored' || live.state === 'up-to-date')
          ? locked.duration_s
          : undefined,
      worker: live?.worker,
      outs,
      latest: status ? live?.started_at !== undefined : true,
    };
  });
  let edges: [string, string][];
  if (status)
    edges = Object.entries(status.stages).flatMap(([stage, s]) => s.upstream.map((u): [string, string] => [u, stage]));
  else {
    edges = [];
    for (const [stage, entry] of Object.entries(stages)) {
      for (const [producer, other] of Object.entries(stages)) {
        if (producer !== stage && entry.deps.some((d) => other.outs.some((o) => under(d.path, o.path))))
          edges.push([producer, stage]);
      }
    }
  }
  return { lock, name, updated_at: status?.updated_at, stages: views, edges };
}

export function readPipelines(
  root: RunsRoot,
  locks: string[],
  runs: RunSummary[],
): { stamp: string; pipelines: PipelineView[] } {
  const stamps: string[] = [];
  for (const lock of locks.sort()) {
    for (const file of [lock, lock.replace(/\.lock$/, '.status.json')]) {
      const abs = root.resolve(file);
      try {
        if (abs) stamps.push(`${file}:${statSync(abs).mtimeMs}`);
      } catch {
        // Gone since the walk.
      }
    }
  }
  const pipelines = locks.map((l) => pipelineView(root, l, runs)).filter((p): p is PipelineView => p !== undefined);
  return {
    stamp: createHash('sha256')
      .update(stamps.join('|') + `|${runs.length}`)
      .digest('hex')
      .slice(0, 16),
    pipelines,
  };
}
