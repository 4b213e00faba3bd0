import { Worker } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadJobHandler,
  type Executor,
  type Job,
  type JobOutcome,
  type JobResult,
  type JobTable,
  type SubmitOptions,
} from './job.js';
import type { WorkerReply, WorkerRequest } from './local-worker.js';

export interface LocalExecutorOptions {
  /** The kinds this executor runs (threads import `jobs.module` to find them). */
  jobs: JobTable;
  /** Cores shared by the jobs (a job takes `job.cpus ?? 1` of them). */
  slots: number;
  /**
   * `thread`: each job in a worker thread, killed at its deadline even in a busy loop (trials).
   * `inline`: in this thread, aborted through its signal (handlers that only wait on child processes, like pipeline stages).
   */
  isolation?: 'thread' | 'inline';
  /** Kinds run inline whatever `isolation` says (a worker runs pipeline stages inline, trials in threads). */
  inlineKinds?: string[];
  /** Heap limit per worker thread. */
  memoryMb?: number;
}

interface Idle {
  worker: Worker;
  name: string;
}

/** Runs jobs on this machine; the default executor. */
export class LocalExecutor implements Executor {
  readonly name = 'local';
  readonly slots: number;
  private free: number;
  private readonly waiting: (() => void)[] = [];
  private readonly idle: Idle[] = [];
  private readonly live = new Set<Worker>();
  private closed = false;
  private threadCount = 0;
  private readonly inlineRuns = new Set<AbortController>();

  constructor(private readonly options: LocalExecutorOptions) {
    this.slots = Math.max(1, Math.floor(options.slots));
    this.free = this.slots;
  }

  private async acquire(cpus: number): Promise<void> {
    const need = Math.min(this.slots, Math.max(1, Math.floor(cpus)));
    while (this.free < need) {
      if (this.closed) throw new Error('executor is closed');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.closed) throw new Error('executor is closed');
    this.free -= need;
  }

  private release(cpus: number): void {
    this.free += Math.min(this.slots, Math.max(1, Math.floor(cpus)));
    for (const wake of this.waiting.splice(0)) wake();
  }

  async submit<R = unknown>(job: Job, options: SubmitOptions = {}): Promise<JobOutcome<R>> {
    const cpus = job.cpus ?? 1;
    await this.acquire(cpus);
    const startedMs = Date.now();
    try {
      const inline = this.options.isolation === 'inline' || (this.options.inlineKinds ?? []).includes(job.kind);
      const done = inline ? await this.runInline(job, options) : await this.runThread(job, options);
      return { id: job.id, attempts: 1, startedMs, endedMs: Date.now(), ...done } as JobOutcome<R>;
    } finally {
      this.release(cpus);
    }
  }

  private async runInline(
    job: Job,
    options: SubmitOptions,
  ): Promise<Omit<JobOutcome, 'id' | 'attempts' | 'startedMs' | 'endedMs'>> {
    const controller = new AbortController();
    this.inlineRuns.add(controller);
    const wait =
      job.deadlineMs === undefined || !Number.isFinite(job.deadlineMs)
        ? undefined
        : Math.max(0, job.deadlineMs - Date.now());
    let timedOut = false;
    const timer =
      wait === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, wait);
    const scratchDir = mkdtempSync(join(tmpdir(), 'sciml-job-'));
    try {
      const handler = await loadJobHandler(this.options.jobs, job.kind);
      const out: JobResult = await handler(job.payload, job.inputs ?? {}, {
        jobId: job.id,
        signal: controller.signal,
        progress: (e) => options.onProgress?.(e),
        scratchDir,
      });
      if (timedOut) return { status: 'killed', worker: 'local:inline', error: 'deadline reached' };
      return { status: 'ok', result: out.result, artifacts: out.artifacts, worker: 'local:inline' };
    } catch (err) {
      if (timedOut) return { status: 'killed', worker: 'local:inline', error: 'deadline reached' };
      return { status: 'failed', error: err instanceof Error ? err.message : String(err), worker: 'local:inline' };
    } finally {
      if (timer) clearTimeout(timer);
      this.inlineRuns.delete(controller);
      rmSync(scratchDir, { recursive: true, force: true });
    }
  }

  private takeWorker(): Idle {
    const reused = this.idle.pop();
    if (reused) return reused;
    const worker = new Worker(new URL('./local-worker.js', import.meta.url), {
      resourceLimits: this.options.memoryMb ? { maxOldGenerationSizeMb: this.options.memoryMb } : undefined,
      stdout: false,
      stderr: false,
    });
    this.live.add(worker);
    return { worker, name: `local:thread-${++this.threadCount}` };
  }

  private drop(slot: Idle): Promise<unknown> {
    this.live.delete(slot.worker);
    return slot.worker.terminate();
  }

  private runThread(
    job: Job,
    options: SubmitOptions,
  ): Promise<Omit<JobOutcome, 'id' | 'attempts' | 'startedMs' | 'endedMs'>> {
    const slot = this.takeWorker();
    const { worker, name } = slot;
    // Made and removed here, not in the thread: a thread killed at its deadline runs no cleanup of its own.
    const scratchDir = mkdtempSync(join(tmpdir(), 'sciml-job-'));
    const removeScratch = () => rmSync(scratchDir, { recursive: true, force: true });
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: Omit<JobOutcome, 'id' | 'attempts' | 'startedMs' | 'endedMs'>, dead: boolean) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (dead || this.closed) void this.drop(slot).finally(removeScratch);
        else {
          removeScratch();
          this.idle.push(slot);
        }
        resolve(outcome);
      };
      const onMessage = (reply: WorkerReply) => {
        if (reply.type === 'progress') options.onProgress?.(reply.event);
        else if (reply.ok)
          finish({ status: 'ok', result: reply.result, artifacts: reply.artifacts, worker: name }, false);
        else finish({ status: 'failed', error: reply.error ?? 'unknown error', worker: name }, false);
      };
      const onError = (err: Error) => finish({ status: 'failed', error: err.message, worker: name }, true);
      const onExit = (code: number) =>
        finish({ status: 'failed', error: `worker thread exited with code ${code}`, worker: name }, true);
      const wait =
        job.deadlineMs === undefined || !Number.isFinite(job.deadlineMs)
          ? undefined
          : Math.max(0, job.deadlineMs - Date.now());
      const timer =
        wait === undefined
          ? undefined
          : setTimeout(() => finish({ status: 'killed', error: 'deadline reached', worker: name }, true), wait);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      const request: WorkerRequest = {
        jobs: this.options.jobs.module,
        id: job.id,
        kind: job.kind,
        payload: job.payload,
        inputs: job.inputs ?? {},
        scratchDir,
      };
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    this.idle.length = 0;
    for (const run of this.inlineRuns) run.abort();
    await Promise.all([...this.live].map((w) => w.terminate()));
    this.live.clear();
  }
}
