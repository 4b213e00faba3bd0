import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { UserError } from '../../src/runtime/errors.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir, defaultRunPath, sha256OfFile } from '../../src/runtime/rundir.js';
import { writeStreamAtomic } from '../../src/runtime/atomic.js';

const base = mkdtempSync(join(tmpdir(), 'sciml-rundir-'));

test('default run paths are runs/<task>-<UTC timestamp>', () => {
  assert.equal(defaultRunPath('knots', new Date('2026-11-22T03:04:05.678Z')), join('runs', 'knots-20261122T030405Z'));
});

test('an explicit --out is never overwritten nor renamed: a taken one is refused; an empty folder is taken', () => {
  const a = RunDir.create({ task: 't', out: join(base, 'run') });
  writeFileSync(a.file('x.txt'), 'x');
  assert.throws(
    () => RunDir.create({ task: 't', out: join(base, 'run') }),
    (err: Error) => err instanceof UserError && /--out .*run: already exists and is not empty/.test(err.message),
  );
  assert.ok(!existsSync(join(base, 'run-1')));
  mkdirSync(join(base, 'empty'));
  assert.equal(RunDir.create({ task: 't', out: join(base, 'empty') }).path, join(base, 'empty'));
});

test('a resumed run keeps its first command and start in run.json and appends the session', async () => {
  const first = RunDir.create({ task: 't', out: join(base, 'resumed') });
  first.finish({
    command: ['sciml', 'tune', 'x.yaml', '--max-trials', '3'],
    backend: 'wasm',
    seed: 1,
    status: 'interrupted',
  });
  const before = JSON.parse(readFileSync(first.file('run.json'), 'utf8'));
  await new Promise((r) => setTimeout(r, 5));
  const again = RunDir.open(first.path);
  again.finish({ command: ['sciml', 'tune', '--resume', first.path], backend: 'wasm', seed: 1 });
  const info = JSON.parse(readFileSync(first.file('run.json'), 'utf8'));
  assert.deepEqual(info.command, before.command);
  assert.equal(info.started_at, before.started_at);
  assert.equal(info.status, 'completed');
  assert.deepEqual(
    info.sessions.map((s: { status: string }) => s.status),
    ['interrupted', 'completed'],
  );
  assert.deepEqual(info.sessions[1].command, ['sciml', 'tune', '--resume', first.path]);
  assert.ok(Math.abs(info.duration_s - info.sessions[0].duration_s - info.sessions[1].duration_s) < 1e-9);
});

test('run.json records phases, inputs with SHA-256, seed and backend; no temporary files remain', async () => {
  const run = RunDir.create({ task: 't', out: join(base, 'full') });
  const input = join(base, 'input.txt');
  writeFileSync(input, 'hello\n');
  await run.recordInput(input);
  const value = await run.phase('train', async () => 7);
  assert.equal(value, 7);
  run.writeMetrics({ task: 't', metrics: { mse: 1 }, baseline: { mse: 2 } });
  run.finish({ command: ['sciml', 'train'], backend: 'wasm', seed: 3 });
  const info = JSON.parse(readFileSync(run.file('run.json'), 'utf8'));
  assert.equal(info.seed, 3);
  assert.equal(info.backend, 'wasm');
  assert.equal(info.inputs[0].sha256, '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
  assert.equal(info.inputs[0].bytes, 6);
  assert.ok(info.phases_s.train >= 0);
  assert.deepEqual(readdirSync(run.path).sort(), ['metrics.json', 'run.json']);
  assert.equal(await sha256OfFile(input), info.inputs[0].sha256);
});

test('an interrupted streamed write leaves nothing under the final name', async () => {
  const target = join(base, 'stream', 'out.bin');
  async function* failing() {
    yield 'part one';
    throw new Error('interrupted');
  }
  await assert.rejects(writeStreamAtomic(target, failing()), /interrupted/);
  assert.equal(existsSync(target), false);
  assert.deepEqual(readdirSync(join(base, 'stream')), []);
  await writeStreamAtomic(target, ['a', 'b']);
  assert.equal(readFileSync(target, 'utf8'), 'ab');
});
