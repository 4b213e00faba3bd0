/**
 * `sciml automl` through `sciml worker` processes on a loopback redis-server: the same seeded
 * leaderboard as the local executor, a worker SIGKILLed mid-trial costs nothing but time, and the
 * Redis password appears in no file of the run directory nor on stderr.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { syntheticCsv, tempDir, writeFile } from '../automl/helpers.js';
import { listWorkers } from '../../src/execution/workers.js';
import {
  SCIML,
  redisSkipReason,
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from './redis-helpers.js';

const skip = redisSkipReason();
const PASSWORD = 'Tr1al-s3cret-pw';
const dir = tempDir();
const data = writeFile(dir, 'data.csv', syntheticCsv(900, 3));
let redis: RedisServer;
const workers: WorkerProcess[] = [];

function config(name: string, executor?: string): string {
  const lines = [
    'task: automl',
    'seed: 11',
    'data:',
    `  path: ${data}`,
    '  target: y',
    '  test_fraction: 0.25',
    'search:',
    '  time_limit_s: 120',
    '  max_trials: 8',
    '  learners: [gbm, ridge]',
    'ensemble:',
    '  candidates: 5',
  ];
  if (executor) lines.push('execution:', `  executor: ${executor}`);
  return writeFile(dir, `${name}.yaml`, lines.join('\n') + '\n');
}

/** The leaderboard without timings: model, cv, holdout, params of every row, in rank order. */
function leaderboard(run: string): string[] {
  return tableFromIPC(readFileSync(join(run, 'leaderboard.arrow')))
    .toArray()
    .map((row) => {
      const { fit_time_s: _f, predict_time_s: _p, ...rest } = row.toJSON() as Record<string, unknown>;
      return JSON.stringify(rest);
    });
}

function trials(run: string): Record<string, unknown>[] {
  return readFileSync(join(run, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

let localRun = '';
before(async () => {
  if (skip) return;
  redis = await startRedis({ password: PASSWORD });
  const local = spawnSync(process.execPath, [SCIML, '--json', 'train', config('local'), '--out', join(dir, 'local')], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  assert.equal(local.status, 0, local.stderr);
  localRun = JSON.parse(local.stdout).run_dir;
});
after(async () => {
  for (const w of workers) await w.stop('SIGKILL');
  if (redis) await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a seeded --max-trials automl run through 2 sciml workers gives the local leaderboard; the password is in no run file nor stderr', {
  skip,
}, async () => {
  const url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
  // The workers take the password from the environment, the driver from the URL in its config.
  const pair = await Promise.all(
    [0, 1].map(() => startWorkerProcess(`redis://127.0.0.1:${redis.port}`, [], { SCIML_REDIS_PASSWORD: PASSWORD })),
  );
  workers.push(...pair);
  const r = spawnSync(
    process.execPath,
    [SCIML, '--json', 'train', config('remote', url), '--out', join(dir, 'remote')],
    { encoding: 'utf8', env: { ...process.env, CI: 'true' } },
  );
  assert.equal(r.status, 0, r.stderr);
  const run = JSON.parse(r.stdout).run_dir as string;
  assert.deepEqual(leaderboard(run), leaderboard(localRun));
  const remote = trials(run);
  assert.equal(remote.length, 8);
  assert.ok(remote.every((t) => t.status === 'ok'));
  const names = new Set(remote.map((t) => t.worker));
  assert.ok(
    [...names].every((n) => typeof n === 'string' && /-\d+$/.test(n as string)),
    `worker names: ${[...names].join(', ')}`,
  );
  assert.ok(trials(localRun).every((t) => t.worker === 'local'));

  for (const file of filesUnder(run)) assert.ok(!readFileSync(file).includes(PASSWORD), `${file} holds the password`);
  assert.ok(!r.stderr.includes(PASSWORD) && !r.stdout.includes(PASSWORD));
  for (const w of pair) assert.ok(!w.stderr().includes(PASSWORD));
  assert.match(readFileSync(join(run, 'config.yaml'), 'utf8'), /executor: redis:\/\/\*\*\*@127\.0\.0\.1:\d+/);
  assert.match(readFileSync(join(run, 'run.json'), 'utf8'), /redis:\/\/\*\*\*@127\.0\.0\.1/);
  for (const w of pair) assert.equal(await w.stop('SIGTERM'), 0, 'a drained worker exits 0');
  workers.length = 0;
});

test('SIGKILL a worker mid-trial: the run completes, every trial ok, the same leaderboard', { skip }, async () => {
  const env = { SCIML_REDIS_PASSWORD: PASSWORD };
  const url = `redis://127.0.0.1:${redis.port}`;
  const pair = await Promise.all([0, 1].map((i) => startWorkerProcess(url, ['--name', `kill-${i}`], env)));
  workers.push(...pair);
  const driver = spawn(
    process.execPath,
    [SCIML, '--json', 'train', config('killed', url), '--out', join(dir, 'killed')],
    { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  driver.stdout.on('data', (d) => (stdout += d));
  driver.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => driver.once('exit', (code) => r(code)));
  // Kill the first worker seen running a trial, while it runs it.
  let victim: { name: string; job: string } | undefined;
  while (!victim && driver.exitCode === null) {
    const listing = await listWorkers(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`);
    const busy = listing.workers.find((w) => w.jobs.some((j) => j.kind === 'automl-trial'));
    if (busy) victim = { name: busy.name, job: busy.jobs[0].id };
    else await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(victim, 'a worker was seen running a trial');
  await pair.find((w) => w.stderr().includes(`sciml worker ${victim!.name} `))!.stop('SIGKILL');
  assert.equal(await exited, 0, stderr);
  const run = JSON.parse(stdout).run_dir as string;
  const all = trials(run);
  assert.ok(
    all.every((t) => t.status === 'ok'),
    JSON.stringify(all.map((t) => [t.id, t.status, t.error])),
  );
  const again = all.find((t) => `trial-${t.id}` === victim!.job)!;
  assert.equal(again.attempts, 2, `trial ${again.id} was restarted`);
  assert.equal(again.worker, 'kill-' + (victim.name === 'kill-0' ? 1 : 0));
  assert.deepEqual(leaderboard(run), leaderboard(localRun));
});
