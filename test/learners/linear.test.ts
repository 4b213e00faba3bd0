import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/runtime/random.js';
import { ridgeFactory } from '../../src/learners/ridge.js';
import { knnFactory } from '../../src/learners/knn.js';
import { friedman, matrix, rmse, roundTrip, std } from './helpers.js';

test('ridge recovers a linear function (alpha 0) and shrinks with alpha', () => {
  const rng = new Random(31);
  const n = 200;
  const x0 = Float64Array.from({ length: n }, () => rng.normal(5, 3));
  const x1 = Float64Array.from({ length: n }, () => rng.normal(-2, 0.1));
  const y = Float64Array.from({ length: n }, (_, i) => 2 * x0[i] - 30 * x1[i] + 1);
  const X = matrix([x0, x1]);
  const exact = ridgeFactory.create({ alpha: 0 });
  exact.fit(X, y, { seed: 1 });
  assert.ok(rmse(exact.predict(X), y) < 1e-8);
  const probe = matrix([
    [0, 1],
    [0, 1],
  ]);
  const p = exact.predict(probe);
  assert.ok(Math.abs(p[0] - 1) < 1e-7 && Math.abs(p[1] - (2 - 30 + 1)) < 1e-7, `${p}`);
  const strong = ridgeFactory.create({ alpha: 1e6 });
  strong.fit(X, y, { seed: 1 });
  // Heavy shrinkage: predictions collapse toward the mean.
  assert.ok(std(strong.predict(X)) < 0.01 * std(y));
  assert.deepEqual(roundTrip(exact).predict(X), exact.predict(X));
});

test('ridge one-hot encodes categorical features and imputes missing ones', () => {
  // y depends on a 3-level category non-monotonically: only one-hot can fit it.
  const codes = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2];
  const effect = [5, -3, 4];
  const X = { ...matrix([codes]), categorical: [true], categories: [3] };
  const y = Float64Array.from(codes, (c) => effect[c]);
  const model = ridgeFactory.create({ alpha: 1e-9 });
  model.fit(X, y, { seed: 1 });
  assert.ok(rmse(model.predict(X), y) < 1e-6);
  const withGap = matrix([[1, 2, NaN, 4, 5, 6]]);
  const m2 = ridgeFactory.create({});
  m2.fit(withGap, Float64Array.from([1, 2, 3, 4, 5, 6]), { seed: 1 });
  assert.ok(m2.predict(matrix([[NaN]])).every(Number.isFinite));
});

test('k-NN with k=1 reproduces training rows; distance weights; beats the mean', () => {
  const train = friedman(400, 32, 0.3, 5);
  const one = knnFactory.create({ k: 1 });
  one.fit(train.X, train.y, { seed: 1 });
  assert.ok(rmse(one.predict(train.X), train.y) < 1e-12);
  const test_ = friedman(200, 33, 0, 5);
  const five = knnFactory.create({ k: 5, weights: 'distance' });
  five.fit(train.X, train.y, { seed: 1 });
  const pred = five.predict(test_.X);
  assert.ok(rmse(pred, test_.y) < 0.7 * std(test_.y));
  assert.deepEqual(roundTrip(five).predict(test_.X), pred);
  // Agrees with a naive implementation (standardize, sort all distances).
  const naive = naiveKnn(train.X.columns, train.y, test_.X.columns, 5);
  const uniform = knnFactory.create({ k: 5 });
  uniform.fit(train.X, train.y, { seed: 1 });
  assert.ok(rmse(uniform.predict(test_.X), naive) < 1e-9);
});

function naiveKnn(train: ArrayLike<number>[], y: Float64Array, query: ArrayLike<number>[], k: number): Float64Array {
  const stats = train.map((c) => {
    const m = Array.from(c).reduce((a, b) => a + b, 0) / c.length;
    const s = Math.sqrt(Array.from(c).reduce((a, b) => a + (b - m) ** 2, 0) / c.length);
    return { m, s };
  });
  const out = new Float64Array(query[0].length);
  for (let q = 0; q < out.length; q++) {
    const d = Array.from({ length: y.length }, (_, i) => ({
      i,
      d: train.reduce((acc, c, j) => acc + ((c[i] - query[j][q]) / stats[j].s) ** 2, 0),
    })).sort((a, b) => a.d - b.d);
    out[q] = d.slice(0, k).reduce((acc, e) => acc + y[e.i], 0) / k;
  }
  return out;
}

test('k-d tree search equals a brute-force scan, ties to the earlier row', async () => {
  const { KdTree } = await import('../../src/learners/kdtree.js');
  const rng = new Random(34);
  const n = 700;
  const d = 3;
  // Coarse grid values: many exact distance ties.
  const points = Float64Array.from({ length: n * d }, () => rng.int(0, 4));
  const tree = new KdTree(points, n, d, 8);
  const k = 7;
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  const stack = new Int32Array(tree.stackSize);
  for (let r = 0; r < 60; r++) {
    const q = Float64Array.from({ length: d }, () => rng.int(-1, 5) + 0.5 * rng.int(0, 2));
    tree.query(q, k, bestD, bestI, stack);
    const brute = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += (points[i * d + c] - q[c]) ** 2;
      return { i, s };
    }).sort((a, b) => a.s - b.s || a.i - b.i);
    assert.deepEqual(
      Array.from(bestI),
      brute.slice(0, k).map((e) => e.i),
    );
  }
});
