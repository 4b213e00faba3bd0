/**
 * The `stage` job handler as a remote worker runs it (shipped): deps unpacked into a private
 * folder, outs packed back, and an abort ends the whole command, background processes included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageHandler, depInput, type StagePayload } from '../../src/pipeline/stage-job.js';
import { packPaths, unpackInto } from '../../src/execution/files.js';

function context(signal = new AbortController().signal) {
  const scratchDir = mkdtempSync(join(tmpdir(), 'sciml-stage-test-'));
  return { jobId: 't', signal, progress: () => {}, scratchDir };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a shipped stage sees its deps in a folder of its own and sends its outs back', async () => {
  const base = mkdtempSync(join(tmpdir(), 'sciml-stage-base-'));
  mkdirSync(join(base, 'data', 'sub'), { recursive: true });
  writeFileSync(join(base, 'data', 'sub', 'a.txt'), 'A');
  writeFileSync(join(base, 'params.yaml'), 'k: 1\n');
  const payload: StagePayload = {
    stage: 's',
    cmd: 'mkdir -p ../out/empty && cat ../data/sub/a.txt ../params.yaml > ../out/result.txt && pwd > ../out/where.txt',
    cwd: join(base, 'work'),
    deps: [],
    outs: [],
    shipped: { cwd: 'work', deps: ['data', 'params.yaml'], outs: ['out'] },
  };
  const inputs = {
    [depInput('data')]: packPaths(base, ['data']),
    [depInput('params.yaml')]: packPaths(base, ['params.yaml']),
  };
  const ctx = context();
  const { result, artifacts } = await stageHandler(payload, inputs, ctx);
  assert.deepEqual(result, { code: 0, signal: null });
  const back = mkdtempSync(join(tmpdir(), 'sciml-stage-back-'));
  unpackInto(artifacts!.outs, back);
  assert.equal(readFileSync(join(back, 'out', 'result.txt'), 'utf8'), 'Ak: 1\n');
  assert.ok(readFileSync(join(back, 'out', 'where.txt'), 'utf8').startsWith(ctx.scratchDir), 'ran in the scratch copy');
  assert.ok(statSync(join(back, 'out', 'empty')).isDirectory(), 'an empty folder arrives as a folder');
  for (const d of [base, back, ctx.scratchDir]) rmSync(d, { recursive: true, force: true });
});

test('packing is deterministic and a missing dep is refused before the command runs', async () => {
  const base = mkdtempSync(join(tmpdir(), 'sciml-stage-base-'));
  writeFileSync(join(base, 'x.txt'), 'x');
  assert.deepEqual(packPaths(base, ['x.txt']), packPaths(base, ['x.txt']));
  const ctx = context();
  await assert.rejects(
    Promise.resolve(
      stageHandler(
        { stage: 's', cmd: 'true', cwd: base, deps: [], outs: [], shipped: { cwd: '.', deps: ['x.txt'], outs: [] } },
        {},
        ctx,
      ),
    ),
    /dep x\.txt did not arrive/,
  );
  for (const d of [base, ctx.scratchDir]) rmSync(d, { recursive: true, force: true });
});

test('an abort ends a shipped stage and what it started in the background', async () => {
  const controller = new AbortController();
  const ctx = context(controller.signal);
  const pids = join(ctx.scratchDir, 'pids');
  const payload: StagePayload = {
    stage: 's',
    cmd: `sleep 30 & echo $! > ${pids}; sleep 30`,
    cwd: ctx.scratchDir,
    deps: [],
    outs: [],
    shipped: { cwd: '.', deps: [], outs: [] },
  };
  const running = Promise.resolve(stageHandler(payload, {}, ctx));
  let background = 0;
  for (let i = 0; i < 100 && !background; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      background = Number(readFileSync(pids, 'utf8'));
    } catch {
      // Not yet written.
    }
  }
  assert.ok(background > 0 && alive(background), 'the background sleep started');
  const t0 = Date.now();
  controller.abort();
  const { result } = await running;
  assert.equal(result.signal, 'SIGTERM');
  assert.ok(Date.now() - t0 < 4000, 'ended at once, not after the sleeps');
  for (let i = 0; i < 40 && alive(background); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(background), false, 'the background process died with the stage');
  rmSync(ctx.scratchDir, { recursive: true, force: true });
});
