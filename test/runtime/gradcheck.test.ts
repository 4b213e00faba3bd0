import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { assertGradientsMatch, checkGradients, checkModelGradients } from '../../src/runtime/gradcheck.js';
import { setKernelPatch } from '../../src/runtime/kernels/patches.js';

before(async () => {
  await initBackend('wasm');
  await initBackend('cpu');
});

const LENGTH = 16;
const CHANNELS = 2;

/**
 * A tiny 1-D conv autoencoder shaped like the denoiser: Conv1D, max-pooling, a strided Conv1D,
 * then upsampling through a reshape to 2-D and upSampling2d({size: [4, 1]}).
 */
function tinyAutoencoder(activation: 'tanh' | 'relu'): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [LENGTH, CHANNELS] });
  let h = tf.layers
    .conv1d({ filters: 4, kernelSize: 5, padding: 'same', activation, kernelInitializer: init(1) })
    .apply(input) as tf.SymbolicTensor;
  h = tf.layers.maxPooling1d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .conv1d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation, kernelInitializer: init(2) })
    .apply(h) as tf.SymbolicTensor;
  h = tf.layers.reshape({ targetShape: [LENGTH / 4, 1, 3] }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.upSampling2d({ size: [4, 1] }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reshape({ targetShape: [LENGTH, 3] }).apply(h) as tf.SymbolicTensor;
  const output = tf.layers
    .conv1d({ filters: CHANNELS, kernelSize: 3, padding: 'same', kernelInitializer: init(3) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

function batch(seed: number) {
  return {
    x: tf.randomNormal([3, LENGTH, CHANNELS], 0, 1, 'float32', seed),
    y: tf.randomNormal([3, LENGTH, CHANNELS], 0, 1, 'float32', seed + 1),
    loss: (t: tf.Tensor, p: tf.Tensor) => tf.losses.meanSquaredError(t, p),
  };
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`tiny conv autoencoder passes the gradient check on ${backend} with batch 3`, async () => {
    await initBackend(backend);
    for (const activation of ['tanh', 'relu'] as const) {
      const model = tinyAutoencoder(activation);
      const data = batch(5);
      const tensorsBefore = tf.memory().numTensors;
      const report = checkModelGradients(model, data, { seed: 1, checkInputs: true });
      assert.equal(tf.memory().numTensors, tensorsBefore, 'the check leaked tensors');
      assert.equal(report.backend, backend);
      assertGradientsMatch(report);
      // Every trainable tensor and the input were checked.
      const checked = new Set(report.entries.map((e) => e.tensor));
      assert.equal(checked.size, model.trainableWeights.length + 1, report.message);
      // The check restored the weights it perturbed.
      const again = checkModelGradients(model, data, { seed: 1 });
      assert.equal(again.loss, report.loss);
      model.dispose();
    }
  });
}

test('the gradient check catches the stock cpu ResizeNearestNeighborGrad (batch > 1) and names the weight', async () => {
  await initBackend('cpu');
  setKernelPatch('cpu', 'ResizeNearestNeighborGrad', false);
  try {
    const model = tinyAutoencoder('tanh');
    const report = checkModelGradients(model, batch(5), { seed: 1 });
    assert.equal(report.ok, false);
    assert.ok(report.failures.length > 0);
    // Layers before the upsampling get wrong gradients; the message says which and by how much.
    assert.match(
      report.message,
      /conv1d_Conv1D\d+\/(kernel|bias)\[[\d,]+\]: analytic -?[\d.e+-]+ vs numeric -?[\d.e+-]+/,
    );
    assert.throws(() => assertGradientsMatch(report), /failed/);
    model.dispose();
  } finally {
    setKernelPatch('cpu', 'ResizeNearestNeighborGrad', true);
  }
});

test('checkGradients on plain variables: passes for a true gradient, fails for a 5% wrong one', async () => {
  await initBackend('wasm');
  const a = tf.variable(
    tf.tensor2d([
      [0.3, -1.2, 0.8],
      [1.5, 0.1, -0.4],
    ]),
    true,
    'gc_a',
  );
  const b = tf.variable(tf.tensor1d([0.7, -0.2]), true, 'gc_b');
  const scaledTanh = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = tf.tanh(x);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => dy.mul(tf.sub(1, tf.square(saved[0]))).mul(1.05),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const loss = (wrong: boolean) => () =>
    tf.tidy(() => {
      const h = tf.matMul(b.expandDims(0), a);
      return tf.sum(tf.square(wrong ? (scaledTanh(h) as tf.Tensor) : tf.tanh(h))) as tf.Scalar;
    });
  const tensorsBefore = tf.memory().numTensors;
  const good = checkGradients(loss(false), [a, b], { seed: 2 });
  assert.ok(good.ok, good.message);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'the check leaked tensors');
  assert.equal(good.checked, 5 + 2); // a: largest + 4 random of 6; b: both entries
  const bad = checkGradients(loss(true), [a, b], { seed: 2 });
  assert.equal(bad.ok, false, bad.message);
  assert.match(bad.message, /gc_[ab]\[/);
  a.dispose();
  b.dispose();
});

test('entries at a kink are flagged non-smooth, and a loss made only of kinks fails', async () => {
  await initBackend('wasm');
  // |v| at v within the step of 0: the two step sizes disagree, so the entry is not trusted.
  const v = tf.variable(tf.tensor1d([1e-4, -2e-4, 3e-4, 5e-5]), true, 'gc_kink');
  const report = checkGradients(() => tf.sum(tf.abs(v)) as tf.Scalar, [v], { seed: 3 });
  assert.equal(report.nonSmooth, 4);
  assert.equal(report.ok, false);
  assert.match(report.message, /non-smooth/);
  v.dispose();
});
