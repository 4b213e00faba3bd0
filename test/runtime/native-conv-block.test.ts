/**
 * The fused 1-D convolution block (src/runtime/native/conv-block.ts): conv + bias + activation in
 * one oneDNN call forward and one backward. Checked against tfjs's own Conv1D on wasm (outputs and
 * every gradient), with and without the input's gradient, and saved as a plain Conv1D.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { nativeSkipReason } from '../helpers/native.js';
import { conv1d } from '../../src/runtime/native/conv-block.js';
import { Random } from '../../src/runtime/random.js';
import { f32, maxAbsDiff, normals } from './kernel-reference.js';

const skip = nativeSkipReason();

before(async () => {
  if (skip) return;
  await initBackend('wasm');
  await initBackend('native');
});

interface Case {
  batch: number;
  length: number;
  channels: number;
  filters: number;
  kernelSize: number;
  padding: 'same' | 'valid';
  strides: number;
  activation: 'linear' | 'relu' | 'elu' | 'tanh' | 'sigmoid';
}

const CASES: Case[] = [
  { batch: 3, length: 40, channels: 1, filters: 6, kernelSize: 9, padding: 'same', strides: 1, activation: 'elu' }, // the denoiser's first layer
  { batch: 2, length: 31, channels: 6, filters: 1, kernelSize: 9, padding: 'same', strides: 1, activation: 'linear' }, // its output layer
  { batch: 2, length: 25, channels: 4, filters: 5, kernelSize: 3, padding: 'valid', strides: 2, activation: 'relu' },
  { batch: 2, length: 17, channels: 3, filters: 4, kernelSize: 5, padding: 'same', strides: 1, activation: 'tanh' },
  { batch: 1, length: 12, channels: 2, filters: 3, kernelSize: 4, padding: 'same', strides: 1, activation: 'sigmoid' },
];

/** Output and gradients of sum(dy * layer(x)) with respect to x, kernel and bias, on the current backend. */
function outputsAndGradients(c: Case, inputGradient: boolean, seed: number): Record<string, Float32Array> {
  const r = new Random(seed);
  const layer = conv1d({
    filters: c.filters,
    kernelSize: c.kernelSize,
    padding: c.padding,
    strides: c.strides,
    activation: c.activation,
    inputGradient,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: tf.initializers.randomNormal({ seed: seed + 1, stddev: 0.3 }),
  });
  return tf.tidy(() => {
    const x = tf.tensor3d(f32(normals(r, c.batch * c.length * c.channels)), [c.batch, c.length, c.channels]);
    layer.build(x.shape);
    const y = layer.apply(x) as tf.Tensor;
    const dy = tf.tensor(f32(normals(r, y.size)), y.shape);
    const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const out: Record<string, Float32Array> = { y: y.dataSync() as Float32Array };
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, dy)) as tf.Scalar,
      [kernel, bias],
    );
    out.kernel = grads[kernel.name].dataSync() as Float32Array;
    out.bias = grads[bias.name].dataSync() as Float32Array;
    if (inputGradient)
      out.x = tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, dy)))(x)
        .dataSync() as Float32Array;
    layer.weights.forEach((w) => w.dispose());
    return out;
  });
}

function relative(a: Float32Array, b: Float32Array): number {
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-30);
  return maxAbsDiff(a, b) / scale;
}

test('the fused conv1d block matches tfjs Conv1D on wasm: outputs and gradients in x, kernel and bias (1e-5 relative)', {
  skip,
}, async () => {
  for (const [i, c] of CASES.entries()) {
    await initBackend('wasm');
    const wasm = outputsAndGradients(c, true, 10 + i);
    await initBackend('native');
    const native = outputsAndGradients(c, true, 10 + i);
    for (const key of ['y', 'kernel', 'bias', 'x'])
      assert.ok(
        relative(native[key], wasm[key]) < 1e-5,
        `${JSON.stringify(c)} ${key}: ${relative(native[key], wasm[key])}`,
      );
    // Without the input's gradient the weights' gradients are the same numbers.
    const dataOnly = outputsAndGradients(c, false, 10 + i);
    assert.deepEqual(dataOnly.kernel, native.kernel, `${JSON.stringify(c)}: kernel gradient with inputGradient false`);
    assert.deepEqual(dataOnly.bias, native.bias);
  }
});

test('a fused conv1d layer serializes as a plain Conv1D (same class name and config, nothing of its own)', {
  skip,
}, async () => {
  await initBackend('native');
  const input = tf.input({ shape: [20, 1] });
  const output = conv1d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'elu', inputGradient: false }).apply(
    input,
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  const stock = tf.model({
    inputs: input,
    outputs: tf.layers
      .conv1d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'elu' })
      .apply(input) as tf.SymbolicTensor,
  });
  const layerOf = (m: tf.LayersModel) =>
    (
      m.toJSON(undefined, false) as unknown as {
        config: { layers: { class_name: string; config: Record<string, unknown> }[] };
      }
    ).config.layers[1];
  const fused = layerOf(model);
  const plain = layerOf(stock);
  assert.equal(fused.class_name, 'Conv1D');
  assert.deepEqual(Object.keys(fused.config).sort(), Object.keys(plain.config).sort());
  model.dispose();
  stock.dispose();
});
