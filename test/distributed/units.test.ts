/** The local-SGD arithmetic: shards partition the rows, orders are seeded, combining averages in replica order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combine, replicaOrder, shardRows, stepRange } from '../../src/distributed/local-sgd.js';
import { createAdamState } from '../../src/models/denoiser/adam.js';
import { packReplicaState, unpackReplicaState } from '../../src/distributed/state-blob.js';

test('shards partition the rows; a round splits an epoch into contiguous step ranges', () => {
  const rows = Int32Array.from({ length: 11 }, (_, i) => 100 + i);
  const shards = [0, 1, 2].map((r) => Array.from(shardRows(rows, r, 3)));
  assert.deepEqual(shards.flat().sort(), Array.from(rows));
  assert.deepEqual(
    shards.map((s) => s.length),
    [4, 4, 3],
  );
  const ranges = [0, 1, 2].map((c) => stepRange(50, 8, c, 3));
  assert.equal(ranges[0].from, 0);
  assert.equal(ranges[2].to, 7);
  for (let c = 1; c < 3; c++) assert.equal(ranges[c].from, ranges[c - 1].to);
});

test('replica orders depend on seed, replica and epoch only', () => {
  assert.deepEqual(replicaOrder(20, 5, 1, 2, 3), replicaOrder(20, 5, 1, 2, 3));
  assert.notDeepEqual(replicaOrder(20, 5, 0, 2, 3), replicaOrder(20, 5, 1, 2, 3));
  assert.notDeepEqual(replicaOrder(20, 5, 1, 2, 3), replicaOrder(20, 5, 1, 2, 4));
  assert.deepEqual(
    Array.from(replicaOrder(20, 5, 0, 1, 0)).sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, i) => i),
  );
});

function replica(params: number[], m: number[], step: number) {
  const adam = createAdamState(params.length);
  adam.m.set(m);
  adam.v.set(m.map((x) => x * x));
  adam.step = step;
  return { params: Float32Array.from(params), adam };
}

test("average: weights and Adam moments are the replicas' means; the state round-trips as a blob", () => {
  const start = Float32Array.from([0, 0, 0]);
  const adam = createAdamState(3);
  const a = replica([1, 2, 3], [0.5, 0, 1], 10);
  const b = replica([3, 2, 1], [1.5, 2, 1], 10);
  combine(start, adam, { kind: 'average', learningRate: 1, momentum: 0, velocity: new Float64Array(0) }, [
    unpackReplicaState(packReplicaState(a)),
    b,
  ]);
  assert.deepEqual(Array.from(start), [2, 2, 2]);
  assert.deepEqual(Array.from(adam.m), [1, 1, 1]);
  assert.deepEqual(Array.from(adam.v), [(0.25 + 2.25) / 2, 2, 1]);
  assert.equal(adam.step, 10);
});

test('nesterov without momentum at step size 1 is the average; with momentum it moves further along the update', () => {
  const run = (lr: number, mu: number, rounds: number) => {
    const params = Float32Array.from([0, 1]);
    const velocity = new Float64Array(2);
    for (let k = 0; k < rounds; k++) {
      const moved = Array.from(params, (p) => p + 1);
      combine(params, createAdamState(2), { kind: 'nesterov', learningRate: lr, momentum: mu, velocity }, [
        replica(moved, [0, 0], 1),
        replica(moved, [0, 0], 1),
      ]);
    }
    return Array.from(params);
  };
  assert.deepEqual(run(1, 0, 1), [1, 2]);
  const withMomentum = run(0.7, 0.9, 2);
  assert.ok(withMomentum[0] > 2, `momentum carries the update on: ${withMomentum}`);
});
