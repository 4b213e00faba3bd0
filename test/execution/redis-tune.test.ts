/**
 * `sciml tune` through two `sciml worker` processes on a loopback redis-server: the driver is
 * SIGKILLed mid-search, `sciml tune --resume RUN --executor URL` reattaches to the same run's jobs,
 * runs no finished trial again, and ends with the leaderboard of an uninterrupted local run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sciml } from '../helpers/cli.js';
import { HALVING, KNOTS_BASE, journal, leaderboardRows, tuneKilledMidTrial, workdir } from '../tune/helpers.js';
import { redisSkipReason, redisWithWorkers } from './redis-helpers.js';

const skip = redisSkipReason();
if (skip) console.log(`# skipped: ${skip}`);
const QUEUE = 'tunes';
const dir = workdir({ 'knots.yaml': KNOTS_BASE, 'tune.yaml': HALVING });
// The same search with the queue named in the tune file (the URL comes from --executor).
writeFileSync(join(dir, 'tune-remote.yaml'), `${HALVING}execution:\n  queue: ${QUEUE}\n`);
const redis = redisWithWorkers(QUEUE, 2, () => {
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

test('a tune driver killed mid-search over Redis resumes with --executor, runs no finished trial again, and matches the local leaderboard', {
  skip,
}, async () => {
  const url = redis.url();
  const reference = join(dir, 'reference');
  const local = sciml(['tune', join(dir, 'tune.yaml'), '--out', reference]);
  assert.equal(local.code, 0, local.stderr);

  const killed = join(dir, 'killed');
  await tuneKilledMidTrial([join(dir, 'tune-remote.yaml'), '--executor', url, '--out', killed], killed, 4);
  const before = journal(killed);
  const runId = before[0].executor_run;
  assert.match(String(runId), /^tune-[0-9a-f]{16}$/, 'the first start event records the run id on the queue');
  // Checkpoints streamed as progress crossed Redis as bytes (a mangled blob would fail the resume).
  assert.ok(
    before.some((e) => e.ev === 'checkpoint'),
    'checkpoints came back through progress',
  );
  const toldBefore = new Set(before.filter((e) => e.ev === 'tell').map((e) => e.run));
  const unfinished = before.filter((e) => (e.ev === 'ask' || e.ev === 'promote') && !toldBefore.has(e.run));
  assert.ok(unfinished.length > 0, 'the kill should leave a trial running');

  const resumed = sciml(['tune', '--resume', killed, '--executor', url]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const afterEvents = journal(killed);
  const starts = afterEvents.filter((e) => e.ev === 'start');
  assert.equal(starts.length, 2);
  assert.equal(starts[1].executor_run, runId, 'the resumed driver reattaches under the same run id');
  const asks = afterEvents.filter((e) => e.ev === 'ask' || e.ev === 'promote').map((e) => e.run);
  assert.equal(new Set(asks).size, asks.length, 'no trial was handed out twice');
  const tells = afterEvents.filter((e) => e.ev === 'tell').map((e) => e.run);
  assert.equal(new Set(tells).size, tells.length, 'no finished trial ran twice');
  for (const e of afterEvents)
    if (e.ev === 'tell')
      assert.ok(
        e.worker && e.worker !== 'local' && Number(e.attempts) >= 1,
        `each result names the worker that ran it: ${JSON.stringify(e)}`,
      );
  assert.ok(
    afterEvents.slice(before.length).every((e) => e.ev !== 'epoch' || !toldBefore.has(e.run)),
    'a finished trial reported epochs after the resume',
  );
  assert.equal(
    tells.length,
    leaderboardRows(reference).length + 4,
    'every ask and promotion was told once (9 + 3 + 1)',
  );
  assert.deepEqual(leaderboardRows(killed), leaderboardRows(reference));
  // Every trial job ran exactly once, on a worker: the two left running at the kill were reattached, not run again.
  // (The test's event loop was blocked by spawnSync: give the workers' stderr a moment to arrive.)
  const ranJobs = () =>
    redis.workers.flatMap((w) => [...w.stderr().matchAll(/job (all\/\d+\/\d+) \(tune-trial\) ok/g)].map((m) => m[1]));
  for (let i = 0; i < 40 && ranJobs().length < tells.length; i++) await new Promise((r) => setTimeout(r, 50));
  const jobs = ranJobs();
  assert.equal(jobs.length, tells.length, `jobs the workers ran: ${jobs.join(', ')}`);
  assert.equal(new Set(jobs).size, jobs.length, `a job ran twice: ${jobs.join(', ')}`);
});
