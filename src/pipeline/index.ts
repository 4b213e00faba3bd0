/**
 * `sciml pipeline`: a DAG of stages from a DVC-style file, run with content-hash staleness,
 * a run-cache and parallel stages. Entry module for the commands.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../runtime/log.js';
import { formatBytes } from '../runtime/memory.js';
import { textTable } from '../runtime/text-table.js';
import { buildDag, dot, mermaid, selectStages, type Dag } from './graph.js';
import { LOCK_SCHEMA, readLock } from './lock.js';
import { loadPipeline } from './parse.js';
import { writePipelineReport } from './report.js';
import { planPipeline, runPipeline, workspaceOf, type StageReport } from './run.js';

function loadDag(file: string, targets: string[] = [], requireDeps = true): Dag {
  return selectStages(buildDag(loadPipeline(file), { requireDeps }), targets);
}

export interface RunRequest {
  jobs?: number;
  keepGoing?: boolean;
  dryRun?: boolean;
  executor?: string;
  runCache?: boolean;
  json?: boolean;
  /** Stages to bring up to date (with what they need); default all. */
  targets?: string[];
  log: Logger;
}

function seconds(r: StageReport): string {
  return r.startedMs !== undefined && r.endedMs !== undefined
    ? `${((r.endedMs - r.startedMs) / 1000).toFixed(1)}s`
    : '';
}

function why(r: StageReport): string {
  return [...r.reasons, ...(r.error ? [r.error] : [])].join('; ');
}

function upToDateLine(n: number): string {
  return `Nothing to run: all ${n} stage${n === 1 ? ' is' : 's are'} up to date.\n`;
}

export interface RunOutput {
  text: string;
  /** Stages that failed: the command exits 1 when there are any. */
  failed: number;
}

/** `sciml pipeline run`: what happened, as text or JSON; the report and lock are written even when stages failed. */
export async function pipelineRun(file: string, req: RunRequest): Promise<RunOutput> {
  const dag = loadDag(file, req.targets);
  if (req.dryRun) {
    const plan = await planPipeline(dag, { runCache: req.runCache });
    if (req.json)
      return {
        failed: 0,
        text:
          JSON.stringify({
            pipeline: file,
            dry_run: true,
            stages: plan.map(({ name, state, reasons }) => ({ name, state, reasons })),
          }) + '\n',
      };
    const moving = plan.filter((p) => p.state !== 'up-to-date');
    if (!moving.length) return { failed: 0, text: upToDateLine(plan.length) };
    return {
      failed: 0,
      text: textTable([
        ['stage', 'would', 'why'],
        ...plan.map((p) => [
          p.name,
          p.state === 'would-run' ? 'run' : p.state === 'would-restore' ? 'restore' : 'skip (up to date)',
          why(p),
        ]),
      ]),
    };
  }
  const reports = await runPipeline(dag, {
    jobs: req.jobs,
    keepGoing: req.keepGoing,
    executor: req.executor,
    runCache: req.runCache,
    log: req.log,
  });
  // With nothing run, the timeline shows when each stage last ran (from the lock).
  const lock = readLock(dag.pipeline.lockFile);
  const timed = reports.some((r) => r.startedMs !== undefined)
    ? reports
    : reports.map((r) => {
        const entry = lock.stages[r.name];
        return r.startedMs === undefined && entry
          ? { ...r, startedMs: Date.parse(entry.started_at), endedMs: Date.parse(entry.ended_at) }
          : r;
      });
  const report = await writePipelineReport(dag, timed);
  const failed = reports.filter((r) => r.state === 'failed');
  let out: string;
  if (req.json) {
    out =
      JSON.stringify({
        pipeline: file,
        lock: dag.pipeline.lockFile,
        report,
        ok: failed.length === 0,
        stages: reports.map((r) => ({
          name: r.name,
          state: r.state,
          reasons: r.reasons,
          error: r.error,
          worker: r.worker,
          seconds: r.startedMs !== undefined ? (r.endedMs! - r.startedMs) / 1000 : undefined,
          started_at: r.startedMs !== undefined ? new Date(r.startedMs).toISOString() : undefined,
          ended_at: r.endedMs !== undefined ? new Date(r.endedMs).toISOString() : undefined,
        })),
      }) + '\n';
  } else if (reports.every((r) => r.state === 'up-to-date')) {
    out = upToDateLine(reports.length);
  } else {
    // Which worker ran each stage, when some ran away from this machine.
    const remote = reports.some((r) => r.worker !== undefined && !r.worker.startsWith('local:'));
    const rows = reports.map((r) => [r.name, r.state, seconds(r), ...(remote ? [r.worker ?? ''] : []), why(r)]);
    out =
      textTable([['stage', 'state', 'time', ...(remote ? ['worker'] : []), 'why'], ...rows]) + `report: ${report}\n`;
  }
  return { text: out, failed: failed.length };
}

export async function pipelineStatus(file: string, json: boolean, targets: string[] = []): Promise<string> {
  const dag = loadDag(file, targets);
  const plan = await planPipeline(dag);
  const lock = readLock(dag.pipeline.lockFile);
  const label = (p: StageReport) =>
    p.state === 'up-to-date' ? 'up to date' : !lock.stages[p.name] ? 'never run' : 'stale';
  if (json)
    return (
      JSON.stringify({
        pipeline: file,
        stages: plan.map((p) => ({
          name: p.name,
          status: label(p),
          reasons: p.reasons,
          run_cache: p.state === 'would-restore',
        })),
      }) + '\n'
    );
  return textTable([
    ['stage', 'status', 'why'],
    ...plan.map((p) => [p.name, label(p), why(p) + (p.state === 'would-restore' ? ' (outs in the run-cache)' : '')]),
  ]);
}

export function pipelineDag(file: string, format: string): string {
  const dag = loadDag(file, [], false);
  return format === 'dot' ? dot(dag) : mermaid(dag);
}

/** Removes run-cache entries and files that no lock beside the pipeline file references. */
export function pipelineGc(file: string, json: boolean): string {
  const dag = loadDag(file);
  const keep = new Set<string>();
  const folder = dirname(dag.pipeline.lockFile);
  const locks: string[] = [];
  for (const name of readdirSync(folder)) {
    if (!name.endsWith('.lock')) continue;
    try {
      const lock = readLock(join(folder, name));
      if (lock.schema !== LOCK_SCHEMA) continue;
      locks.push(name);
      for (const entry of Object.values(lock.stages)) if (entry?.signature) keep.add(entry.signature);
    } catch {
      // not a pipeline lock
    }
  }
  const removed = workspaceOf(dag).cache.gc(keep);
  if (json)
    return (
      JSON.stringify({
        kept_runs: keep.size,
        removed_runs: removed.runs,
        removed_files: removed.objects,
        freed_bytes: removed.bytes,
        locks,
      }) + '\n'
    );
  return (
    `kept ${keep.size} cached run${keep.size === 1 ? '' : 's'} (named by ${locks.join(', ') || 'no lock'}); removed ` +
    `${removed.runs} cached run${removed.runs === 1 ? '' : 's'} and ${removed.objects} ` +
    `file${removed.objects === 1 ? '' : 's'} (${formatBytes(removed.bytes)})\n`
  );
}
