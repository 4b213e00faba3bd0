import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { bin } from '../helpers/cli.js';
import { count, lockOf, pipe, pipeJson, project, stateOf } from './helpers.js';

const TWO_SLEEPERS = `stages:
  left:
    cmd: sh -c 'sleep 0.5; echo x > left.txt'
    outs: [left.txt]
  right:
    cmd: sh -c 'sleep 0.5; echo x > right.txt'
    outs: [right.txt]
`;

function interval(lock: any, name: string): [number, number] {
  return [Date.parse(lock.stages[name].started_at), Date.parse(lock.stages[name].ended_at)];
}

test('two independent stages overlap in time with -j 2 and not with -j 1', async () => {
  const parallel = project(TWO_SLEEPERS);
  assert.equal((await pipe(parallel, 'run', '-j', '2')).code, 0);
  const [a0, a1] = interval(lockOf(parallel), 'left');
  const [b0, b1] = interval(lockOf(parallel), 'right');
  assert.ok(a0 < b1 && b0 < a1, `overlap expected: [${a0}, ${a1}] [${b0}, ${b1}]`);

  const serial = project(TWO_SLEEPERS);
  assert.equal((await pipe(serial, 'run', '-j', '1')).code, 0);
  const [c0, c1] = interval(lockOf(serial), 'left');
  const [d0, d1] = interval(lockOf(serial), 'right');
  assert.ok(c1 <= d0 || d1 <= c0, `no overlap expected: [${c0}, ${c1}] [${d0}, ${d1}]`);
});

test('a stage declaring cpus: 2 does not share two slots', async () => {
  const dir = project(TWO_SLEEPERS.replace('    outs: [left.txt]', '    outs: [left.txt]\n    cpus: 2'));
  assert.equal((await pipe(dir, 'run', '-j', '2')).code, 0);
  const [a0, a1] = interval(lockOf(dir), 'left');
  const [b0, b1] = interval(lockOf(dir), 'right');
  assert.ok(a1 <= b0 || b1 <= a0, 'the 2-cpu stage had both slots');
});

const FAILING = `stages:
  bad:
    cmd: echo broken >&2; exit 3
    outs: [bad.txt]
  after_bad:
    cmd: echo x >> runs-after.count; cat bad.txt > after.txt
    deps: [bad.txt]
    outs: [after.txt]
  fine:
    cmd: echo x >> runs-fine.count; echo ok > fine.txt
    outs: [fine.txt]
`;

test('a failing stage skips its downstream; --keep-going finishes independent stages; the exit is non-zero; the lock has only completed stages', async () => {
  const dir = project(FAILING);
  const stop = await pipeJson(dir, 'run', '-j', '1');
  assert.equal(stop.code, 1);
  assert.deepEqual(stateOf(stop), { bad: 'failed', after_bad: 'skipped', fine: 'not-run' });
  assert.match(stop.stderr, /stage bad failed: exit status 3/);
  assert.match(stop.stderr, /broken/, 'the tail of the stage log is shown');
  assert.equal(count(dir, 'fine'), 0);
  assert.ok(!existsSync(join(dir, 'pipeline.lock')) || Object.keys(lockOf(dir).stages).length === 0);
  // The live status file `sciml ui` reads: every stage's final state and its upstream.
  const status = JSON.parse(readFileSync(join(dir, 'pipeline.status.json'), 'utf8'));
  assert.deepEqual(Object.fromEntries(Object.entries(status.stages).map(([k, v]: [string, any]) => [k, v.state])), {
    bad: 'failed',
    after_bad: 'skipped',
    fine: 'not-run',
  });
  assert.deepEqual(status.stages.after_bad.upstream, ['bad']);

  const going = await pipeJson(dir, 'run', '-j', '1', '--keep-going');
  assert.equal(going.code, 1);
  assert.deepEqual(stateOf(going), { bad: 'failed', after_bad: 'skipped', fine: 'ran' });
  assert.deepEqual(Object.keys(lockOf(dir).stages), ['fine']);
  assert.equal(count(dir, 'after'), 0);
  assert.ok(existsSync(join(dir, 'pipeline-report.html')), 'a report is written for a failed run too');
});

test('a stage that does not write its out fails', async () => {
  const dir = project('stages:\n  lazy:\n    cmd: "true"\n    outs: [never.txt]\n');
  const r = await pipe(dir, 'run');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /did not write never.txt/);
});

const CHAIN = `stages:
  quick:
    cmd: echo x >> runs-quick.count; echo q > quick.txt
    outs: [quick.txt]
  slow:
    cmd: echo x >> runs-slow.count; sleep 3; cat quick.txt > slow.txt
    deps: [quick.txt]
    outs: [slow.txt]
`;

test('kill -9 during a run leaves a valid lock; the re-run does only what did not finish', async () => {
  const dir = project(CHAIN);
  const child = spawn(process.execPath, [bin, 'pipeline', 'run', join(dir, 'pipeline.yaml')], {
    cwd: dir,
    env: { ...process.env, CI: 'true' },
    detached: true,
    stdio: 'ignore',
  });
  const deadline = Date.now() + 20_000;
  while (count(dir, 'slow') === 0) {
    if (Date.now() > deadline) throw new Error('the slow stage never started');
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const lock = parse(readFileSync(join(dir, 'pipeline.lock'), 'utf8'));
  assert.deepEqual(Object.keys(lock.stages), ['quick'], 'the lock names the finished stage only');
  assert.ok(!existsSync(join(dir, 'slow.txt')));

  const again = await pipeJson(dir, 'run');
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(stateOf(again), { quick: 'up-to-date', slow: 'ran' });
  assert.equal(count(dir, 'quick'), 1);
  assert.deepEqual(Object.keys(lockOf(dir).stages), ['quick', 'slow']);
});

test('targets run with what they need only; the lock keeps the other stages and the file order', async () => {
  const dir = project(`stages:
  a:
    cmd: echo a > a.txt
    outs: [a.txt]
  b:
    matrix: {n: [1, 2]}
    cmd: echo \${n} > b\${n}.txt
    outs: [b\${n}.txt]
  c:
    cmd: cat a.txt > c.txt
    deps: [a.txt]
    outs: [c.txt]
`);
  const some = await pipeJson(dir, 'run', '--stages', 'c');
  assert.deepEqual(stateOf(some), { a: 'ran', c: 'ran' });
  const group = await pipeJson(dir, 'run', '--stages', 'b');
  assert.deepEqual(stateOf(group), { 'b@1': 'ran', 'b@2': 'ran' });
  assert.deepEqual(Object.keys(lockOf(dir).stages), ['a', 'b@1', 'b@2', 'c']);
  assert.match((await pipe(dir, 'run')).stdout, /Nothing to run: all 4 stages are up to date/);
  const unknown = await pipe(dir, 'run', '--stages', 'trian');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no stage 'trian'; stages: a, b@1, b@2, c/);
});
