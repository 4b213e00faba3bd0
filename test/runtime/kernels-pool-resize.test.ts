import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { setKernelPatch } from '../../src/runtime/kernels/patches.js';
import { Random } from '../../src/runtime/random.js';
import {
  f32,
  linearOpTranspose,
  maxAbsDiff,
  maxPoolGradReference,
  normals,
  size,
  type Padding,
} from './kernel-reference.js';

before(async () => {
  await initBackend('wasm');
  await initBackend('cpu');
  tf.env().set('IS_TEST', true);
});

async function onBackend(name: 'wasm' | 'cpu'): Promise<void> {
  await initBackend(name);
  assert.equal(tf.getBackend(), name);
}

/** Runs `fn` with tfjs's stock kernel in place of sciml's patch. */
function withStock<T>(backend: string, kernel: string, fn: () => T): T {
  setKernelPatch(backend, kernel, false);
  try {
    return fn();
  } finally {
    setKernelPatch(backend, kernel, true);
  }
}

// --- max pooling ---------------------------------------------------------------------------

interface PoolCase {
  shape: number[];
  pool: [number, number];
  strides: [number, number];
  pad: Padding;
}

const POOL_CASES: PoolCase[] = [
  { shape: [3, 1, 20, 4], pool: [1, 2], strides: [1, 2], pad: 'valid' }, // maxPooling1d
  { shape: [2, 5, 7, 3], pool: [2, 3], strides: [2, 2], pad: 'same' },
  { shape: [2, 6, 6, 2], pool: [3, 3], strides: [1, 1], pad: 'valid' }, // overlapping windows
  { shape: [2, 1, 9, 2], pool: [1, 3], strides: [1, 2], pad: 'same' },
];

/** Values whose every window maximum is <= 0 when `negative`, as after a linear or tanh layer. */
function poolInput(c: PoolCase, seed: number, negative: boolean): Float64Array {
  const x = normals(new Random(seed), size(c.shape));
  return negative ? x.map((v) => -Math.abs(v) - 0.01) : x;
}

function maxPoolGrad(c: PoolCase, x: Float64Array, dy: Float64Array): Float32Array {
  return tf.tidy(() => {
    const y = tf.maxPool(tf.tensor4d(f32(x), c.shape as [number, number, number, number]), c.pool, c.strides, c.pad);
    return tf
      .grad((t: tf.Tensor) =>
        tf
          .maxPool(t as tf.Tensor4D, c.pool, c.strides, c.pad)
          .mul(tf.tensor(f32(dy), y.shape))
          .sum(),
      )(tf.tensor(f32(x), c.shape))
      .dataSync() as Float32Array;
  });
}

function poolCaseDy(c: PoolCase, seed: number): Float64Array {
  const out = tf.tidy(
    () =>
      tf.maxPool(tf.zeros<tf.Rank.R4>(c.shape as [number, number, number, number]), c.pool, c.strides, c.pad)
        .shape as number[],
  );
  return normals(new Random(seed), size(out));
}

test('stock wasm MaxPoolGrad is wrong when a window maximum is <= 0 (the defect exists)', async () => {
  await onBackend('wasm');
  const c = POOL_CASES[0];
  const x = poolInput(c, 1, true);
  const dy = poolCaseDy(c, 2);
  const ref = maxPoolGradReference(c.shape, c.pool, c.strides, c.pad, x, dy);
  const stock = withStock('wasm', 'MaxPoolGrad', () => maxPoolGrad(c, x, dy));
  assert.ok(maxAbsDiff(stock, ref) > 0.1, 'expected the stock kernel to misroute gradients');
  // ...while it is right when every window has a positive maximum.
  const xPos = x.map((v) => -v);
  const refPos = maxPoolGradReference(c.shape, c.pool, c.strides, c.pad, xPos, dy);
  assert.ok(
    maxAbsDiff(
      withStock('wasm', 'MaxPoolGrad', () => maxPoolGrad(c, xPos, dy)),
      refPos,
    ) < 1e-6,
  );
});

test('patched MaxPoolGrad matches the reference on wasm and cpu, for any sign', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    await onBackend(backend);
    POOL_CASES.forEach((c, i) => {
      for (const negative of [false, true]) {
        const x = poolInput(c, 10 + i, negative);
        const dy = poolCaseDy(c, 20 + i);
        const ref = maxPoolGradReference(c.shape, c.pool, c.strides, c.pad, x, dy);
        const err = maxAbsDiff(maxPoolGrad(c, x, dy), ref);
        assert.ok(err < 1e-6, `${backend} ${JSON.stringify(c)} negative=${negative}: max error ${err}`);
      }
    });
  }
});

test('wasm MaxPool3DGrad: stock is wrong for negative windows, patched agrees with cpu', async () => {
  const shape: [number, number, number, number, number] = [2, 4, 4, 4, 2];
  const x = f32(normals(new Random(5), size(shape)).map((v) => -Math.abs(v) - 0.01));
  const dy = f32(normals(new Random(6), 2 * 2 * 2 * 2 * 2));
  const grad = () =>
    tf.tidy(() =>
      tf
        .grad((t: tf.Tensor) =>
          tf
            .maxPool3d(t as tf.Tensor5D, 2, 2, 'valid')
            .mul(tf.tensor(dy, [2, 2, 2, 2, 2]))
            .sum(),
        )(tf.tensor(x, shape))
        .dataSync(),
    );
  await onBackend('cpu');
  const cpu = grad();
  await onBackend('wasm');
  assert.ok(
    maxAbsDiff(withStock('wasm', 'MaxPool3DGrad', grad), cpu) > 0.1,
    'expected the stock kernel to misroute gradients',
  );
  assert.ok(maxAbsDiff(grad(), cpu) < 1e-6);
});

// --- resizing ------------------------------------------------------------------------------

interface ResizeCase {
  shape: number[];
  size: [number, number];
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

const RESIZE_CASES: ResizeCase[] = [];
for (const [shape, out] of [
  [
    [2, 2, 3, 3],
    [4, 6],
  ], // upSampling2d
  [
    [3, 8, 1, 2],
    [16, 1],
  ], // 1-D upsampling through reshape to 2-D
  [
    [2, 4, 6, 3],
    [7, 9],
  ],
  [
    [2, 5, 3, 2],
    [3, 7],
  ],
] as [number[], [number, number]][]) {
  for (const [alignCorners, halfPixelCenters] of [
    [false, false],
    [true, false],
    [false, true],
  ]) {
    RESIZE_CASES.push({ shape, size: out, alignCorners, halfPixelCenters });
  }
}

function resizeGrad(
  op: (im: tf.Tensor4D) => tf.Tensor4D,
  shape: number[],
  outShape: number[],
  seed: number,
): { got: Float32Array; ref: Float64Array } {
  const r = new Random(seed);
  const w = normals(r, size(outShape));
  const x = normals(r, size(shape));
  const ref = linearOpTranspose(op, shape, w, outShape);
  const got = tf.tidy(
    () =>
      tf
        .grad((t: tf.Tensor) =>
          op(t as tf.Tensor4D)
            .mul(tf.tensor(f32(w), outShape))
            .sum(),
        )(tf.tensor(f32(x), shape))
        .dataSync() as Float32Array,
  );
  return { got, ref };
}

const nearest = (c: ResizeCase) => (im: tf.Tensor4D) =>
  tf.image.resizeNearestNeighbor(im, c.size, c.alignCorners, c.halfPixelCenters);
const outShapeOf = (c: ResizeCase) => [c.shape[0], c.size[0], c.size[1], c.shape[3]];

test('stock cpu ResizeNearestNeighborGrad is wrong for batch > 1 (the defect exists)', async () => {
  await onBackend('cpu');
  const upsample = RESIZE_CASES[0];
  const { got, ref } = withStock('cpu', 'ResizeNearestNeighborGrad', () =>
    resizeGrad(nearest(upsample), upsample.shape, outShapeOf(upsample), 1),
  );
  assert.ok(maxAbsDiff(got, ref) > 0.5, 'expected the stock cpu kernel to be wrong for batch 2');
  const single = { ...upsample, shape: [1, ...upsample.shape.slice(1)] };
  const one = withStock('cpu', 'ResizeNearestNeighborGrad', () =>
    resizeGrad(nearest(single), single.shape, outShapeOf(single), 1),
  );
  assert.ok(maxAbsDiff(one.got, one.ref) < 1e-5, 'stock cpu kernel is right for batch 1');
});

test('stock wasm ResizeNearestNeighborGrad ignores halfPixelCenters (the defect exists)', async () => {
  await onBackend('wasm');
  const c = RESIZE_CASES.find((k) => k.halfPixelCenters && k.size[0] === 7)!;
  const { got, ref } = withStock('wasm', 'ResizeNearestNeighborGrad', () =>
    resizeGrad(nearest(c), c.shape, outShapeOf(c), 2),
  );
  assert.ok(maxAbsDiff(got, ref) > 0.5);
});

test('patched ResizeNearestNeighborGrad is the exact transpose of the forward resize on wasm and cpu', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    await onBackend(backend);
    RESIZE_CASES.forEach((c, i) => {
      const { got, ref } = resizeGrad(nearest(c), c.shape, outShapeOf(c), 30 + i);
      assert.ok(maxAbsDiff(got, ref) < 1e-5, `${backend} ${JSON.stringify(c)}: error ${maxAbsDiff(got, ref)}`);
    });
  }
});

test('ResizeBilinearGrad: cpu stock mislabels the shape, patched cpu and stock wasm match the transpose', async () => {
  const cases = RESIZE_CASES.filter((c) => !c.halfPixelCenters);
  await onBackend('cpu');
  const bilinear = (c: ResizeCase) => (im: tf.Tensor4D) => tf.image.resizeBilinear(im, c.size, c.alignCorners);
  const nonSquare = cases.find((c) => c.shape[1] !== c.shape[2])!;
  assert.throws(
    () =>
      withStock('cpu', 'ResizeBilinearGrad', () =>
        resizeGrad(bilinear(nonSquare), nonSquare.shape, outShapeOf(nonSquare), 3),
      ),
    /does not match the shape/,
  );
  for (const backend of ['cpu', 'wasm'] as const) {
    await onBackend(backend);
    cases.forEach((c, i) => {
      const { got, ref } = resizeGrad(bilinear(c), c.shape, outShapeOf(c), 40 + i);
      assert.ok(maxAbsDiff(got, ref) < 1e-5, `${backend} ${JSON.stringify(c)}: error ${maxAbsDiff(got, ref)}`);
    });
  }
});
