import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { setKernelPatch } from '../../src/runtime/kernels/patches.js';
import { Random } from '../../src/runtime/random.js';
import {
  checkConvGrads as check,
  conv2dGradsReference,
  CONV_EDGE_CASES as EDGE_CASES,
  f32,
  normals,
  randomConvCases as randomCases,
  size,
  type Conv2DCase,
  type Padding,
} from './kernel-reference.js';

before(async () => {
  await initBackend('wasm');
  // Makes tfjs check after every kernel that it left no intermediate behind.
  tf.env().set('IS_TEST', true);
});

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
    const got = tf.tidy(() =>
      tf
        .conv2dTranspose(
          tf.tensor4d(f32(dy), [2, 4, 4, 2]),
          tf.tensor4d(f32(w), c.w as [number, number, number, number]),
          [2, H, H, 3],
          2,
          'valid',
        )
        .dataSync(),
    );
    for (let i = 0; i < ref.dx.length; i++)
      assert.ok(Math.abs(got[i] - ref.dx[i]) <= 1e-5 * ref.dxAbs[i] + 1e-6, `H=${H}: dx[${i}]`);
  }
});
