/**
 * Runs what is stale, independent stages at once. A stage starts when its upstream stages are done;
 * it is then checked against the lock (so an upstream that re-made identical outs does not make
 * it run), restored from the run-cache when its signature was run before, or submitted as a `stage`
 * job to the executor. Its stale outs are removed first; the lock is rewritten after every stage.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import { createExecutor } from '../execution/create.js';
import { jobs } from '../registry.js';
import type { Executor } from '../execution/job.js';
import { writeFileAtomic } from '../runtime/atomic.js';
import type { Logger } from '../runtime/log.js';
import { RunCache } from './cache.js';
import type { Dag } from './graph.js';
import { HashState, type PathHash } from './hash.js';
import { readLock, writeLock, type Lock, type LockEntry } from './lock.js';
import type { Stage } from './parse.js';
import { ProgressBoard, type StageState } from './progress.js';
import { checkStage, locked, type StageCheck } from './status.js';
import { STAGE_KIND } from './kinds.js';
import { depInput, type ShippedLayout, type StagePayload, type StageResult } from './stage-job.js';
import { packPaths, unpackInto } from '../execution/files.js';
import { PipelineStatusWriter } from './status-file.js';

export interface PipelineRunOptions {
  /** Stages at once (default: cores); a stage with `cpus: n` takes n. */
  jobs?: number;
  keepGoing?: boolean;
  /** `--executor`: where stages run (default local). */
  executor?: string;
  /** Use the run-cache (default true). */
  runCache?: boolean;
  log: Logger;
}

export interface StageReport {
  name: string;
  state: StageState | 'would-run' | 'would-restore' | 'never-run' | 'stale';
  reasons: string[];
  startedMs?: number;
  endedMs?: number;
  error?: string;
  logFile?: string;
  /** Who ran it (`local:inline`, a remote worker's name). */
  worker?: string;
}

export interface Workspace {
  hashes: HashState;
  cache: RunCache;
  logs: string;
}

/** `.sciml/` in the pipeline's working folder: hash state, run-cache, stage logs. */
export function workspaceOf(dag: Dag): Workspace {
  const dir = join(dag.pipeline.root, '.sciml');
  return {
    hashes: new HashState(join(dir, 'state.json')),
    cache: new RunCache(join(dir, 'cache')),
    logs: join(dir, 'logs'),
  };
}

const OK = new Set(['ran', 'restored', 'up-to-date']);

class Gate {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly slots: number) {
    this.free = slots;
  }
  need(cpus: number): number {
    return Math.min(this.slots, Math.max(1, cpus));
  }
  async acquire(cpus: number): Promise<void> {
    const n = this.need(cpus);
    while (this.free < n) await new Promise<void>((r) => this.waiting.push(r));
    this.free -= n;
  }
  release(cpus: number): void {
    this.free += this.need(cpus);
    for (const wake of this.waiting.splice(0)) wake();
  }
}

async function hashOuts(
  ws: Workspace,
  stage: Stage,
): Promise<{ path: string; abs: string; cache: boolean; hash: PathHash | undefined }[]> {
  const out = [];
  for (const o of stage.outs)
    out.push({ path: o.path, abs: o.abs, cache: o.cache, hash: await ws.hashes.hashPath(o.abs) });
  return out;
}

function tail(text: string, lines = 15): string {
  const all = text.trimEnd().split('\n');
  return all
    .slice(-lines)
    .map((l) => `    ${l}`)
    .join('\n');
}

/** The folder holding the pipeline's root and every stage's folder, deps and outs: shipped paths are relative to it. */
function commonFolder(dag: Dag): string {
  const paths = [dag.pipeline.root];
  for (const stage of dag.order)
    paths.push(
      stage.cwd,
      ...stage.deps.map((d) => dirname(d.abs)),
      ...stage.params.map((p) => dirname(p.abs)),
      ...stage.outs.map((o) => dirname(o.abs)),
    );
  let base = paths[0].split(sep);
  for (const p of paths.slice(1)) {
    const parts = p.split(sep);
    let n = 0;
    while (n < base.length && n < parts.length && base[n] === parts[n]) n++;
    base = base.slice(0, n);
  }
  return base.join(sep) || sep;
}

/** A remote stage's layout and inputs: each dep and params file packed on its own, so an unchanged one is not sent again. */
function ship(stage: Stage, base: string): { layout: ShippedLayout; inputs: Record<string, Uint8Array> } {
  const rel = (abs: string) => relative(base, abs).split(sep).join('/') || '.';
  const deps = [...new Set([...stage.deps.map((d) => rel(d.abs)), ...stage.params.map((p) => rel(p.abs))])];
  return {
    layout: { cwd: rel(stage.cwd), deps, outs: stage.outs.map((o) => rel(o.abs)) },
    inputs: Object.fromEntries(deps.map((d) => [depInput(d), packPaths(base, [d])])),
  };
}

export async function runPipeline(dag: Dag, options: PipelineRunOptions): Promise<StageReport[]> {
  const ws = workspaceOf(dag);
  const lock: Lock = readLock(dag.pipeline.lockFile);
  const names = dag.order.map((s) => s.name);
  const lockOrder = dag.allStages;
  const spec = options.executor ?? dag.pipeline.execution.executor ?? 'local';
  const remote = spec !== 'local';
  // Remote stages queue at the engine, whose workers decide how many run at once.
  const slots = Math.max(1, options.jobs ?? (remote ? dag.order.length : availableParallelism()));
  const gate = new Gate(slots);
  const reports = new Map<string, StageReport>();
  const saveLock = () => writeLock(dag.pipeline.lockFile, lock, lockOrder);
  // Entries of stages no longer in the pipeline go (writeLock keeps lockOrder's); every other entry stays until its stage re-runs.
  let stopping = false;
  // A stable run id: a driver run again after a crash reattaches to the stages still on the queue.
  const runId = `pipeline-${createHash('sha256').update(dag.pipeline.lockFile).digest('hex').slice(0, 16)}`;
  const executor: Executor = await createExecutor({
    jobs,
    spec,
    queue: dag.pipeline.execution.queue,
    isolation: 'inline',
    slots,
    origin: options.executor === undefined ? dag.pipeline.execution.origin : '--executor',
    runId,
    warn: (m) => options.log.warn(m),
  });
  const shipBase = remote ? commonFolder(dag) : undefined;
  const board = new ProgressBoard(names, options.log);
  const status = new PipelineStatusWriter(dag);
  const mark = (name: string, state: StageState, worker?: string) => {
    board.set(name, state);
    status.set(name, state, worker);
  };

  const finish = (name: string, report: Omit<StageReport, 'name'>): StageReport => {
    const r = { name, ...report };
    reports.set(name, r);
    mark(name, r.state as StageState, r.worker);
    return r;
  };

  const record = async (
    stage: Stage,
    check: StageCheck,
    startedMs: number,
    restored: boolean,
  ): Promise<string | undefined> => {
    const outs = await hashOuts(ws, stage);
    const missing = outs.filter((o) => !o.hash).map((o) => o.path);
    if (missing.length) return `the command did not write ${missing.join(', ')}`;
    const endedMs = Date.now();
    const entry: LockEntry = {
      cmd: stage.cmd,
      signature: check.signature!,
      deps: check.deps,
      params: check.params,
      outs: outs.map((o) => locked(o.path, o.hash!)),
      started_at: new Date(startedMs).toISOString(),
      ended_at: new Date(endedMs).toISOString(),
      duration_s: (endedMs - startedMs) / 1000,
      ...(restored ? { restored: true } : {}),
    };
    if (!restored && options.runCache !== false && outs.every((o) => o.cache))
      ws.cache.store(
        check.signature!,
        stage.name,
        stage.cmd,
        outs.map((o) => ({ path: o.path, abs: o.abs, hash: o.hash! })),
      );
    lock.stages[stage.name] = entry;
    saveLock();
    ws.hashes.save();
    return undefined;
  };

  const removeOuts = (stage: Stage) => {
    for (const o of stage.outs) {
      rmSync(o.abs, { recursive: true, force: true });
      mkdirSync(dirname(o.abs), { recursive: true });
    }
  };

  const forget = (stage: Stage) => {
    if (lock.stages[stage.name]) {
      delete lock.stages[stage.name];
      saveLock();
    }
  };

  const runOne = async (stage: Stage, upstream: StageReport[]): Promise<StageReport> => {
    const blocked = upstream.find((u) => !OK.has(u.state));
    if (blocked)
      return finish(stage.name, {
        state: 'skipped',
        reasons: [`upstream ${blocked.name} ${blocked.state === 'failed' ? 'failed' : 'did not run'}`],
      });
    if (stopping)
      return finish(stage.name, {
        state: 'not-run',
        reasons: ['stopped after a failure (--keep-going runs independent stages)'],
      });
    mark(stage.name, 'checking');
    const check = await checkStage(dag, stage, lock.stages[stage.name], ws.hashes);
    if (check.state === 'up-to-date') return finish(stage.name, { state: 'up-to-date', reasons: [] });
    if (!check.signature)
      return finish(stage.name, { state: 'failed', reasons: check.reasons, error: check.reasons.join('; ') });
    const cached = options.runCache !== false && !stage.alwaysChanged ? ws.cache.lookup(check.signature) : undefined;
    if (cached) {
      const startedMs = Date.now();
      forget(stage);
      ws.cache.restore(cached, (path) => stage.outs.find((o) => o.path === path)?.abs ?? join(dag.pipeline.root, path));
      const problem = await record(stage, check, startedMs, true);
      if (!problem)
        return finish(stage.name, {
          state: 'restored',
          reasons: [...check.reasons, 'outs restored from the run-cache'],
          startedMs,
          endedMs: Date.now(),
        });
    }
    mark(stage.name, 'queued');
    await gate.acquire(stage.cpus);
    try {
      if (stopping)
        return finish(stage.name, {
          state: 'not-run',
          reasons: ['stopped after a failure (--keep-going runs independent stages)'],
        });
      forget(stage);
      removeOuts(stage);
      mark(stage.name, 'running');
      const rel = (abs: string) => relative(stage.cwd, abs).split(sep).join('/') || '.';
      const shipped = shipBase ? ship(stage, shipBase) : undefined;
      const payload: StagePayload = {
        stage: stage.name,
        cmd: stage.cmd,
        cwd: stage.cwd,
        deps: stage.deps.map((d) => rel(d.abs)),
        outs: stage.outs.map((o) => rel(o.abs)),
        shipped: shipped?.layout,
      };
      const startedMs = Date.now();
      const outcome = await executor.submit<StageResult>({
        kind: STAGE_KIND,
        id: `${stage.name}/${check.signature}`,
        payload,
        inputs: shipped?.inputs,
        cpus: stage.cpus,
      });
      if (shipBase && outcome.status === 'ok' && outcome.result?.code === 0 && outcome.artifacts?.outs)
        unpackInto(outcome.artifacts.outs, shipBase);
      const logFile = join(ws.logs, `${stage.name}.log`);
      const log = outcome.artifacts?.log ?? new Uint8Array();
      writeFileAtomic(logFile, log);
      const code = outcome.result?.code;
      let error: string | undefined;
      if (outcome.status !== 'ok') error = outcome.error ?? outcome.status;
      else if (code !== 0)
        error = outcome.result?.signal ? `killed by ${outcome.result.signal}` : `exit status ${code}`;
      else error = await record(stage, check, startedMs, false);
      const endedMs = Date.now();
      if (error) {
        if (!options.keepGoing) stopping = true;
        const text = Buffer.from(log).toString('utf8');
        options.log.warn(
          `stage ${stage.name} failed: ${error}${text.trim() ? `\n${tail(text)}` : ''}\n  (full log: ${logFile})`,
        );
        return finish(stage.name, {
          state: 'failed',
          reasons: check.reasons,
          error,
          startedMs,
          endedMs,
          logFile,
          worker: outcome.worker,
        });
      }
      return finish(stage.name, {
        state: 'ran',
        reasons: check.reasons,
        startedMs,
        endedMs,
        logFile,
        worker: outcome.worker,
      });
    } finally {
      gate.release(stage.cpus);
    }
  };

  const promises = new Map<string, Promise<StageReport>>();
  for (const stage of dag.order) {
    const ups = dag.upstream.get(stage.name)!.map((u) => promises.get(u)!);
    promises.set(
      stage.name,
      Promise.all(ups)
        .then((u) => runOne(stage, u))
        .catch((err) => {
          if (!options.keepGoing) stopping = true;
          throw err;
        }),
    );
  }
  try {
    const settled = await Promise.allSettled(promises.values());
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) throw rejected.reason;
  } finally {
    board.close();
    status.close();
    ws.hashes.save();
    await executor.close();
  }
  return dag.order.map((s) => reports.get(s.name)!);
}

/** What `run` would do, without running: `--dry-run` and `status`. */
export async function planPipeline(dag: Dag, options: { runCache?: boolean } = {}): Promise<StageReport[]> {
  const ws = workspaceOf(dag);
  const lock = readLock(dag.pipeline.lockFile);
  const plan = new Map<string, StageReport>();
  for (const stage of dag.order) {
    const moving = dag.upstream
      .get(stage.name)!
      .map((u) => plan.get(u)!)
      .filter((u) => u.state === 'would-run' || u.state === 'would-restore');
    const entry = lock.stages[stage.name];
    if (moving.length) {
      const reasons = [
        ...(entry ? [] : ['never run']),
        ...moving.map((u) => `upstream ${u.name} will ${u.state === 'would-run' ? 'run' : 'be restored'}`),
      ];
      plan.set(stage.name, { name: stage.name, state: 'would-run', reasons });
      continue;
    }
    const check = await checkStage(dag, stage, entry, ws.hashes);
    if (check.state === 'up-to-date') plan.set(stage.name, { name: stage.name, state: 'up-to-date', reasons: [] });
    else {
      const cached =
        options.runCache !== false && check.signature && !stage.alwaysChanged && ws.cache.lookup(check.signature);
      plan.set(stage.name, { name: stage.name, state: cached ? 'would-restore' : 'would-run', reasons: check.reasons });
    }
  }
  ws.hashes.save();
  return dag.order.map((s) => plan.get(s.name)!);
}
