/**
 * Distributed training over `sciml worker` processes on a loopback, password-protected Redis:
 * the same 2 replicas give the same weights on local threads and on workers (a second worker
 * joining mid-run, a worker SIGKILLed mid-round, the driver SIGKILLed and resumed), the password
 * reaches no file of the run directory, and an unreachable Redis exits 2.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, sciml } from '../helpers/cli.js';
import {
  freePort,
  redisSkipReason,
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from '../execution/redis-helpers.js';
import { Queue } from 'bullmq';
import { listWorkers } from '../../src/execution/workers.js';
import { BULL_PREFIX, connectTo, keys } from '../../src/execution/redis-wire.js';

const skip = redisSkipReason();
if (skip) console.log(`# skipped: ${skip}`);
const PASSWORD = 'dist-secret-7q';
const QUEUE = 'replicas';
const dir = mkdtempSync(join(tmpdir(), 'sciml-distributed-'));
const config = join(dir, 'tiny.yaml');
writeFileSync(
  config,
  `task: denoiser
seed: 4
data:
  simulation:
    noise: uniform
    length: 64
  train_count: 400
  test_count: 40
model:
  filters: [4, 4]
  kernel_size: 5
training:
  epochs: 3
  batch_size: 16
  learning_rate: 0.005
  patience: 0
  distributed:
    replicas: 2
    rounds_per_epoch: 3
execution:
  queue: ${QUEUE}
`,
);

let redis: RedisServer | undefined;
const workers: WorkerProcess[] = [];
let reference: Float32Array;
const url = () => `redis://:${PASSWORD}@127.0.0.1:${redis!.port}`;
const addWorker = async () => workers.push(await startWorkerProcess(url(), ['--queue', QUEUE]));

before(async () => {
  if (skip) return;
  redis = await startRedis({ password: PASSWORD });
  await addWorker();
  const local = sciml(['train', config, '--out', join(dir, 'local')]);
  assert.equal(local.code, 0, local.stderr);
  reference = weights(join(dir, 'local'));
});
after(async () => {
  for (const w of workers) await w.stop('SIGKILL');
  if (redis) await redis.stop();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

function weights(run: string): Float32Array {
  const bytes = readFileSync(join(run, 'model', 'weights.bin'));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

function assertSameWeights(run: string): void {
  const w = weights(run);
  assert.equal(w.length, reference.length);
  let diff = 0;
  for (let i = 0; i < w.length; i++) diff = Math.max(diff, Math.abs(w[i] - reference[i]));
  assert.ok(diff <= 1e-6, `weights differ from the local run by ${diff}`);
}

function roundsDone(run: string): number {
  try {
    return (JSON.parse(readFileSync(join(run, 'rounds.json'), 'utf8')) as { rounds: unknown[] }).rounds.length;
  } catch {
    return 0;
  }
}

interface Rounds {
  rounds: { round: number; replicas: number; jobs: { replica: number; worker: string; attempts: number }[] }[];
}

/** A driver in the background; resolves its exit code. */
function driver(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, stderr: () => stderr };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 300_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a replica job of round 3 or later is active in BullMQ with no outcome stored yet (the first stored outcome wins). */
async function unfinishedReplicaJob(): Promise<boolean> {
  const { client, queueName } = await connectTo(url(), 'test', QUEUE);
  const queue = new Queue(queueName, { connection: client, prefix: BULL_PREFIX });
  try {
    for (const job of await queue.getActive()) {
      if (
        job.name === 'train-replica' &&
        /round-([2-9])\//.test(job.id ?? '') &&
        (await client.exists(keys.outcome(queueName, job.id!))) === 0
      )
        return true;
    }
    return false;
  } finally {
    await queue.close().catch(() => {});
    client.disconnect();
  }
}

function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('2 replicas on Redis workers equal 2 local replicas; a worker joining mid-run takes replica jobs; no file holds the password', {
  skip,
}, async () => {
  const run = join(dir, 'elastic');
  const d = driver(['train', config, '--executor', url(), '--out', run]);
  // The second worker starts once the first runs a replica job, and joins a few rounds in.
  await until('the first replica job', async () =>
    (await listWorkers(url(), { queue: QUEUE })).workers.some((w) => w.jobs.some((j) => j.kind === 'train-replica')),
  );
  await addWorker();
  assert.ok(roundsDone(run) < 9, 'the second worker joined mid-run');
  assert.equal(await d.exited, 0, d.stderr());
  assertSameWeights(run);
  const rounds = JSON.parse(readFileSync(join(run, 'rounds.json'), 'utf8')) as Rounds;
  const ran = new Set(rounds.rounds.flatMap((r) => r.jobs.map((j) => j.worker)));
  assert.equal(ran.size, 2, `both workers ran replica jobs: ${[...ran].join(', ')}`);
  const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
  assert.equal(info.distributed.replicas, 2);
  assert.equal(info.distributed.per_round.length, 9);
  for (const file of filesUnder(run)) assert.ok(!readFileSync(file).includes(PASSWORD), `${file} holds the password`);
  assert.ok(!d.stderr().includes(PASSWORD));
});

test('workers SIGKILLed mid-round: the unfinished replica job runs again on new workers and the run ends with the same weights', {
  skip,
}, async () => {
  const run = join(dir, 'worker-killed');
  const d = driver(['train', config, '--executor', url(), '--out', run]);
  // Freeze every worker, and kill them only if a replica job of round 3 or later is then unfinished
  // (active in BullMQ, no outcome stored): it must run again. A job that finished before the
  // freeze would not, and the test would prove nothing. BullMQ is asked directly: the workers'
  // own listing is a heartbeat and lags behind short jobs.
  const live = () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  await until('a replica job of round 3 or later unfinished while every worker is frozen', async () => {
    const frozen = live();
    for (const w of frozen) w.child.kill('SIGSTOP');
    if (await unfinishedReplicaJob()) return true;
    for (const w of frozen) w.child.kill('SIGCONT');
    return false;
  });
  const killed = live();
  for (const w of killed) await w.stop('SIGKILL');
  for (let i = 0; i < killed.length; i++) await addWorker();
  assert.equal(await d.exited, 0, d.stderr());
  assertSameWeights(run);
  const rounds = JSON.parse(readFileSync(join(run, 'rounds.json'), 'utf8')) as Rounds;
  assert.ok(
    rounds.rounds.some((r) => r.jobs.some((j) => j.attempts > 1)),
    'a replica job was delivered again',
  );
  assert.ok(rounds.rounds.every((r) => r.replicas === 2));
});

test('the driver SIGKILLed mid-run: --resume reattaches and ends with the weights of an uninterrupted run', {
  skip,
}, async () => {
  const run = join(dir, 'driver-killed');
  const d = driver(['train', config, '--executor', url(), '--out', run]);
  await until('round 3', () => roundsDone(run) >= 3);
  d.child.kill('SIGKILL');
  await d.exited;
  assert.ok(roundsDone(run) < 9, 'the driver died before the end');
  const resumed = sciml(['train', '--resume', run, '--executor', url()]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assertSameWeights(run);
  assert.equal(roundsDone(run), 9);
});

test('Redis unreachable: exit 2 naming the redacted URL', async () => {
  const port = await freePort();
  const r = sciml([
    'train',
    config,
    '--executor',
    `redis://:${PASSWORD}@127.0.0.1:${port}`,
    '--out',
    join(dir, 'unreachable'),
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
  assert.ok(!r.stderr.includes(PASSWORD));
  assert.ok(!existsSync(join(dir, 'unreachable', 'model', 'weights.bin')));
});
