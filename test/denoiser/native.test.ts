/** The denoiser on the native backend: same gradients as wasm, repeatable, and data-parallel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { nativeSkipReason } from '../helpers/native.js';
import { architectureOf, denoiserSchema } from '../../src/models/denoiser/config.js';
import { Replica } from '../../src/models/denoiser/replica.js';
import { createAdamState } from '../../src/models/denoiser/adam.js';
import { denoiserReplicas, packTraceShard } from '../../src/models/denoiser/distributed.js';
import { readParams } from '../../src/models/denoiser/replica.js';
import { LocalExecutor } from '../../src/execution/local.js';
import { blobHash } from '../../src/execution/files.js';
import { jobs } from '../../src/registry.js';
import { shardRows } from '../../src/distributed/local-sgd.js';
import { packReplicaState, unpackReplicaState } from '../../src/distributed/state-blob.js';
import { trainReplicaHandler, type ReplicaPayload } from '../../src/distributed/replica-job.js';
import { Random } from '../../src/runtime/random.js';

const skip = nativeSkipReason();

function randomTraces(n: number, L: number, seed: number) {
  const rng = new Random(seed);
  const noisy = Float32Array.from({ length: n * L }, () => rng.uniform(0, 1));
  const signal = Float32Array.from({ length: n * L }, (_, i) => 0.5 + 0.3 * Math.sin(i / 3 + rng.uniform(0, 0.2)));
  return { length: L, noisy, signal };
}

test('the default denoiser: native gradients equal wasm gradients within 1e-4 (relative), and repeat exactly', {
  skip,
}, async () => {
  const arch = architectureOf(denoiserSchema.parse({ task: 'denoiser' }));
  const data = randomTraces(8, arch.length, 3);
  const batch = [0, 1, 2, 3, 4, 5, 6, 7];
  const gradsOn = async (backend: 'wasm' | 'native') => {
    await initBackend(backend);
    const replica = new Replica(arch, 7, data);
    const grads = new Float32Array(replica.layout.total);
    const again = new Float32Array(replica.layout.total);
    const loss = replica.gradients(batch, 8 * arch.length, grads);
    replica.gradients(batch, 8 * arch.length, again);
    replica.model.dispose();
    return { grads, again, loss };
  };
  const wasm = await gradsOn('wasm');
  const native = await gradsOn('native');
  assert.equal(tf.getBackend(), 'native');
  assert.deepEqual(native.again, native.grads, 'the same batch twice gives bit-identical gradients');
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < wasm.grads.length; i++) {
    scale = Math.max(scale, Math.abs(wasm.grads[i]));
    diff = Math.max(diff, Math.abs(native.grads[i] - wasm.grads[i]));
  }
  assert.ok(diff / scale < 1e-4, `native vs wasm: max difference ${diff} (largest gradient ${scale})`);
  assert.ok(Math.abs(native.loss - wasm.loss) / wasm.loss < 1e-5, `loss ${native.loss} vs ${wasm.loss}`);
});

test('native: two train-replica jobs on local threads (cores shared among them) give the states they give inline, and a rerun repeats exactly', {
  skip,
}, async () => {
  await initBackend('native');
  const arch = {
    length: 64,
    filters: [4, 4, 4],
    kernelSize: 5,
    convsPerBlock: 1,
    activation: 'elu' as const,
    pooling: 'average' as const,
    outputActivation: 'linear' as const,
    normalize: true,
  };
  const data = randomTraces(48, 64, 21);
  const all = Int32Array.from({ length: 48 }, (_, i) => i);
  const shards = [0, 1].map((r) => packTraceShard(data, shardRows(all, r, 2)));
  const model = new Replica(arch, 9, data).model;
  const params = readParams(model);
  model.dispose();
  const state = packReplicaState({ params, adam: createAdamState(params.length) });
  const payloadOf = (replica: number): ReplicaPayload => ({
    family: 'denoiser',
    spec: { arch, seed: 9 },
    shardKey: blobHash(shards[replica]),
    backend: 'native',
    seed: 9,
    replica,
    replicas: 2,
    round: 0,
    epoch: 0,
    fromStep: 0,
    toStep: 3,
    batchSize: 8,
    learningRate: 0.01,
  });
  const onThreads = async () => {
    const executor = new LocalExecutor({ jobs, slots: 2 });
    try {
      const outcomes = await Promise.all(
        [0, 1].map((replica) =>
          executor.submit({
            kind: 'train-replica',
            id: `native-test-${replica}-${Math.random()}`,
            payload: payloadOf(replica),
            inputs: { shard: shards[replica], state },
          }),
        ),
      );
      return outcomes.map((o) => {
        assert.equal(o.status, 'ok', String(o.error));
        return unpackReplicaState(o.artifacts!.state).params;
      });
    } finally {
      await executor.close();
    }
  };
  const inline = [];
  for (const replica of [0, 1]) {
    const out = await trainReplicaHandler(async () => denoiserReplicas)(
      payloadOf(replica),
      { shard: shards[replica], state },
      { jobId: 'inline', signal: new AbortController().signal, progress: () => {}, scratchDir: '' },
    );
    inline.push(unpackReplicaState(out.artifacts!.state).params);
  }
  const threads = await onThreads();
  const again = await onThreads();
  assert.deepEqual(again, threads, 'seeded runs repeat bit for bit');
  for (const replica of [0, 1]) {
    let maxDiff = 0;
    let moved = 0;
    for (let i = 0; i < params.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(threads[replica][i] - inline[replica][i]));
      moved = Math.max(moved, Math.abs(threads[replica][i] - params[i]));
    }
    assert.ok(moved > 0, `replica ${replica} trained`);
    assert.ok(maxDiff < 1e-4, `replica ${replica}: local thread vs inline differ by ${maxDiff}`);
  }
});
