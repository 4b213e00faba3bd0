/**
 * `sciml pipeline run --executor redis://...` through two `sciml worker` processes on a loopback
 * redis-server: independent stages run on both workers at once, deps travel to the workers and
 * outs come back (the workers never touch the pipeline's folder), the lock is valid afterwards,
 * and the outs equal those of a local run byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sciml } from '../helpers/cli.js';
import { SCIML, redisSkipReason, redisWithWorkers } from './redis-helpers.js';

const skip = redisSkipReason();
if (skip) console.log(`# skipped: ${skip}`);
const QUEUE = 'stages';
const dir = mkdtempSync(join(tmpdir(), 'sciml-redis-pipeline-'));
// Each side stage records where it ran and when it started and ended (ns), around a 2 s sleep.
const side = (name: string) =>
  `mkdir -p out && { pwd; date +%s%N; sleep 2; cat input.txt; date +%s%N; } > out/${name}.txt`;
const PIPELINE = `stages:
  left:
    cmd: ${side('left')}
    deps: [input.txt]
    outs: [out/left.txt]
  right:
    cmd: ${side('right')}
    deps: [input.txt]
    outs: [out/right.txt]
  traces:
    cmd: sciml data generate radio -n 16 --seed 3 --set length=128 -o gen/traces.arrow
    deps: [out/left.txt]
    outs: [gen]
  join:
    cmd: "{ sed -n 3p out/left.txt; sed -n 3p out/right.txt; ls gen; } > joined.txt"
    deps: [out/left.txt, out/right.txt, gen]
    outs: [joined.txt]
execution:
  queue: ${QUEUE}
`;
mkdirSync(join(dir, 'template'));
writeFileSync(join(dir, 'template', 'pipeline.yaml'), PIPELINE);
writeFileSync(join(dir, 'template', 'input.txt'), 'hello from the driver\n');
const redis = redisWithWorkers(QUEUE, 2, () => {
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

function project(name: string): string {
  const folder = join(dir, name);
  cpSync(join(dir, 'template'), folder, { recursive: true });
  return folder;
}

function times(file: string): { where: string; start: number; end: number } {
  const [where, start, , end] = readFileSync(file, 'utf8').trim().split('\n');
  return { where, start: Number(start) / 1e6, end: Number(end) / 1e6 };
}

test('independent stages run on two workers at once, outs come back, and the lock is valid', { skip }, () => {
  const url = redis.url();
  const remote = project('remote');
  const run = sciml(['pipeline', 'run', join(remote, 'pipeline.yaml'), '--executor', url, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  const byName = Object.fromEntries(report.stages.map((s: { name: string }) => [s.name, s]));
  for (const name of ['left', 'right', 'traces', 'join'])
    assert.equal(byName[name].state, 'ran', `${name}: ${JSON.stringify(byName[name])}`);
  assert.ok(
    byName.left.worker && byName.right.worker && !byName.left.worker.startsWith('local:'),
    'remote workers ran the stages',
  );

  const left = times(join(remote, 'out', 'left.txt'));
  const right = times(join(remote, 'out', 'right.txt'));
  assert.ok(
    left.start < right.end && right.start < left.end,
    `the two 2 s stages overlapped: left ${left.start}-${left.end}, right ${right.start}-${right.end}`,
  );
  assert.notEqual(byName.left.worker, byName.right.worker, 'each ran on its own worker');
  assert.ok(
    !left.where.startsWith(remote) && !right.where.startsWith(remote),
    `the workers ran in folders of their own, not the driver's (${left.where})`,
  );
  assert.equal(
    readFileSync(join(remote, 'joined.txt'), 'utf8'),
    'hello from the driver\nhello from the driver\ntraces.arrow\n',
    'deps arrived and outs came back through the downstream stage',
  );

  const status = sciml(['pipeline', 'status', join(remote, 'pipeline.yaml'), '--json']);
  assert.equal(status.code, 0, status.stderr);
  for (const s of JSON.parse(status.stdout).stages)
    assert.equal(s.status, 'up to date', `${s.name} after the remote run: ${JSON.stringify(s)}`);

  // The same pipeline run locally makes the same bytes (the stage that runs sciml is seeded).
  const local = project('local');
  const localRun = sciml(['pipeline', 'run', join(local, 'pipeline.yaml'), '--executor', 'local']);
  assert.equal(localRun.code, 0, localRun.stderr);
  assert.deepEqual(readFileSync(join(remote, 'gen', 'traces.arrow')), readFileSync(join(local, 'gen', 'traces.arrow')));

  // A changed dep re-runs what depends on it, on the workers.
  writeFileSync(join(remote, 'input.txt'), 'changed\n');
  const again = sciml(['pipeline', 'run', join(remote, 'pipeline.yaml'), '--executor', url, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const states = Object.fromEntries(
    JSON.parse(again.stdout).stages.map((s: { name: string; state: string }) => [s.name, s.state]),
  );
  assert.deepEqual(states, { left: 'ran', right: 'ran', traces: 'ran', join: 'ran' });
  assert.deepEqual(readFileSync(join(remote, 'gen', 'traces.arrow')), readFileSync(join(local, 'gen', 'traces.arrow')));
  assert.equal(readFileSync(join(remote, 'joined.txt'), 'utf8'), 'changed\nchanged\ntraces.arrow\n');
});

test('a stage run again with the same signature after a clean finish runs anew on the workers', { skip }, () => {
  const url = redis.url();
  const folder = project('same-signature');
  const file = join(folder, 'pipeline.yaml');
  const first = sciml(['pipeline', 'run', file, 'traces', '--executor', url, '--json']);
  assert.equal(first.code, 0, first.stderr);
  rmSync(join(folder, 'pipeline.lock'));
  const second = sciml(['pipeline', 'run', file, 'traces', '--executor', url, '--no-run-cache', '--json']);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(JSON.parse(second.stdout).stages[0].state, 'ran');
});

test('a pipeline driver killed mid-stage, run again, reattaches to the running stage instead of running it twice', {
  skip,
}, async () => {
  const url = redis.url();
  const folder = join(dir, 'killed');
  mkdirSync(folder);
  // The count file is outside the shipped tree: the one channel through which the test sees each start.
  const count = join(dir, 'killed-starts.txt');
  writeFileSync(
    join(folder, 'pipeline.yaml'),
    `stages:\n  slow:\n    cmd: echo started >> ${count} && sleep 3 && echo done > slow.txt\n    outs: [slow.txt]\nexecution:\n  queue: ${QUEUE}\n`,
  );
  const driver = spawn(process.execPath, [SCIML, 'pipeline', 'run', join(folder, 'pipeline.yaml'), '--executor', url], {
    stdio: 'ignore',
    env: { ...process.env, CI: 'true' },
  });
  for (let i = 0; i < 200 && !existsSync(count); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(count), 'the stage started on a worker');
  driver.kill('SIGKILL');
  await new Promise((r) => driver.once('exit', r));
  const again = sciml(['pipeline', 'run', join(folder, 'pipeline.yaml'), '--executor', url, '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).stages[0].state, 'ran');
  assert.equal(readFileSync(join(folder, 'slow.txt'), 'utf8'), 'done\n');
  assert.equal(readFileSync(count, 'utf8'), 'started\n', 'the stage ran once');
});
