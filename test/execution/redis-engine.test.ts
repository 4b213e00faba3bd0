/**
 * The Redis executor and `sciml worker` against Debian's redis-server on loopback: first outcome
 * kept, a job that kills its worker twice fails, other versions refused, deadlines count queue
 * wait, an unreachable or lost Redis is a UserError naming the redacted URL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisExecutor } from '../../src/execution/redis.js';
import { listWorkers } from '../../src/execution/workers.js';
import { BULL_PREFIX, keys } from '../../src/execution/redis-wire.js';
import { scimlVersion } from '../../src/runtime/version.js';
import { isUserError } from '../../src/runtime/errors.js';
import {
  SCIML,
  freePort,
  redisSkipReason,
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from './redis-helpers.js';

const skip = redisSkipReason();
let redis: RedisServer;
const workers: WorkerProcess[] = [];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  if (!skip) redis = await startRedis();
});
after(async () => {
  for (const w of workers) await w.stop('SIGKILL');
  if (redis) await redis.stop();
});

test('a job whose worker is SIGKILLed runs again on another worker; one that kills two workers fails with that reason', {
  skip,
}, async () => {
  const queue = 'kills';
  // Four: one lost for 'once', two for 'twice', one left to notice the second stall.
  workers.push(
    ...(await Promise.all(
      [0, 1, 2, 3].map((i) => startWorkerProcess(redis.url, ['--queue', queue, '--name', `w${i}`])),
    )),
  );
  const ex = await RedisExecutor.connect(redis.url, { queue });
  try {
    const killed = new Set<string>();
    const runningOn = async (id: string) =>
      (await listWorkers(redis.url, { queue })).workers.find(
        (w) => !killed.has(w.name) && w.jobs.some((j) => j.id === id),
      );
    const killWorkerOf = async (id: string) => {
      const w = await waitFor(`job ${id} to start`, () => runningOn(id));
      const proc = workers.find((p) => p.stderr().includes(`sciml worker ${w.name} `))!;
      killed.add(w.name);
      await proc.stop('SIGKILL');
      return w.name;
    };
    // Once: the job resumes elsewhere within seconds.
    const t0 = Date.now();
    const once = ex.submit<{ pid: number }>({ kind: 'probe', id: 'once', payload: { sleep_ms: 1500 } });
    const first = await killWorkerOf('once');
    const outcome = await once;
    assert.equal(outcome.status, 'ok', outcome.error);
    assert.equal(outcome.attempts, 2);
    assert.notEqual(outcome.worker, first);
    assert.ok(Date.now() - t0 < 15_000, `resumed after ${(Date.now() - t0) / 1000} s`);
    // Twice: failed, not retried forever (the third worker's stalled check gives up on it).
    const twice = ex.submit({ kind: 'probe', id: 'twice', payload: { sleep_ms: 1500 } });
    await killWorkerOf('twice');
    await killWorkerOf('twice');
    const failed = await twice;
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /lost its worker twice/);
  } finally {
    await ex.close();
  }
});

test('the driver keeps the first outcome of a job delivered twice; resubmitting a finished id does not run it again', {
  skip,
}, async () => {
  const queue = 'dups';
  const w = await startWorkerProcess(redis.url, ['--queue', queue, '--concurrency', '2']);
  workers.push(w);
  const ex = await RedisExecutor.connect(redis.url, { queue, runId: 'dup-run' });
  const client = new Redis(redis.url);
  const rawClient = client.duplicate();
  const raw = new Queue(queue, { connection: rawClient, prefix: BULL_PREFIX });
  try {
    const a = await ex.submit<{ echo: unknown }>({ kind: 'probe', id: 'job-1', payload: { echo: 'first' } });
    assert.equal(a.status, 'ok');
    // A second delivery of the same job (as after a lost lock): the worker runs it again, its outcome is discarded.
    const data = {
      v: scimlVersion(),
      run: 'dup-run',
      id: 'job-1',
      kind: 'probe',
      payload: { echo: 'second' },
      inputs: {},
      submittedMs: Date.now(),
    };
    const again = await raw.add('probe', data, { jobId: 'dup-run/job-1-redelivered' });
    await waitFor('the redelivery to finish', async () =>
      (await again.getState()) === 'completed' ? true : undefined,
    );
    // Stored under the redelivery's own id it would be a new job; under the original id the first outcome stays:
    const stored = await client.getBuffer(keys.outcome(queue, 'dup-run/job-1'));
    assert.ok(stored, 'the first outcome is stored');
    await new Promise((r) => setTimeout(r, 100));
    assert.match(w.stderr(), /job job-1 \(probe\) ok/);
    const b = await ex.submit<{ echo: unknown }>({ kind: 'probe', id: 'job-1', payload: { echo: 'third' } });
    assert.deepEqual(b, a, 'same outcome object, not a re-run');
    // A second outcome written for the original id (the at-least-once case) does not replace the first.
    const { storeFirstOutcome, decodeOutcome } = await import('../../src/execution/redis-wire.js');
    const replaced = await storeFirstOutcome(client, queue, 'dup-run/job-1', {
      status: 'ok',
      result: { echo: 'late' },
      attempts: 2,
      startedMs: 0,
      endedMs: 0,
    });
    assert.equal(replaced, false);
    assert.deepEqual(
      (
        decodeOutcome('job-1', (await client.getBuffer(keys.outcome(queue, 'dup-run/job-1')))!).result as {
          echo: unknown;
        }
      ).echo,
      'first',
    );
  } finally {
    await raw.close();
    rawClient.disconnect();
    client.disconnect();
    await ex.close();
  }
});

test('a worker of another sciml version refuses the job with a clear message; jobs of a dead driver are dropped', {
  skip,
}, async () => {
  const queue = 'versions';
  const w = await startWorkerProcess(redis.url, ['--queue', queue]);
  workers.push(w);
  const client = new Redis(redis.url);
  const rawClient = client.duplicate();
  const raw = new Queue(queue, { connection: rawClient, prefix: BULL_PREFIX });
  try {
    await client.set(keys.runAlive(queue, 'old-run'), '1', 'EX', 60);
    const job = await raw.add(
      'probe',
      { v: '0.0.1-other', run: 'old-run', id: 'j', kind: 'probe', payload: {}, inputs: {}, submittedMs: Date.now() },
      { jobId: 'old-run/j' },
    );
    const reason = await waitFor('the refusal', async () =>
      (await job.getState()) === 'failed' ? (await raw.getJob(job.id!))!.failedReason : undefined,
    );
    assert.match(
      reason,
      new RegExp(`runs sciml ${scimlVersion().replace(/\./g, '\\.')} but job j comes from sciml 0\\.0\\.1-other`),
    );
    assert.match(w.stderr(), /comes from sciml 0\.0\.1-other/);
    // No heartbeat key for the run: its driver is gone, the worker does not run the job.
    const orphan = await raw.add(
      'probe',
      {
        v: scimlVersion(),
        run: 'dead-run',
        id: 'o',
        kind: 'probe',
        payload: { sleep_ms: 3000 },
        inputs: {},
        submittedMs: Date.now(),
      },
      { jobId: 'dead-run/o' },
    );
    const value = await waitFor(
      'the orphan',
      async () => ((await orphan.getState()) === 'completed' ? (await raw.getJob(orphan.id!))!.returnvalue : undefined),
      2500,
    );
    assert.deepEqual(value, { dropped: 'driver gone' });
    assert.equal(await client.exists(keys.outcome(queue, 'dead-run/o')), 0);
  } finally {
    await raw.close();
    rawClient.disconnect();
    client.disconnect();
  }
});

test('the deadline counts queue wait; `sciml workers` lists who runs what and counts finished jobs as its rows do', {
  skip,
}, async () => {
  const queue = 'deadline';
  const ex = await RedisExecutor.connect(redis.url, { queue });
  try {
    const t0 = Date.now();
    const out = await ex.submit({ kind: 'probe', id: 'never', payload: {}, deadlineMs: Date.now() + 600 });
    assert.equal(out.status, 'killed');
    assert.match(out.error ?? '', /while queued/);
    assert.ok(Date.now() - t0 < 3000);
    const w = await startWorkerProcess(redis.url, ['--queue', queue, '--name', 'lister', '--concurrency', '2']);
    workers.push(w);
    assert.equal((await ex.submit({ kind: 'probe', id: 'quick', payload: {} })).status, 'ok');
    // Still running when the listing is taken, however slowly the CLI starts (the worker is SIGKILLed after the file).
    void ex.submit({ kind: 'probe', id: 'busy', payload: { sleep_ms: 120_000 } });
    await waitFor('the job to start', async () =>
      (await listWorkers(redis.url, { queue })).workers[0]?.jobs.length ? true : undefined,
    );
    const r = spawnSync(process.execPath, [SCIML, 'workers', redis.url, '--queue', queue], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /queue 'deadline': 0 queued, 1 running; finished [^\n]*: 1 ok, 0 not/);
    assert.match(r.stdout, /lister\s+\S+\s+2\s+.*1 ok, 0 not\s+probe busy/);
    // The driver removes its finished jobs from BullMQ when it ends; the queue's line still counts them as the row does.
    await ex.close();
    const after = spawnSync(process.execPath, [SCIML, 'workers', redis.url, '--queue', queue], { encoding: 'utf8' });
    assert.match(after.stdout, /finished [^\n]*: 1 ok, 0 not/);
    assert.match(after.stdout, /lister\s+.*1 ok, 0 not/);
  } finally {
    await ex.close();
  }
});

test('Redis unreachable: exit 2 naming the redacted URL; Redis lost mid-run: a UserError naming it, and a worker still stops on SIGTERM', {
  skip,
}, async () => {
  const port = await freePort();
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'sciml-redis-down-'));
  try {
    const csv = join(dir, 't.csv');
    writeFileSync(csv, 'a,b,y\n' + Array.from({ length: 60 }, (_, i) => `${i},${i % 7},${i * 2}`).join('\n') + '\n');
    const down = spawnSync(
      process.execPath,
      [SCIML, 'automl', csv, '--executor', `redis://user:hunter2-secret@127.0.0.1:${port}`, '--out', join(dir, 'run')],
      { encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    );
    assert.equal(down.status, 2, down.stderr);
    assert.match(down.stderr, new RegExp(`cannot reach Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
    assert.ok(!down.stderr.includes('hunter2'), down.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const own = await startRedis();
  const w = await startWorkerProcess(own.url, ['--redis-grace', '1']);
  workers.push(w);
  const ex = await RedisExecutor.connect(own.url, { lostAfterMs: 1000 });
  try {
    const pending = ex.submit({ kind: 'probe', id: 'cut', payload: { sleep_ms: 10_000 } });
    await waitFor('the job to start', async () =>
      (await listWorkers(own.url)).workers[0]?.jobs.length ? true : undefined,
    );
    await own.stop();
    await assert.rejects(
      pending,
      (err: unknown) =>
        isUserError(err) &&
        new RegExp(`lost the connection to Redis at redis://127\\.0\\.0\\.1:${own.port}`).test((err as Error).message),
    );
  } finally {
    await ex.close();
  }
  // The worker, its Redis gone and a job running, still stops on SIGTERM: after the grace, saying so.
  const code = await Promise.race([
    w.stop('SIGTERM'),
    new Promise<string>((res) => setTimeout(() => res('still running 60 s after SIGTERM'), 60_000).unref()),
  ]);
  assert.equal(code, 0, w.stderr());
  assert.match(
    w.stderr(),
    /SIGTERM: draining[^]*Redis at redis:\/\/127\.0\.0\.1:\d+ unreachable for 1 s while draining: giving up the drain and leaving/,
  );
});
