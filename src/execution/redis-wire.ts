/**
 * What the driver and `sciml worker` agree on: key names, the job envelope, how outcomes and
 * blobs are stored in Redis, and the lock settings. Both sides import this one module.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { JobOutcome, JobStatus } from './job.js';
import { packRecord, unpackRecord } from './codec.js';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';
import { UserError } from '../runtime/errors.js';

export const DEFAULT_QUEUE = 'sciml';
/** BullMQ's own keys live under `sciml:<queue>:...`. */
export const BULL_PREFIX = 'sciml';

/**
 * Lock settings. A worker renews its jobs' locks every LOCK_MS / 2 (the trials run in threads, so
 * its event loop stays free); a killed worker's job is found stalled within LOCK_MS + STALLED_MS
 * and runs again elsewhere. A job whose worker dies twice is failed (MAX_STALLED = 1 restart).
 */
export const LOCK_MS = 4000;
export const STALLED_MS = 2000;
export const MAX_STALLED = 1;
export const STALLED_REASON = 'job stalled more than allowable limit';

/** How long blobs and outcomes stay in Redis (refreshed when reused). */
const BLOB_TTL_S = 24 * 3600;
const OUTCOME_TTL_S = 24 * 3600;
/** A worker's registry entry expires this long after its last heartbeat. */
export const WORKER_TTL_S = 15;
export const WORKER_HEARTBEAT_MS = 3000;
/** A driver that stops heartbeating for this long is dead: its queued jobs are dropped. */
export const DEFAULT_GRACE_S = 60;

export const keys = {
  blob: (hash: string) => `sciml-blob:${hash}`,
  outcome: (queue: string, bullId: string) => `sciml-state:${queue}:out:${bullId}`,
  runAlive: (queue: string, runId: string) => `sciml-state:${queue}:run:${runId}`,
  runs: (queue: string) => `sciml-state:${queue}:runs`,
  worker: (queue: string, name: string) => `sciml-state:${queue}:worker:${name}`,
  workerPattern: (queue: string) => `sciml-state:${queue}:worker:*`,
  /** Hash of the queue's finished-job tally (ok, not, sinceMs), kept across workers and drivers. */
  tally: (queue: string) => `sciml-state:${queue}:tally`,
};

/** The BullMQ job's data: everything a worker needs, blobs by content hash. */
export interface JobEnvelope {
  /** sciml version of the driver: a worker of another version refuses the job. */
  v: string;
  run: string;
  id: string;
  kind: string;
  payload: unknown;
  inputs: Record<string, string>;
  deadlineMs?: number;
  cpus?: number;
  submittedMs: number;
}

/** BullMQ job ids may not contain ':'; ours are `<run>/<job id>`. */
export function bullJobId(runId: string, jobId: string): string {
  return `${runId}/${jobId}`.replace(/:/g, '%3A');
}

function connectionOptions(target: RedisTarget, extra: Partial<RedisOptions> = {}): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    username: target.username,
    password: target.password,
    tls: target.tls ? { servername: target.host } : undefined,
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    disconnectTimeout: 200,
    // Keep retrying quietly; the owners' watchdogs decide when Redis counts as lost.
    retryStrategy: (times: number) => Math.min(200 * times, 1000),
    lazyConnect: true,
    ...extra,
  };
}

export function newClient(target: RedisTarget, extra: Partial<RedisOptions> = {}): Redis {
  const client = new Redis(connectionOptions(target, extra));
  // Errors are reported by the owners' watchdogs, not as unhandled 'error' events.
  client.on('error', () => {});
  return client;
}

/** Connects and PINGs within `timeoutMs`, or throws the underlying reason (a refused connection fails at once). */
async function connectChecked(client: Redis, timeoutMs = 5000): Promise<void> {
  const reconnect = client.options.retryStrategy;
  client.options.retryStrategy = () => null;
  let timer: NodeJS.Timeout | undefined;
  let lastError: Error | undefined;
  const onError = (err: Error) => (lastError = err);
  client.on('error', onError);
  try {
    const attempt = (async () => {
      try {
        await client.connect();
      } catch (err) {
        throw lastError ?? err;
      }
      await client.ping();
    })();
    await Promise.race([
      attempt,
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(
            () => reject(lastError ?? new Error(`no answer within ${timeoutMs / 1000} s`)),
            timeoutMs,
          )),
      ),
    ]);
    client.options.retryStrategy = reconnect;
  } catch (err) {
    client.disconnect();
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
    client.off('error', onError);
  }
}

/** Stores a blob once per content hash (or refreshes its lifetime when it is already there). */
export async function putBlob(client: Redis, hash: string, data: Uint8Array): Promise<void> {
  const key = keys.blob(hash);
  if ((await client.expire(key, BLOB_TTL_S)) === 1) return;
  await client.set(key, Buffer.from(data.buffer, data.byteOffset, data.byteLength), 'EX', BLOB_TTL_S);
}

export type StoredOutcome = Omit<JobOutcome, 'id'>;

function encodeOutcome(outcome: StoredOutcome): Buffer {
  const { artifacts, ...rest } = outcome;
  const bytes = packRecord(rest, artifacts ?? {});
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeOutcome(id: string, bytes: Uint8Array): JobOutcome {
  const { meta, sections } = unpackRecord(bytes);
  const m = meta as { status: JobStatus } & Omit<JobOutcome, 'id' | 'artifacts'>;
  return { ...m, id, artifacts: Object.keys(sections).length ? sections : undefined };
}

/** Writes the outcome only when none is stored: a redelivered job never replaces the first outcome. */
export async function storeFirstOutcome(
  client: Redis,
  queue: string,
  bullId: string,
  outcome: StoredOutcome,
): Promise<boolean> {
  const stored = await client.set(keys.outcome(queue, bullId), encodeOutcome(outcome), 'EX', OUTCOME_TTL_S, 'NX');
  return stored === 'OK';
}

/** Jobs the queue's workers finished since `sinceMs` (BullMQ's own entries go with their driver). */
export interface QueueTally {
  ok: number;
  not: number;
  sinceMs?: number;
}

/** Counts one finished job in the queue's tally (the same count as the worker's row). */
export async function countFinished(client: Redis, queue: string, ok: boolean): Promise<void> {
  await client
    .multi()
    .hsetnx(keys.tally(queue), 'sinceMs', String(Date.now()))
    .hincrby(keys.tally(queue), ok ? 'ok' : 'not', 1)
    .exec();
}

export async function readTally(client: Redis, queue: string): Promise<QueueTally> {
  const h = await client.hgetall(keys.tally(queue));
  return { ok: Number(h.ok ?? 0), not: Number(h.not ?? 0), sinceMs: h.sinceMs ? Number(h.sinceMs) : undefined };
}

/** What `sciml workers` shows; written by each worker on start, on every job start/end and every heartbeat. */
export interface WorkerInfo {
  name: string;
  host: string;
  pid: number;
  version: string;
  concurrency: number;
  startedMs: number;
  seenMs: number;
  done: number;
  failed: number;
  draining: boolean;
  jobs: { id: string; kind: string; run: string; sinceMs: number; attempt: number }[];
}

export async function readWorkers(client: Redis, queue: string): Promise<WorkerInfo[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', keys.workerPattern(queue), 'COUNT', 200);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  if (found.length === 0) return [];
  const values = await client.mget(...found);
  // A killed worker's entry lingers until its TTL; one silent for a few heartbeats is gone.
  const fresh = Date.now() - 2.5 * WORKER_HEARTBEAT_MS;
  return values
    .filter((v): v is string => typeof v === 'string')
    .map((v) => JSON.parse(v) as WorkerInfo)
    .filter((w) => w.seenMs >= fresh)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** An error's reason as a user sees it (`ECONNREFUSED: connect ...`). */
export function reasonOf(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.code && !String(e.message).includes(e.code) ? `${e.code}: ${e.message}` : String(e?.message ?? err);
}

export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms)),
      ),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Parses the URL, checks the queue name, connects: any problem is a UserError naming the redacted URL. */
export async function connectTo(
  spec: string,
  origin: string,
  queue = DEFAULT_QUEUE,
): Promise<{ target: RedisTarget; client: Redis; queueName: string }> {
  const target = parseRedisUrl(spec, origin);
  if (!/^[A-Za-z0-9_.-]+$/.test(queue))
    throw new UserError(`${origin}: queue '${queue}': expected letters, digits, '_', '.' or '-'`);
  const client = newClient(target);
  try {
    await connectChecked(client);
  } catch (err) {
    throw new UserError(`${origin}: cannot reach Redis at ${target.redacted}: ${reasonOf(err)}`);
  }
  return { target, client, queueName: queue };
}
