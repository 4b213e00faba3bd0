/**
 * Float64 reference implementations for the kernel tests, written from the definitions and
 * independent of tfjs (pads follow TensorFlow's documented 'same' rule).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/runtime/random.js';

/** 'same' / 'valid', or a number of zeros on every side. */
export type Padding = 'same' | 'valid' | number;

export interface Conv2DCase {
  x: number[]; // [B, H, W, Cin]
  w: number[]; // [kh, kw, Cin, Cout]
  strides: [number, number];
  pad: Padding;
}

export function outAndPad(size: number, k: number, s: number, pad: Padding): { out: number; before: number } {
  if (pad === 'valid') return { out: Math.floor((size - k) / s) + 1, before: 0 };
  if (typeof pad === 'number') return { out: Math.floor((size + 2 * pad - k) / s) + 1, before: pad };
  const out = Math.ceil(size / s);
  const total = Math.max(0, (out - 1) * s + k - size);
  return { out, before: Math.floor(total / 2) };
}

/**
 * Gradients of sum(dy * conv2d(x, w)) in float64: dx, dw, and for each entry the sum of the
 * |terms| it adds up (the scale of float32 rounding error in that entry).
 */
export function conv2dGradsReference(
  c: Conv2DCase,
  x: Float64Array,
  w: Float64Array,
  dy: Float64Array,
): { dx: Float64Array; dxAbs: Float64Array; dw: Float64Array; dwAbs: Float64Array; outShape: number[] } {
  const [B, H, W, Ci] = c.x;
  const [kh, kw, , Co] = c.w;
  const [sh, sw] = c.strides;
  const rows = outAndPad(H, kh, sh, c.pad);
  const cols = outAndPad(W, kw, sw, c.pad);
  const [oh, ow] = [rows.out, cols.out];
  const dx = new Float64Array(x.length);
  const dxAbs = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const dwAbs = new Float64Array(w.length);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let p = 0; p < kh; p++) {
          const r = i * sh + p - rows.before;
          if (r < 0 || r >= H) continue;
          for (let q = 0; q < kw; q++) {
            const col = j * sw + q - cols.before;
            if (col < 0 || col >= W) continue;
            for (let ci = 0; ci < Ci; ci++) {
              const xi = ((b * H + r) * W + col) * Ci + ci;
              for (let co = 0; co < Co; co++) {
                const g = dy[((b * oh + i) * ow + j) * Co + co];
                const wi = ((p * kw + q) * Ci + ci) * Co + co;
                dx[xi] += g * w[wi];
                dxAbs[xi] += Math.abs(g * w[wi]);
                dw[wi] += g * x[xi];
                dwAbs[wi] += Math.abs(g * x[xi]);
              }
            }
          }
        }
  return { dx, dxAbs, dw, dwAbs, outShape: [B, oh, ow, Co] };
}

/** Max-pooling gradient in float64: each window's dy goes to its first maximum (scan order). */
export function maxPoolGradReference(
  shape: number[],
  pool: [number, number],
  strides: [number, number],
  pad: Padding,
  x: Float64Array,
  dy: Float64Array,
): Float64Array {
  const [B, H, W, C] = shape;
  const rows = outAndPad(H, pool[0], strides[0], pad);
  const cols = outAndPad(W, pool[1], strides[1], pad);
  const dx = new Float64Array(x.length);
  let k = 0;
  for (let b = 0; b < B; b++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let c = 0; c < C; c++, k++) {
          let best = -Infinity;
          let at = -1;
          for (let p = 0; p < pool[0]; p++)
            for (let q = 0; q < pool[1]; q++) {
              const r = i * strides[0] + p - rows.before;
              const col = j * strides[1] + q - cols.before;
              if (r < 0 || r >= H || col < 0 || col >= W) continue;
              const idx = ((b * H + r) * W + col) * C + c;
              if (x[idx] > best) {
                best = x[idx];
                at = idx;
              }
            }
          dx[at] += dy[k];
        }
  return dx;
}

/**
 * The transpose of a linear image op that acts on each image and channel alike (resizing),
 * probed through its forward kernel: one forward call per input pixel on a one-hot image.
 * Returns d sum(w * op(x)) / dx for x of shape [B, H, W, C].
 */
export function linearOpTranspose(
  op: (image: tf.Tensor4D) => tf.Tensor4D,
  shape: number[],
  w: Float64Array,
  outShape: number[],
): Float64Array {
  const [B, H, W, C] = shape;
  const [, OH, OW] = outShape;
  const dx = new Float64Array(B * H * W * C);
  for (let r = 0; r < H; r++)
    for (let col = 0; col < W; col++) {
      const oneHot = new Float32Array(H * W);
      oneHot[r * W + col] = 1;
      const response = tf.tidy(() => op(tf.tensor4d(oneHot, [1, H, W, 1])).dataSync());
      for (let b = 0; b < B; b++)
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let p = 0; p < OH * OW; p++) s += response[p] * w[(b * OH * OW + p) * C + c];
          dx[((b * H + r) * W + col) * C + c] = s;
        }
    }
  return dx;
}

/** Largest |a - b| over entries, divided by `scale` (or 1). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Normal draws rounded to float32, so tfjs and the float64 reference see the same numbers. */
export function normals(random: { normal(): number }, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.fround(random.normal());
  return v;
}

export const f32 = (v: ArrayLike<number>) => Float32Array.from(v);

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

// --- conv2d cases shared by the wasm and native kernel tests ------------------------------

export function randomConvCases(count: number, seed: number): Conv2DCase[] {
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

export const CONV_EDGE_CASES: Conv2DCase[] = [
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

/** Checks tf.grads of conv2d on the current backend against the float64 reference (and for leaks). */
export function checkConvGrads(c: Conv2DCase, seed: number): void {
  const r = new Random(seed);
  const x = normals(r, size(c.x));
  const w = normals(r, size(c.w));
  const shapeProbe = conv2dGradsReference(
    c,
    new Float64Array(size(c.x)),
    new Float64Array(size(c.w)),
    new Float64Array(0),
  );
  const dy = normals(r, size(shapeProbe.outShape));
  const ref = conv2dGradsReference(c, x, w, dy);
  const before = { tensors: tf.memory().numTensors, dataIds: tf.engine().backend.numDataIds() };
  const [gx, gw] = tf.tidy(() => {
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad);
    const grads = tf.grads(f)(
      [tf.tensor(f32(x), c.x), tf.tensor(f32(w), c.w)],
      tf.tensor(f32(dy), shapeProbe.outShape),
    );
    return grads.map((g) => g.dataSync());
  });
  assert.equal(tf.memory().numTensors, before.tensors, 'tensors leaked');
  assert.equal(tf.engine().backend.numDataIds(), before.dataIds, 'backend data leaked');
  const label = `x [${c.x}] w [${c.w}] strides [${c.strides}] ${c.pad}`;
  for (const [name, got, want, abs] of [
    ['dx', gx, ref.dx, ref.dxAbs],
    ['dw', gw, ref.dw, ref.dwAbs],
  ] as const) {
    assert.equal(got.length, want.length, `${label}: ${name} size`);
    for (let i = 0; i < want.length; i++) {
      const tol = 1e-5 * abs[i] + 1e-6;
      if (!(Math.abs(got[i] - want[i]) <= tol))
        assert.fail(`${label}: ${name}[${i}] = ${got[i]}, float64 reference ${want[i]}`);
    }
  }
}
