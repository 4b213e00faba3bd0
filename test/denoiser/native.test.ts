/** The denoiser on the native backend: same gradients as wasm, repeatable, and data-parallel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { loadNativeAddon } from '../../src/runtime/native/addon.js';
import { architectureOf, denoiserSchema } from '../../src/models/denoiser/config.js';
import { Replica } from '../../src/models/denoiser/replica.js';
import { ReplicaPool, sharedCopy } from '../../src/models/denoiser/parallel.js';
import { ADAM_DEFAULTS, createAdamState } from '../../src/models/denoiser/adam.js';
import { runSteps } from '../../src/models/denoiser/train.js';
import { Random } from '../../src/runtime/random.js';

const { error } = loadNativeAddon();
if (error && process.env.SCIML_REQUIRE_NATIVE === '1') throw new Error(`SCIML_REQUIRE_NATIVE=1 but the native engine is unavailable: ${error}`);
const skip = error ? `native engine ${error}` : false;

function randomTraces(n: number, L: number, seed: number) {
  const rng = new Random(seed);
  const noisy = Float32Array.from({ length: n * L }, () => rng.uniform(0, 1));
  const signal = Float32Array.from({ length: n * L }, (_, i) => 0.5 + 0.3 * Math.sin(i / 3 + rng.uniform(0, 0.2)));
  return { length: L, noisy, signal };
}

test('the default denoiser: native gradients equal wasm gradients within 1e-4 (relative), and repeat exactly', { skip }, async () => {
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

test('native: two data-parallel workers (one engine thread each) train like one, and a rerun repeats exactly', { skip }, async () => {
  await initBackend('native');
  const arch = { length: 64, filters: [4, 4, 4], kernelSize: 5, convsPerBlock: 1, activation: 'elu' as const, pooling: 'average' as const, outputActivation: 'linear' as const, normalize: true };
  const raw = randomTraces(48, 64, 21);
  const data = { length: 64, noisy: sharedCopy(raw.noisy), signal: sharedCopy(raw.signal) };
  const order = Int32Array.from({ length: 48 }, (_, i) => (i * 7) % 48);
  const train = async (workers: number) => {
    const pool = await ReplicaPool.create({ arch, seed: 9, backend: 'native', workers, data });
    const adam = createAdamState(pool.params.length);
    const grads = new Float32Array(pool.params.length);
    for (let epoch = 0; epoch < 3; epoch++) await runSteps(pool, order, 16, adam, { learningRate: 0.01, ...ADAM_DEFAULTS }, grads);
    const out = new Float32Array(pool.params);
    await pool.close();
    return out;
  };
  const one = await train(1);
  const two = await train(2);
  const twoAgain = await train(2);
  assert.deepEqual(twoAgain, two, 'seeded runs repeat bit for bit');
  let maxDiff = 0;
  for (let i = 0; i < one.length; i++) maxDiff = Math.max(maxDiff, Math.abs(one[i] - two[i]));
  assert.ok(maxDiff < 1e-4, `1 vs 2 workers differ by ${maxDiff}`);
});
