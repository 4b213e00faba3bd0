import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { setKernelPatch } from '../../src/runtime/kernels/patches.js';
import { Random } from '../../src/runtime/random.js';
import { conv2dGradsReference, f32, normals, size, type Conv2DCase, type Padding } from './kernel-reference.js';

before(async () => {
  await initBackend('wasm');
  // Makes tfjs check after every kernel that it left no intermediate behind.
  tf.env().set('IS_TEST', true);
});

function randomCases(count: number, seed: number): Conv2DCase[] {
  const r = new Random(seed);
  const cases: Conv2DCase[] = [];
  for (let n = 0; n < count; n++) {
    const oneD = n % 3 === 0; // conv1d runs as conv2d with H = 1
    const pad: Padding = r.next() < 0.5 ? 'same' : 'valid';
    const kh = oneD ? 1 : r.int(1, 8);
    const kw = r.int(1, 8);
    const H = oneD ? 1 : r.int(pad === 'valid' ? kh : 1, 10);
    const W = r.int(Math.max(kw, 2), oneD ? 30 : 13);
    const sh = oneD ? 1 : r.int(1, 3);
    const sw = r.int(1, 3);
    cases.push({ x: [r.int(1, 4), H, W, r.int(1, 5)], w: [kh, kw, 0, r.int(1, 5)], strides: [sh, sw], pad });
  }
  return cases.map((c) => ({ ...c, w: [c.w[0], c.w[1], c.x[3], c.w[3]] }));
}

const EDGE_CASES: Conv2DCase[] = [
  { x: [3, 1, 40, 2], w: [1, 7, 2, 4], strides: [1, 2], pad: 'same' }, // conv1d, kernel 7, stride 2
  { x: [2, 8, 8, 3], w: [3, 3, 3, 2], strides: [2, 2], pad: 'valid' }, // forward never reaches the last row: crop
  { x: [2, 2, 3, 1], w: [5, 5, 1, 3], strides: [2, 2], pad: 'same' }, // kernel larger than the image
  { x: [2, 5, 5, 4], w: [1, 1, 4, 3], strides: [2, 2], pad: 'valid' }, // 1x1 kernel, stride 2
  { x: [1, 6, 9, 2], w: [2, 4, 2, 2], strides: [1, 2], pad: 'same' }, // even kernels: same-padding splits unevenly
  { x: [2, 7, 7, 2], w: [1, 1, 2, 3], strides: [2, 2], pad: 'same' }, // dilated dy one row too tall: crop
  // Padding wider than the kernel: crop. (Numeric pads need equal strides and kernel sides:
  // tfjs-core 4.22 sizes the output with the height's stride and kernel for both axes.)
  { x: [2, 5, 6, 2], w: [3, 3, 2, 2], strides: [2, 2], pad: 3 },
];

function check(c: Conv2DCase, seed: number): void {
  const r = new Random(seed);
  const x = normals(r, size(c.x));
  const w = normals(r, size(c.w));
  const shapeProbe = conv2dGradsReference(c, new Float64Array(size(c.x)), new Float64Array(size(c.w)), new Float64Array(0));
  const dy = normals(r, size(shapeProbe.outShape));
  const ref = conv2dGradsReference(c, x, w, dy);
  const before = { tensors: tf.memory().numTensors, dataIds: tf.engine().backend.numDataIds() };
  const [gx, gw] = tf.tidy(() => {
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad);
    const grads = tf.grads(f)([tf.tensor(f32(x), c.x), tf.tensor(f32(w), c.w)], tf.tensor(f32(dy), shapeProbe.outShape));
    return grads.map((g) => g.dataSync());
  });
  assert.equal(tf.memory().numTensors, before.tensors, 'tensors leaked');
  assert.equal(tf.engine().backend.numDataIds(), before.dataIds, 'backend data leaked');
  const label = `x [${c.x}] w [${c.w}] strides [${c.strides}] ${c.pad}`;
  for (const [name, got, want, abs] of [['dx', gx, ref.dx, ref.dxAbs], ['dw', gw, ref.dw, ref.dwAbs]] as const) {
    assert.equal(got.length, want.length, `${label}: ${name} size`);
    for (let i = 0; i < want.length; i++) {
      const tol = 1e-5 * abs[i] + 1e-6;
      if (!(Math.abs(got[i] - want[i]) <= tol)) assert.fail(`${label}: ${name}[${i}] = ${got[i]}, float64 reference ${want[i]}`);
    }
  }
}

test('composed wasm conv gradients match a float64 reference on random shapes', () => {
  const cases = [...EDGE_CASES, ...randomCases(30, 7)];
  const seen = { strides: new Set<string>(), pads: new Set<Padding>(), kernels: new Set<number>() };
  cases.forEach((c, i) => {
    check(c, 100 + i);
    seen.strides.add(c.strides.join('x'));
    seen.pads.add(c.pad);
    c.w.slice(0, 2).forEach((k) => seen.kernels.add(k));
  });
  // The random cases must actually cover the space the kernels claim.
  for (const s of ['1x1', '2x2', '1x2']) assert.ok(seen.strides.has(s), `no case with strides ${s}`);
  for (const p of ['same', 'valid', 3] as Padding[]) assert.ok(seen.pads.has(p), `no case with padding ${p}`);
  for (let k = 1; k <= 7; k++) assert.ok(seen.kernels.has(k), `no case with kernel size ${k}`);
});

test('the stock wasm Conv2DBackpropInput computes the same gradients (it is only slow)', () => {
  setKernelPatch('wasm', 'Conv2DBackpropInput', false);
  try {
    EDGE_CASES.forEach((c, i) => check(c, 100 + i));
  } finally {
    setKernelPatch('wasm', 'Conv2DBackpropInput', true);
  }
});

test('without the patch wasm has no Conv2DBackpropFilter at all', () => {
  setKernelPatch('wasm', 'Conv2DBackpropFilter', false);
  try {
    assert.throws(() => check(EDGE_CASES[0], 1), /Conv2DBackpropFilter' not registered/);
  } finally {
    setKernelPatch('wasm', 'Conv2DBackpropFilter', true);
  }
});

test('conv2dTranspose (forward = Conv2DBackpropInput) handles outputs the stride leaves a row short of', () => {
  // valid, stride 2, kernel 3: inputs of height 9 and 10 both give 4 output rows.
  const r = new Random(3);
  for (const H of [9, 10]) {
    const c: Conv2DCase = { x: [2, H, H, 3], w: [3, 3, 3, 2], strides: [2, 2], pad: 'valid' };
    const w = normals(r, size(c.w));
    const dy = normals(r, 2 * 4 * 4 * 2);
    const ref = conv2dGradsReference(c, new Float64Array(size(c.x)), w, dy);
    const got = tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(f32(dy), [2, 4, 4, 2]), tf.tensor4d(f32(w), c.w as [number, number, number, number]), [2, H, H, 3], 2, 'valid').dataSync());
    for (let i = 0; i < ref.dx.length; i++) assert.ok(Math.abs(got[i] - ref.dx[i]) <= 1e-5 * ref.dxAbs[i] + 1e-6, `H=${H}: dx[${i}]`);
  }
});
