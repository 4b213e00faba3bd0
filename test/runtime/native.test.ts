/**
 * The native backend (oneDNN kernels under tfjs, src/runtime/native/): each kernel against a
 * float64 reference, against wasm on the same inputs, and against finite differences. Skipped with
 * a note where the engine is not built, unless SCIML_REQUIRE_NATIVE=1 (CI installs libdnnl-dev).
 */
import { test, before } from 'node:test';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { nativeSkipReason } from '../helpers/native.js';
import { checkModelGradients } from '../../src/runtime/gradcheck.js';
import { Random } from '../../src/runtime/random.js';
import { conv1d } from '../../src/runtime/native/conv-block.js';
import {
  checkConvGrads,
  CONV_EDGE_CASES,
  f32,
  maxAbsDiff,
  maxPoolGradReference,
  normals,
  outAndPad,
  randomConvCases,
  size,
  type Padding,
} from './kernel-reference.js';

const skip = nativeSkipReason();

before(async () => {
  if (skip) return;
  await initBackend('wasm');
  await initBackend('native');
  tf.env().set('IS_TEST', true);
});

/** `fn` on the wasm backend, then on native, with the same inputs. */
async function onBoth<T>(fn: () => T): Promise<{ wasm: T; native: T }> {
  await initBackend('wasm');
  const wasm = fn();
  await initBackend('native');
  assert.equal(tf.getBackend(), 'native');
  return { wasm, native: fn() };
}

/** Largest |a - b| relative to the largest |b|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  return maxAbsDiff(a, b) / Math.max(scale, 1e-30);
}

test('native conv gradients match the float64 reference (1e-5 relative) on edge and random shapes', {
  skip,
}, async () => {
  await initBackend('native');
  [...CONV_EDGE_CASES, ...randomConvCases(20, 11)].forEach((c, i) => checkConvGrads(c, 300 + i));
});

test('native Conv2D and FusedConv2D (bias, relu) match wasm within 1e-5 relative', { skip }, async () => {
  const cases: { x: number[]; w: number[]; strides: [number, number]; pad: Padding; dilations: [number, number] }[] = [
    { x: [4, 1, 100, 3], w: [1, 9, 3, 8], strides: [1, 1], pad: 'same', dilations: [1, 1] }, // conv1d as the denoiser runs it
    { x: [2, 9, 11, 4], w: [3, 3, 4, 5], strides: [2, 1], pad: 'valid', dilations: [1, 1] },
    { x: [2, 12, 12, 2], w: [3, 3, 2, 3], strides: [1, 1], pad: 'same', dilations: [2, 2] },
  ];
  for (const [i, c] of cases.entries()) {
    const r = new Random(40 + i);
    const x = f32(normals(r, size(c.x)));
    const w = f32(normals(r, size(c.w)));
    const b = f32(normals(r, c.w[3]));
    const run = () =>
      tf.tidy(() => {
        const xt = tf.tensor4d(x, c.x as [number, number, number, number]);
        const wt = tf.tensor4d(w, c.w as [number, number, number, number]);
        const plain = tf.conv2d(xt, wt, c.strides, c.pad, 'NHWC', c.dilations).dataSync();
        const fused = tf.fused
          .conv2d({
            x: xt,
            filter: wt,
            strides: c.strides,
            pad: c.pad,
            dilations: c.dilations,
            bias: tf.tensor1d(b),
            activation: 'relu',
          })
          .dataSync();
        return { plain, fused };
      });
    const { wasm, native } = await onBoth(run);
    assert.ok(
      relativeError(native.plain, wasm.plain) < 1e-5,
      `case ${i} conv2d: ${relativeError(native.plain, wasm.plain)}`,
    );
    assert.ok(
      relativeError(native.fused, wasm.fused) < 1e-5,
      `case ${i} fused: ${relativeError(native.fused, wasm.fused)}`,
    );
  }
});

const POOL_CASES: { shape: number[]; pool: [number, number]; strides: [number, number]; pad: Padding }[] = [
  { shape: [3, 1, 21, 4], pool: [1, 2], strides: [1, 2], pad: 'valid' }, // pooling1d, odd length
  { shape: [2, 5, 7, 3], pool: [2, 3], strides: [2, 2], pad: 'same' },
  { shape: [2, 6, 6, 2], pool: [3, 3], strides: [1, 1], pad: 'valid' },
  { shape: [2, 1, 9, 2], pool: [1, 3], strides: [1, 2], pad: 'same' },
  { shape: [3, 21, 1, 4], pool: [2, 1], strides: [2, 1], pad: 'valid' }, // pooling1d as tfjs-layers runs it ([N, L, 1, C])
  { shape: [2, 1, 11, 3], pool: [1, 3], strides: [1, 3], pad: 'valid' },
];

/** d sum(dy * avgPool(x)) / dx in float64, each window averaging its in-bounds entries (TensorFlow's rule). */
function avgPoolGradReference(
  shape: number[],
  pool: [number, number],
  strides: [number, number],
  pad: Padding,
  dy: Float64Array,
): Float64Array {
  const [B, H, W, C] = shape;
  const rows = outAndPad(H, pool[0], strides[0], pad);
  const cols = outAndPad(W, pool[1], strides[1], pad);
  const dx = new Float64Array(B * H * W * C);
  let k = 0;
  for (let b = 0; b < B; b++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let c = 0; c < C; c++, k++) {
          const inside: number[] = [];
          for (let p = 0; p < pool[0]; p++)
            for (let q = 0; q < pool[1]; q++) {
              const r = i * strides[0] + p - rows.before;
              const col = j * strides[1] + q - cols.before;
              if (r >= 0 && r < H && col >= 0 && col < W) inside.push(((b * H + r) * W + col) * C + c);
            }
          for (const at of inside) dx[at] += dy[k] / inside.length;
        }
  return dx;
}

test('native max and average pooling and their gradients match wasm and the max-pool reference', { skip }, async () => {
  for (const [i, c] of POOL_CASES.entries()) {
    const r = new Random(60 + i);
    // Negative windows included: wasm's stock MaxPoolGrad got those wrong.
    const x = normals(r, size(c.shape)).map((v, k) => (k % 3 === 0 ? -Math.abs(v) : v));
    const shape = c.shape as [number, number, number, number];
    const outShape = tf.tidy(() => tf.maxPool(tf.zeros<tf.Rank.R4>(shape), c.pool, c.strides, c.pad).shape as number[]);
    const dy = normals(r, size(outShape));
    const run = () =>
      tf.tidy(() => {
        const xt = tf.tensor4d(f32(x), shape);
        const dyt = tf.tensor(f32(dy), outShape);
        const out: Record<string, Float32Array> = {};
        for (const kind of ['max', 'avg'] as const) {
          const pool = (t: tf.Tensor) =>
            kind === 'max'
              ? tf.maxPool(t as tf.Tensor4D, c.pool, c.strides, c.pad)
              : tf.avgPool(t as tf.Tensor4D, c.pool, c.strides, c.pad);
          out[`${kind}`] = pool(xt).dataSync() as Float32Array;
          out[`${kind} grad`] = tf
            .grad((t: tf.Tensor) => pool(t).mul(dyt).sum())(xt)
            .dataSync() as Float32Array;
        }
        return out;
      });
    const { wasm, native } = await onBoth(run);
    const avgRef = avgPoolGradReference(c.shape, c.pool, c.strides, c.pad, dy);
    assert.ok(maxAbsDiff(native['avg grad'], avgRef) < 1e-6, `${JSON.stringify(c)}: avg grad vs reference`);
    for (const key of Object.keys(wasm)) {
      // tfjs's own AvgPoolGrad (wasm and cpu) divides by the whole window where 'same' padding cuts
      // it, while its forward pass divides by the in-bounds part: only native is consistent there.
      if (key === 'avg grad' && c.pad === 'same') continue;
      const err = relativeError(native[key], wasm[key]);
      assert.ok(err < 1e-6, `${JSON.stringify(c)} ${key}: native vs wasm ${err}`);
    }
    const ref = maxPoolGradReference(c.shape, c.pool, c.strides, c.pad, x, dy);
    assert.ok(maxAbsDiff(native['max grad'], ref) < 1e-6, `${JSON.stringify(c)}: max grad vs reference`);
  }
});

test('a conv1d / pooling / conv1d network on native passes the finite-difference check', { skip }, async () => {
  await initBackend('native');
  const input = tf.input({ shape: [24, 2] });
  // The first layer is the fused native block (conv-block.ts), the second tfjs's own Conv1D.
  let h = conv1d({
    filters: 4,
    kernelSize: 5,
    padding: 'same',
    activation: 'tanh',
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    biasInitializer: tf.initializers.randomNormal({ seed: 2, stddev: 0.1 }),
  }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.averagePooling1d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .conv1d({
      filters: 3,
      kernelSize: 3,
      strides: 2,
      padding: 'valid',
      activation: 'tanh',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    })
    .apply(h) as tf.SymbolicTensor;
  h = tf.layers.maxPooling1d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: h });
  const r = new Random(5);
  const x = tf.tensor3d(f32(normals(r, 3 * 24 * 2)), [3, 24, 2]);
  const y = tf.tensor3d(f32(normals(r, 3 * 2 * 3)), [3, 2, 3]);
  const report = checkModelGradients(
    model,
    { x, y, loss: (t, p) => tf.losses.meanSquaredError(t, p) as tf.Scalar },
    { seed: 1, checkInputs: true },
  );
  tf.dispose([x, y]);
  model.dispose();
  assert.equal(report.backend, 'native');
  assert.ok(report.ok, report.message);
});

test('native Concat, SplitV, leading-axis Sum and Identity match wasm (movement exactly, sums within 1e-6)', {
  skip,
}, async () => {
  const r = new Random(80);
  const a = f32(normals(r, 2 * 3 * 4 * 5));
  const b = f32(normals(r, 2 * 3 * 2 * 5));
  const run = () =>
    tf.tidy(() => {
      const ta = tf.tensor4d(a, [2, 3, 4, 5]);
      const tb = tf.tensor4d(b, [2, 3, 2, 5]);
      const out: Record<string, Float32Array | Int32Array | Uint8Array> = {};
      out['concat axis 2'] = tf.concat([ta, tb, ta], 2).dataSync();
      out['concat axis 3 (upsampling)'] = tf.concat([ta, ta], -1).dataSync();
      out['concat axis 0'] = tf.concat([ta, ta.reverse(0)], 0).dataSync();
      out['concat int32 (stock)'] = tf.concat([ta.cast('int32'), tb.cast('int32')], 2).dataSync();
      tf.split(ta, [1, 3], 2).forEach((t, i) => (out[`split axis 2 part ${i}`] = t.dataSync()));
      tf.split(ta, 5, 3).forEach((t, i) => (out[`split axis 3 part ${i}`] = t.dataSync()));
      out['sum over [0, 1, 2] (bias gradient)'] = ta.sum([0, 1, 2]).dataSync();
      out['sum over [0] keepDims'] = ta.sum(0, true).dataSync();
      out['sum over [1, 3] (stock)'] = ta.sum([1, 3]).dataSync();
      out['sum of all (stock)'] = ta.sum().dataSync();
      out['identity'] = tf.clone(ta).dataSync();
      out['slice axis 2'] = tf.slice(ta, [0, 0, 1, 0], [-1, -1, 2, -1]).dataSync();
      out['slice axis 0'] = tf.slice(ta, [1], [1]).dataSync();
      out['slice two axes (stock)'] = tf.slice(ta, [0, 1, 1, 0], [-1, 2, 2, -1]).dataSync();
      out['pad axis 1 (zero padding)'] = tf
        .pad(ta, [
          [0, 0],
          [0, 1],
          [0, 0],
          [0, 0],
        ])
        .dataSync();
      out['pad axis 3 with 2.5'] = tf
        .pad(
          ta,
          [
            [0, 0],
            [0, 0],
            [0, 0],
            [2, 1],
          ],
          2.5,
        )
        .dataSync();
      out['pad two axes (stock)'] = tf
        .pad(ta, [
          [1, 0],
          [0, 1],
          [0, 0],
          [0, 0],
        ])
        .dataSync();
      out['gradient through pad and slice'] = tf
        .grad((t: tf.Tensor) =>
          tf
            .pad(t, [
              [0, 0],
              [0, 1],
              [0, 0],
              [0, 0],
            ])
            .slice([0, 1], [-1, 3])
            .square()
            .sum(),
        )(ta)
        .dataSync();
      out['gradient through concat and split'] = tf
        .grad((t: tf.Tensor) =>
          tf
            .concat([t, t.mul(2)], -1)
            .square()
            .sum(),
        )(ta)
        .dataSync();
      return out;
    });
  const { wasm, native } = await onBoth(run);
  for (const key of Object.keys(wasm)) {
    if (key.startsWith('sum')) assert.ok(relativeError(native[key], wasm[key]) < 1e-6, key);
    else assert.deepEqual(native[key], wasm[key], key);
  }
  // Identity shares the data; disposing either side leaves the other intact.
  await initBackend('native');
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  y.dispose();
});

test('the engine takes OMP_NUM_THREADS when the user (or Slurm) set it, every core otherwise', { skip }, () => {
  const bin = fileURLToPath(new URL('../../../bin/sciml.js', import.meta.url));
  const threadsWith = (env: NodeJS.ProcessEnv) => {
    const r = spawnSync(process.execPath, [bin, '--json', 'info'], { encoding: 'utf8', env: { ...env, CI: 'true' } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout).backend.engine.threads as number;
  };
  const { OMP_NUM_THREADS: _, ...rest } = process.env;
  assert.equal(threadsWith({ ...rest, OMP_NUM_THREADS: '1' }), 1);
  assert.equal(threadsWith(rest), availableParallelism());
});
