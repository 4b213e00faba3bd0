/**
 * The driver's side of scale-out: jobs go to a BullMQ queue in Redis, `sciml worker` processes run
 * them anywhere, outcomes come back through Redis. Inputs travel once per content hash; the first
 * outcome per job id is kept; a lost Redis ends the run with a UserError naming the redacted URL.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Executor, ExecutorStats, Job, JobOutcome, SubmitOptions } from './job.js';
import { blobHash } from './files.js';
import { UserError } from '../runtime/errors.js';
import { scimlVersion } from '../runtime/version.js';
import type { RedisTarget } from './redis-url.js';
import { fromJsonSafe } from './json-safe.js';
import {
  BULL_PREFIX,
  DEFAULT_GRACE_S,
  DEFAULT_QUEUE,
  STALLED_REASON,
  bullJobId,
  connectTo,
  decodeOutcome,
  keys,
  newClient,
  putBlob,
  readWorkers,
  reasonOf,
  withTimeout,
  type JobEnvelope,
} from './redis-wire.js';

export interface RedisExecutorOptions {
  queue?: string;
  /** Stable id of this run's jobs (a resumed driver passes the same one to reattach); default random. */
  runId?: string;
  /** Seconds without a driver heartbeat after which workers drop this run's queued jobs. */
  graceS?: number;
  /** Redis unreachable this long mid-run ends the run. */
  lostAfterMs?: number;
  /** Where the URL came from, for error messages. */
  origin?: string;
  /** Called once when no worker is connected a few seconds after the first submit. */
  onNoWorkers?: (message: string) => void;
}

interface Pending {
  job: Job;
  bullId: string;
  options: SubmitOptions;
  running: boolean;
  worker?: string;
  submittedMs: number;
  timer?: NodeJS.Timeout;
  settle: (outcome: JobOutcome) => void;
  fail: (err: Error) => void;
}

/** How long after a job's deadline the driver still waits for the worker's own "killed" outcome. */
const DEADLINE_SLACK_MS = 500;
const POLL_MS = 2000;

export class RedisExecutor implements Executor {
  readonly name: string;
  readonly queueName: string;
  readonly runId: string;
  private readonly outcomes = new Map<string, Promise<JobOutcome>>();
  private readonly pending = new Map<string, Pending>();
  private readonly uploaded = new Set<string>();
  private readonly hashes = new WeakMap<Uint8Array, string>();
  private readonly finished: string[] = [];
  private workerSlots = 0;
  private doneCount = 0;
  private fatal: UserError | undefined;
  private downSinceMs: number | undefined;
  private lastError = '';
  private closed = false;
  private heartbeat?: NodeJS.Timeout;
  private poller?: NodeJS.Timeout;
  private warnedNoWorkers = false;
  private readonly graceS: number;
  private readonly lostAfterMs: number;

  private constructor(
    private readonly target: RedisTarget,
    private readonly client: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly bullClients: Redis[],
    private readonly options: RedisExecutorOptions,
  ) {
    this.name = target.redacted;
    this.queueName = options.queue ?? DEFAULT_QUEUE;
    this.runId = options.runId ?? `r${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
    this.graceS = options.graceS ?? DEFAULT_GRACE_S;
    this.lostAfterMs = options.lostAfterMs ?? 10_000;
  }

  static async connect(spec: string, options: RedisExecutorOptions = {}): Promise<RedisExecutor> {
    const origin = options.origin ?? '--executor';
    const { target, client, queueName } = await connectTo(spec, origin, options.queue);
    const queueClient = newClient(target, { lazyConnect: false });
    const eventsClient = newClient(target, { lazyConnect: false });
    const queue = new Queue(queueName, { connection: queueClient, prefix: BULL_PREFIX });
    const events = new QueueEvents(queueName, { connection: eventsClient, prefix: BULL_PREFIX });
    queue.on('error', () => {});
    events.on('error', () => {});
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const executor = new RedisExecutor(target, client, queue, events, [queueClient, eventsClient], {
      ...options,
      queue: queueName,
    });
    await executor.start();
    return executor;
  }

  /** Connected worker slots as last seen (at least 1, so a driver always keeps a job queued). */
  get slots(): number {
    return Math.max(1, this.workerSlots);
  }

  stats(): ExecutorStats {
    let running = 0;
    for (const p of this.pending.values()) if (p.running) running++;
    return { queued: this.pending.size - running, running, done: this.doneCount };
  }

  private async start(): Promise<void> {
    this.client.on('error', (err: Error) => (this.lastError = err.message));
    this.events.on('active', ({ jobId }) => {
      const p = this.pending.get(jobId);
      if (p) p.running = true;
    });
    this.events.on('progress', ({ jobId, data }) => {
      const p = this.pending.get(jobId);
      if (!p) return;
      const d = data as { sciml?: string; worker?: string; event?: unknown };
      if (d?.sciml === 'start') {
        p.running = true;
        p.worker = d.worker;
      } else if (d && 'event' in d) p.options.onProgress?.(fromJsonSafe(d.event));
    });
    this.events.on('completed', ({ jobId }) => void this.check(jobId));
    this.events.on('failed', ({ jobId, failedReason }) => {
      const p = this.pending.get(jobId);
      if (p) this.settleFailed(p, failedReason);
    });
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), 1000);
    this.poller = setInterval(() => {
      for (const id of this.pending.keys()) void this.check(id);
    }, POLL_MS);
  }

  /** Heartbeat (keeps the run alive for the workers), worker count, and the lost-Redis watchdog. */
  private async beat(): Promise<void> {
    if (this.closed || this.fatal) return;
    const now = Date.now();
    if (this.client.status !== 'ready') {
      this.downSinceMs ??= now;
      if (now - this.downSinceMs > this.lostAfterMs) this.lose(this.lastError || `connection ${this.client.status}`);
      return;
    }
    try {
      await withTimeout(
        (async () => {
          await this.client.set(keys.runAlive(this.queueName, this.runId), String(now), 'EX', this.graceS);
          await this.client.hset(
            keys.runs(this.queueName),
            this.runId,
            JSON.stringify({ host: hostname(), pid: process.pid, version: scimlVersion(), seenMs: now }),
          );
          const workers = await readWorkers(this.client, this.queueName);
          this.workerSlots = workers
            .filter((w) => !w.draining && w.version === scimlVersion())
            .reduce((s, w) => s + w.concurrency, 0);
          if (
            workers.length === 0 &&
            this.pending.size > 0 &&
            !this.warnedNoWorkers &&
            now - Math.min(...[...this.pending.values()].map((p) => p.submittedMs)) > 3000
          ) {
            this.warnedNoWorkers = true;
            this.options.onNoWorkers?.(
              `no sciml worker is connected to queue '${this.queueName}' at ${this.name}: start one with \`sciml worker ${this.name} --queue ${this.queueName}\``,
            );
          }
        })(),
        3000,
      );
      this.downSinceMs = undefined;
    } catch (err) {
      this.lastError = reasonOf(err);
      this.downSinceMs ??= now;
      if (now - this.downSinceMs > this.lostAfterMs) this.lose(this.lastError);
    }
  }

  private lose(reason: string): void {
    if (this.fatal) return;
    this.fatal = new UserError(
      `lost the connection to Redis at ${this.name} (${reason}); the run stopped, run it again once Redis is back`,
    );
    for (const p of [...this.pending.values()]) p.fail(this.fatal);
  }

  async submit<R = unknown>(job: Job, options: SubmitOptions = {}): Promise<JobOutcome<R>> {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw new Error('executor is closed');
    const known = this.outcomes.get(job.id);
    if (known) return known as Promise<JobOutcome<R>>;
    const promise = this.enqueue(job, options);
    this.outcomes.set(job.id, promise);
    promise.catch(() => this.outcomes.delete(job.id));
    return promise as Promise<JobOutcome<R>>;
  }

  private hashOf(data: Uint8Array): string {
    let hash = this.hashes.get(data);
    if (!hash) {
      hash = blobHash(data);
      this.hashes.set(data, hash);
    }
    return hash;
  }

  private async enqueue(job: Job, options: SubmitOptions): Promise<JobOutcome> {
    const inputs: Record<string, string> = {};
    for (const [name, data] of Object.entries(job.inputs ?? {})) {
      const hash = this.hashOf(data);
      if (!this.uploaded.has(hash)) {
        await putBlob(this.client, hash, data);
        this.uploaded.add(hash);
      }
      inputs[name] = hash;
    }
    const bullId = bullJobId(this.runId, job.id);
    // The envelope is JSON: no deadline (Infinity) must not become null, which reads as 0.
    const deadlineMs = job.deadlineMs !== undefined && Number.isFinite(job.deadlineMs) ? job.deadlineMs : undefined;
    const envelope: JobEnvelope = {
      v: scimlVersion(),
      run: this.runId,
      id: job.id,
      kind: job.kind,
      payload: job.payload,
      inputs,
      deadlineMs,
      cpus: job.cpus,
      submittedMs: Date.now(),
    };
    const outcome = new Promise<JobOutcome>((resolve, reject) => {
      const p: Pending = {
        job,
        bullId,
        options,
        running: false,
        submittedMs: Date.now(),
        settle: (o) => {
          if (!this.pending.delete(bullId)) return;
          if (p.timer) clearTimeout(p.timer);
          this.doneCount++;
          this.finished.push(bullId);
          resolve(o);
        },
        fail: (err) => {
          if (!this.pending.delete(bullId)) return;
          if (p.timer) clearTimeout(p.timer);
          reject(err);
        },
      };
      this.pending.set(bullId, p);
      if (deadlineMs !== undefined) {
        p.timer = setTimeout(() => void this.expire(p), Math.max(0, deadlineMs - Date.now()) + DEADLINE_SLACK_MS);
      }
    });
    // Registered before the add, so no event is missed; a job id seen before (a resumed driver) is not added twice.
    await this.queue.add(job.kind, envelope, {
      jobId: bullId,
      attempts: 1,
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 3600 },
    });
    void this.check(bullId);
    return outcome;
  }

  /** Settles a pending job from what Redis holds: its stored outcome, or BullMQ's failure. */
  private async check(bullId: string): Promise<void> {
    const p = this.pending.get(bullId);
    if (!p || this.client.status !== 'ready') return;
    try {
      const stored = await this.client.getBuffer(keys.outcome(this.queueName, bullId));
      if (stored) {
        p.settle(decodeOutcome(p.job.id, stored));
        return;
      }
      const state = await this.queue.getJobState(bullId);
      if (state === 'failed') {
        const bull = await this.queue.getJob(bullId);
        this.settleFailed(p, bull?.failedReason ?? 'failed');
      } else if (state === 'unknown' && this.pending.has(bullId) && Date.now() - p.submittedMs > POLL_MS) {
        this.settleFailed(
          p,
          'the job vanished from the queue (removed by hand, or dropped as the queue of a dead driver)',
        );
      } else if (state === 'completed') {
        // Completed without an outcome: a worker skipped it (its driver seemed gone). Rare; say so.
        const again = await this.client.getBuffer(keys.outcome(this.queueName, bullId));
        if (again) p.settle(decodeOutcome(p.job.id, again));
        else
          this.settleFailed(
            p,
            'a worker dropped the job because this driver looked dead (no heartbeat); check the clocks and the network',
          );
      }
    } catch {
      // Redis trouble: the watchdog decides.
    }
  }

  private settleFailed(p: Pending, reason: string): void {
    const error =
      reason === STALLED_REASON
        ? 'the job lost its worker twice (killed, out of memory, or unresponsive); not retried again'
        : reason;
    p.settle({
      id: p.job.id,
      status: 'failed',
      error,
      worker: p.worker,
      attempts: 1,
      startedMs: p.submittedMs,
      endedMs: Date.now(),
    });
  }

  private async expire(p: Pending): Promise<void> {
    if (!this.pending.has(p.bullId)) return;
    const queuedS = ((Date.now() - p.submittedMs) / 1000).toFixed(1);
    p.settle({
      id: p.job.id,
      status: 'killed',
      error: p.running ? 'deadline reached' : `deadline reached while queued (${queuedS} s, no worker free)`,
      worker: p.worker,
      attempts: 1,
      startedMs: p.submittedMs,
      endedMs: Date.now(),
    });
    try {
      await this.queue.remove(p.bullId);
    } catch {
      // Active on a worker: its own timer stops it at the same deadline.
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.poller) clearInterval(this.poller);
    const left = [...this.pending.values()];
    for (const p of left)
      p.settle({
        id: p.job.id,
        status: 'killed',
        error: 'executor closed',
        worker: p.worker,
        attempts: 1,
        startedMs: p.submittedMs,
        endedMs: Date.now(),
      });
    if (!this.fatal && this.client.status === 'ready') {
      try {
        await withTimeout(
          (async () => {
            for (const p of left) await this.queue.remove(p.bullId).catch(() => 0);
            // Finished jobs go with their outcomes, jobs first: a job id submitted again later (a pipeline
            // stage of the same signature) must not meet a completed entry whose outcome is gone.
            for (const id of this.finished) await this.queue.remove(id).catch(() => 0);
            const outcomeKeys = this.finished.map((id) => keys.outcome(this.queueName, id));
            for (let i = 0; i < outcomeKeys.length; i += 500) await this.client.del(...outcomeKeys.slice(i, i + 500));
            await this.client.del(keys.runAlive(this.queueName, this.runId));
            await this.client.hdel(keys.runs(this.queueName), this.runId);
          })(),
          3000,
        );
      } catch {
        // Left for the workers' janitor (the run's heartbeat expires).
      }
    }
    // BullMQ's close waits for Redis; a lost Redis must not hang the driver's exit (BullMQ's own
    // duplicated connections would keep reconnecting and hold the process open).
    const lost = this.fatal !== undefined || this.client.status !== 'ready';
    const closed = lost
      ? false
      : await withTimeout(Promise.all([this.events.close(), this.queue.close()]), 3000).then(
          () => true,
          () => false,
        );
    if (!closed)
      await withTimeout(Promise.allSettled([this.events.disconnect(), this.queue.disconnect()]), 1000).catch(
        () => undefined,
      );
    for (const c of [this.client, ...this.bullClients]) c.disconnect();
  }
}
