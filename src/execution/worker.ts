/**
 * `sciml worker`: takes jobs from a BullMQ queue and runs each trial in a worker thread of a local
 * executor (a pipeline stage, which only waits on its shell, inline), so this process's event loop
 * stays free to renew the jobs' locks. Inputs are fetched
 * by content hash and cached in a local folder; outcomes go back through Redis.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { LocalExecutor } from './local.js';
import type { JobTable } from './job.js';
import { STAGE_KIND } from '../pipeline/kinds.js';
import { toJsonSafe } from './json-safe.js';
import { blobHash } from './files.js';
import { writeFileAtomic } from '../runtime/atomic.js';
import type { Logger } from '../runtime/log.js';
import { scimlVersion } from '../runtime/version.js';
import {
  BULL_PREFIX,
  LOCK_MS,
  MAX_STALLED,
  STALLED_MS,
  connectTo,
  countFinished,
  reasonOf,
  withTimeout,
  WORKER_HEARTBEAT_MS,
  WORKER_TTL_S,
  keys,
  newClient,
  storeFirstOutcome,
  type JobEnvelope,
  type WorkerInfo,
} from './redis-wire.js';

export interface WorkerOptions {
  url: string;
  /** The job kinds this worker runs. */
  jobs: JobTable;
  queue?: string;
  concurrency?: number;
  name?: string;
  /** Folder of cached input blobs (default $SCIML_CACHE_DIR or ~/.cache/sciml/blobs). */
  cacheDir?: string;
  /** Heap limit per job thread. */
  memoryMb?: number;
  log: Logger;
  origin?: string;
  /** How long a stopping worker waits for an unreachable Redis before it gives up the drain (default 10 s). */
  redisGraceMs?: number;
}

export const DEFAULT_REDIS_GRACE_MS = 10_000;

export interface RunningWorker {
  name: string;
  /** Stops taking jobs, lets running ones finish, leaves (gives up if Redis stays unreachable past the grace). */
  drain(): Promise<void>;
  /** Leaves now: running jobs are abandoned (their locks expire and other workers run them again). */
  abandon(): Promise<void>;
}

const JANITOR_MS = 10_000;
const MEMORY_CACHE_BYTES = 512 * 1024 * 1024;

export function defaultCacheDir(): string {
  return process.env.SCIML_CACHE_DIR || join(homedir(), '.cache', 'sciml', 'blobs');
}

/** Input blobs by content hash: memory, then the cache folder, then Redis (verified, then cached). */
class BlobCache {
  private readonly memory = new Map<string, Uint8Array>();
  private bytes = 0;
  fetched = 0;

  constructor(
    private readonly client: Redis,
    private readonly dir: string,
  ) {}

  async get(name: string, hash: string): Promise<Uint8Array> {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`input '${name}': bad content hash '${hash}'`);
    const hit = this.memory.get(hash);
    if (hit) return hit;
    const file = join(this.dir, hash.slice(0, 2), hash);
    let data: Uint8Array | undefined;
    if (existsSync(file)) {
      const onDisk = new Uint8Array(readFileSync(file));
      if (blobHash(onDisk) === hash) data = onDisk;
    }
    if (!data) {
      const fromRedis = await this.client.getBuffer(keys.blob(hash));
      if (!fromRedis)
        throw new Error(
          `input '${name}' (blob ${hash.slice(0, 12)}) is no longer in Redis (expired or evicted): run the driver again`,
        );
      data = new Uint8Array(fromRedis);
      if (blobHash(data) !== hash) throw new Error(`input '${name}': blob ${hash.slice(0, 12)} is corrupt in Redis`);
      this.fetched++;
      try {
        writeFileAtomic(file, data);
      } catch {
        // A read-only or full cache folder only costs a refetch.
      }
    }
    this.memory.set(hash, data);
    this.bytes += data.byteLength;
    for (const [k, v] of this.memory) {
      if (this.bytes <= MEMORY_CACHE_BYTES || k === hash) break;
      this.memory.delete(k);
      this.bytes -= v.byteLength;
    }
    return data;
  }
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const origin = options.origin ?? 'sciml worker';
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const version = scimlVersion();
  const log = options.log;
  const { target, client, queueName } = await connectTo(options.url, origin, options.queue);
  const cache = new BlobCache(client, options.cacheDir ?? defaultCacheDir());
  // Trials compute: each in a thread, killed at its deadline. Stages only wait on `sh`: inline.
  const local = new LocalExecutor({
    jobs: options.jobs,
    slots: concurrency,
    isolation: 'thread',
    inlineKinds: [STAGE_KIND],
    memoryMb: options.memoryMb,
  });
  const info: WorkerInfo = {
    name,
    host: hostname(),
    pid: process.pid,
    version,
    concurrency,
    startedMs: Date.now(),
    seenMs: Date.now(),
    done: 0,
    failed: 0,
    draining: false,
    jobs: [],
  };
  const publish = async () => {
    info.seenMs = Date.now();
    try {
      await client.set(keys.worker(queueName, name), JSON.stringify(info), 'EX', WORKER_TTL_S);
    } catch {
      // Reported by the connection watcher below.
    }
  };

  const processor = async (bull: BullJob): Promise<unknown> => {
    const env = bull.data as JobEnvelope;
    if (env.v !== version) {
      const message = `worker ${name} runs sciml ${version} but job ${env.id} comes from sciml ${env.v}: start workers of sciml ${env.v} for this queue (or use --queue to keep versions apart)`;
      log.warn(message);
      throw new UnrecoverableError(message);
    }
    const attempt = Math.max(1, bull.attemptsStarted ?? 1);
    if (!(await client.exists(keys.runAlive(queueName, env.run)))) {
      log.info(`job ${env.id}: dropped, its driver (run ${env.run}) stopped heartbeating`);
      return { dropped: 'driver gone' };
    }
    const startedMs = Date.now();
    if (env.deadlineMs !== undefined && startedMs >= env.deadlineMs) {
      await storeFirstOutcome(client, queueName, bull.id!, {
        status: 'killed',
        error: `deadline reached while queued (${((startedMs - env.submittedMs) / 1000).toFixed(1)} s)`,
        worker: name,
        attempts: attempt,
        startedMs,
        endedMs: startedMs,
      });
      return { stored: true };
    }
    const entry = { id: env.id, kind: env.kind, run: env.run, sinceMs: startedMs, attempt };
    info.jobs.push(entry);
    void publish();
    try {
      await bull.updateProgress({ sciml: 'start', worker: name, attempt });
      const inputs: Record<string, Uint8Array> = {};
      let failure: string | undefined;
      try {
        for (const [input, hash] of Object.entries(env.inputs ?? {})) inputs[input] = await cache.get(input, hash);
      } catch (err) {
        failure = reasonOf(err);
      }
      const outcome = failure
        ? { status: 'failed' as const, error: failure, startedMs, endedMs: Date.now() }
        : await local.submit(
            { kind: env.kind, id: env.id, payload: env.payload, inputs, deadlineMs: env.deadlineMs, cpus: env.cpus },
            { onProgress: (event) => void bull.updateProgress({ event: toJsonSafe(event) as object }).catch(() => {}) },
          );
      // Abandoned (a second Ctrl-C): the lock expires and another worker runs the job; store nothing.
      if (abandoned) return new Promise<never>(() => {});
      const {
        id: _id,
        worker: _thread,
        attempts: _a,
        ...rest
      } = outcome as typeof outcome & { id?: string; worker?: string; attempts?: number };
      const first = await storeFirstOutcome(client, queueName, bull.id!, { ...rest, worker: name, attempts: attempt });
      if (outcome.status === 'ok') info.done++;
      else info.failed++;
      await countFinished(client, queueName, outcome.status === 'ok').catch(() => {});
      if (!first) log.info(`job ${env.id}: ran twice; the first outcome stays`);
      log.info(
        `job ${env.id} (${env.kind}) ${outcome.status} in ${((Date.now() - startedMs) / 1000).toFixed(2)} s${outcome.status === 'ok' ? '' : `: ${String(outcome.error ?? '').split('\n')[0]}`}`,
      );
      return { stored: true };
    } finally {
      info.jobs.splice(info.jobs.indexOf(entry), 1);
      void publish();
    }
  };

  const workerClient = newClient(target, { lazyConnect: false });
  const janitorClient = newClient(target, { lazyConnect: false });
  const worker = new Worker(queueName, processor, {
    connection: workerClient,
    prefix: BULL_PREFIX,
    concurrency,
    name,
    lockDuration: LOCK_MS,
    stalledInterval: STALLED_MS,
    maxStalledCount: MAX_STALLED,
    drainDelay: 2,
    autorun: false,
  });
  worker.on('error', () => {});
  const janitorQueue = new Queue(queueName, { connection: janitorClient, prefix: BULL_PREFIX });
  janitorQueue.on('error', () => {});

  // Redis lost: BullMQ keeps reconnecting; say so once, and again when it is back.
  let down = false;
  client.on('close', () => {
    if (!down && !leaving) log.warn(`lost Redis at ${target.redacted}; reconnecting`);
    down = true;
  });
  client.on('ready', () => {
    if (down && !leaving) log.warn(`Redis at ${target.redacted} is back`);
    down = false;
    void publish();
  });

  const janitor = async () => {
    try {
      const runs = await client.hgetall(keys.runs(queueName));
      for (const runId of Object.keys(runs)) {
        if (await client.exists(keys.runAlive(queueName, runId))) continue;
        const waiting = await janitorQueue.getJobs(['waiting', 'delayed', 'prioritized']);
        let removed = 0;
        for (const job of waiting) {
          if ((job?.data as JobEnvelope | undefined)?.run !== runId) continue;
          await job.remove().catch(() => {});
          removed++;
        }
        await client.hdel(keys.runs(queueName), runId);
        if (removed) log.info(`dropped ${removed} queued job(s) of run ${runId}: its driver is gone`);
      }
    } catch {
      // Next round.
    }
  };

  await publish();
  await client.hsetnx(keys.tally(queueName), 'sinceMs', String(Date.now())).catch(() => 0);
  const beat = setInterval(() => void publish(), WORKER_HEARTBEAT_MS);
  const sweep = setInterval(() => void janitor(), JANITOR_MS);
  void janitor();
  let leaving = false;
  let abandoned = false;
  void worker.run().catch((err) => log.warn(`worker stopped: ${reasonOf(err)}`));
  log.info(
    `sciml worker ${name} (sciml ${version}) on ${target.redacted} queue '${queueName}', concurrency ${concurrency}`,
  );

  // Redis commands queue while it is away: every one made on the way out is bounded.
  const graceMs = options.redisGraceMs ?? DEFAULT_REDIS_GRACE_MS;
  let markLeft!: () => void;
  const left = new Promise<void>((resolve) => (markLeft = resolve));
  let graceTimer: NodeJS.Timeout | undefined;
  // A drain needs Redis (running jobs store their outcomes there): unreachable past the grace, leave anyway.
  const watchRedis = () => {
    if (!leaving || abandoned || graceTimer || client.status === 'ready') return;
    graceTimer = setTimeout(() => {
      graceTimer = undefined;
      if (client.status === 'ready' || abandoned) return;
      log.warn(
        `Redis at ${target.redacted} unreachable for ${graceMs / 1000} s while draining: giving up the drain and leaving; running jobs go back to the queue once Redis is back`,
      );
      void leave(true);
    }, graceMs);
  };
  client.on('close', watchRedis);
  client.on('end', watchRedis);
  client.on('ready', () => {
    if (graceTimer) clearTimeout(graceTimer);
    graceTimer = undefined;
  });

  const leave = async (force: boolean) => {
    if (leaving && !force) return;
    leaving = true;
    abandoned ||= force;
    info.draining = true;
    watchRedis();
    const reachable = client.status === 'ready';
    if (reachable) await withTimeout(publish(), 1000).catch(() => undefined);
    // Forced with Redis away: BullMQ's close would only wait for it; its connections are dropped below.
    const closed =
      force && !reachable
        ? false
        : await withTimeout(worker.close(force), force ? 3000 : 24 * 3600 * 1000).then(
            () => true,
            () => false,
          );
    // A forced leave may come while a drain still waits above: only one finishes the job.
    if (!force && abandoned) return;
    if (graceTimer) clearTimeout(graceTimer);
    if (!closed)
      await withTimeout(Promise.allSettled([worker.disconnect(), janitorQueue.disconnect()]), 1000).catch(
        () => undefined,
      );
    clearInterval(beat);
    clearInterval(sweep);
    await local.close();
    if (client.status === 'ready') await withTimeout(client.del(keys.worker(queueName, name)), 1000).catch(() => 0);
    if (closed) await withTimeout(janitorQueue.close(), 3000).catch(() => janitorQueue.disconnect());
    for (const c of [client, workerClient, janitorClient]) c.disconnect();
    markLeft();
  };
  const leaveThen = (force: boolean) => {
    void leave(force).catch((err) => {
      log.warn(`leaving: ${reasonOf(err)}`);
      markLeft();
    });
    return left;
  };
  return { name, drain: () => leaveThen(false), abandon: () => leaveThen(true) };
}
