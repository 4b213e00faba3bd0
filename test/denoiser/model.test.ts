import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { checkGradients } from '../../src/runtime/gradcheck.js';
import {
  bottleneckShape,
  buildDenoiser,
  encoderLengths,
  type Architecture,
} from '../../src/models/denoiser/architecture.js';
import { architectureOf, denoiserSchema } from '../../src/models/denoiser/config.js';
import { Replica } from '../../src/models/denoiser/replica.js';
import { ADAM_DEFAULTS, createAdamState } from '../../src/models/denoiser/adam.js';
import { Random } from '../../src/runtime/random.js';

await initBackend('wasm');

/** Random smooth traces in [0, 1] (inputs) and targets, flat [n, L]. */
function randomTraces(n: number, L: number, seed: number) {
  const rng = new Random(seed);
  const noisy = Float32Array.from({ length: n * L }, () => rng.uniform(0, 1));
  const signal = Float32Array.from({ length: n * L }, (_, i) => 0.5 + 0.3 * Math.sin(i / 3 + rng.uniform(0, 0.2)));
  return { length: L, noisy, signal };
}

test('the default architecture: 500 samples -> a 16 x 31 bottleneck -> 500 samples', () => {
  const arch = architectureOf(denoiserSchema.parse({ task: 'denoiser' }));
  assert.deepEqual(encoderLengths(500, 4), [500, 250, 125, 62, 31]);
  assert.deepEqual(bottleneckShape(arch), [31, 16]);
  const model = buildDenoiser(arch, 1);
  assert.deepEqual(model.outputs[0].shape, [null, 500, 1]);
  const bottleneck = model.getLayer('enc3_pool').outputShape as number[];
  assert.deepEqual(bottleneck.slice(1), [31, 16]);
  model.dispose();
});

test('the decoder mirrors odd lengths with padding, and upsampling repeats each sample', () => {
  const arch: Architecture = {
    length: 44,
    filters: [2, 3, 2],
    kernelSize: 3,
    convsPerBlock: 1,
    activation: 'tanh',
    pooling: 'max',
    outputActivation: 'linear',
    normalize: true,
  };
  const model = buildDenoiser(arch, 3);
  assert.deepEqual(model.getLayer('dec2_pad').outputShape, [null, 11, 1, 2]);
  assert.deepEqual(model.outputs[0].shape, [null, 44, 1]);
  // concatenate([x, x]) + reshape [L, 2C] -> [2L, C] is nearest-neighbour upsampling
  const x = tf.tensor3d([Array.from({ length: 11 }, (_, i) => [i, 10 * i, 100 * i])]);
  const repeated = model.getLayer('dec1_repeat').apply([x, x]) as tf.Tensor;
  const up = (model.getLayer('dec1_upsample').apply(repeated) as tf.Tensor).arraySync() as number[][][];
  assert.deepEqual(
    up[0],
    Array.from({ length: 22 }, (_, j) => [Math.floor(j / 2), 10 * Math.floor(j / 2), 100 * Math.floor(j / 2)]),
  );
  model.dispose();
});

for (const pooling of ['average', 'max'] as const) {
  test(`gradient check of the architecture (${pooling} pooling, trace normalisation, padded odd lengths, batch 3)`, () => {
    const arch: Architecture = {
      length: 44,
      filters: [3, 4, 2],
      kernelSize: 3,
      convsPerBlock: 2,
      activation: 'tanh',
      pooling,
      outputActivation: 'linear',
      normalize: true,
    };
    const data = randomTraces(3, 44, 11);
    const replica = new Replica(arch, 5, data);
    const { x, y } = replica.tensorsFor([0, 1, 2]);
    // a small step: max-pooling windows hold close values, and a kink within the step spoils the difference
    const report = checkGradients(replica.lossOf(x, y, 3 * 44), replica.trainableVariables, {
      seed: 2,
      samplesPerTensor: 3,
      step: 1e-3,
    });
    assert.ok(report.ok, report.message);
    assert.ok(report.checked >= 40);
    // the replica's gradient is the one checked
    const grads = new Float32Array(replica.layout.total);
    replica.gradients([0, 1, 2], 3 * 44, grads);
    const direct = tf.variableGrads(replica.lossOf(x, y, 3 * 44), replica.trainableVariables);
    const first = direct.grads[replica.trainableVariables[0].name].dataSync();
    assert.deepEqual(Array.from(grads.subarray(0, first.length)), Array.from(first));
    tf.dispose([x, y, direct.value, ...Object.values(direct.grads)]);
    replica.model.dispose();
  });
}
