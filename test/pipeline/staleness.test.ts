import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { count, lockOf, pipe, pipeJson, project, stateOf } from './helpers.js';

const PIPELINE = `stages:
  prepare:
    cmd: echo x >> runs-prepare.count; cat input.txt input.txt > prepared.txt
    deps: [input.txt]
    outs: [prepared.txt]
  train:
    cmd: echo x >> runs-train.count; mkdir -p model; cat prepared.txt > model/weights.txt; echo '{"metrics":{"score":1}}' > model/metrics.json
    deps: [prepared.txt]
    params: [model.width]
    outs: [model]
    metrics: [model/metrics.json]
`;

function fresh() {
  return project(PIPELINE, { 'input.txt': 'hello\n', 'params.yaml': 'model:\n  width: 8\n  depth: 2\n' });
}

test('a second run runs nothing and says so; the lock records commands, hashes and params', async () => {
  const dir = fresh();
  const first = await pipe(dir, 'run');
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual([count(dir, 'prepare'), count(dir, 'train')], [1, 1]);
  const second = await pipe(dir, 'run');
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /Nothing to run: all 2 stages are up to date/);
  assert.deepEqual([count(dir, 'prepare'), count(dir, 'train')], [1, 1]);
  const lock = lockOf(dir);
  assert.match(lock.stages.prepare.cmd, /cat input.txt input.txt > prepared.txt/);
  assert.equal(lock.stages.prepare.deps[0].path, 'input.txt');
  assert.equal(lock.stages.prepare.deps[0].size, 6);
  assert.match(lock.stages.prepare.deps[0].sha256, /^[0-9a-f]{64}$/);
  assert.equal(lock.stages.train.outs[0].path, 'model');
  assert.equal(lock.stages.train.outs[0].files, 2, 'a folder out records its file count');
  assert.deepEqual(lock.stages.train.params, { 'params.yaml': { 'model.width': 8 } });
  assert.ok(existsSync(join(dir, 'pipeline-report.html')));
});

test('each cause of staleness is named, and only the stale stages re-run', async () => {
  const dir = fresh();
  assert.equal((await pipe(dir, 'run')).code, 0);

  // param value: only train
  writeFileSync(join(dir, 'params.yaml'), 'model:\n  width: 16\n  depth: 2\n');
  let status = await pipeJson(dir, 'status');
  assert.equal(status.stages[0].status, 'up to date');
  assert.deepEqual(status.stages[1].reasons, ['param params.yaml:model.width changed (8 -> 16)']);
  // an untracked param changing is not a reason
  writeFileSync(join(dir, 'params.yaml'), 'model:\n  width: 16\n  depth: 3\n');
  assert.deepEqual((await pipeJson(dir, 'status')).stages[1].reasons, [
    'param params.yaml:model.width changed (8 -> 16)',
  ]);
  assert.equal((await pipe(dir, 'run')).code, 0);
  assert.deepEqual([count(dir, 'prepare'), count(dir, 'train')], [1, 2]);

  // dep content: prepare, and train because prepared.txt changes
  writeFileSync(join(dir, 'input.txt'), 'HELLO\n');
  const dry = await pipe(dir, 'run', '--dry-run');
  assert.match(dry.stdout, /prepare\s+run\s+dep input.txt changed/);
  assert.match(dry.stdout, /train\s+run\s+upstream prepare will run/);
  assert.equal((await pipe(dir, 'run')).code, 0);
  assert.deepEqual([count(dir, 'prepare'), count(dir, 'train')], [2, 3]);

  // command
  writeFileSync(
    join(dir, 'pipeline.yaml'),
    PIPELINE.replace('cat input.txt input.txt', 'cat input.txt input.txt input.txt'),
  );
  assert.deepEqual((await pipeJson(dir, 'status')).stages[0].reasons, ['command changed']);
  assert.equal((await pipe(dir, 'run')).code, 0);
  assert.equal(count(dir, 'prepare'), 3);

  // missing out (a file inside a folder out, too)
  rmSync(join(dir, 'model', 'weights.txt'));
  assert.deepEqual((await pipeJson(dir, 'status')).stages[1].reasons, ['out model modified since the stage made it']);
  rmSync(join(dir, 'model'), { recursive: true });
  assert.deepEqual((await pipeJson(dir, 'status')).stages[1].reasons, ['out model missing']);
  const run = await pipeJson(dir, 'run');
  assert.deepEqual(
    stateOf(run),
    { prepare: 'up-to-date', train: 'restored' },
    'the same signature comes back from the run-cache',
  );
  assert.equal(
    readFileSync(join(dir, 'model', 'weights.txt'), 'utf8'),
    readFileSync(join(dir, 'prepared.txt'), 'utf8'),
  );
});

test('the run-cache restores outs of a signature seen before without running; gc drops what no lock names', async () => {
  const dir = fresh();
  assert.equal((await pipe(dir, 'run')).code, 0);
  const original = readFileSync(join(dir, 'model', 'weights.txt'), 'utf8');
  writeFileSync(join(dir, 'params.yaml'), 'model:\n  width: 9\n');
  assert.equal((await pipe(dir, 'run')).code, 0);
  assert.equal(count(dir, 'train'), 2);
  writeFileSync(join(dir, 'params.yaml'), 'model:\n  width: 8\n');
  const status = await pipeJson(dir, 'status');
  assert.equal(status.stages[1].run_cache, true);
  const back = await pipeJson(dir, 'run');
  assert.equal(stateOf(back).train, 'restored');
  assert.equal(count(dir, 'train'), 2, 'restored, not run');
  assert.equal(readFileSync(join(dir, 'model', 'weights.txt'), 'utf8'), original);
  assert.equal(lockOf(dir).stages.train.restored, true);
  assert.match((await pipe(dir, 'run')).stdout, /Nothing to run/);

  const noCache = await pipeJson(dir, 'run', '--dry-run', '--no-run-cache');
  assert.equal(noCache.stages.length, 2);
  const gc = await pipeJson(dir, 'gc');
  assert.equal(gc.kept_runs, 2);
  assert.equal(gc.removed_runs, 1, 'the width: 9 run is no longer in the lock');
  writeFileSync(join(dir, 'params.yaml'), 'model:\n  width: 9\n');
  assert.equal((await pipeJson(dir, 'status')).stages[1].run_cache, false, 'gone after gc');
});
