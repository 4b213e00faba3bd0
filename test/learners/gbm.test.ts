import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/runtime/random.js';
import { GradientBoosting, gbmFactory } from '../../src/learners/gbm.js';
import { friedman, matrix, rmse, roundTrip, std } from './helpers.js';
import { unpackTrees, type TreePack } from '../../src/learners/tree-pack.js';

function create(params: Record<string, number | string | boolean> = {}): GradientBoosting {
  return gbmFactory.create(params) as GradientBoosting;
}

/** y = 3 where x0 < 0.3; else 7 where x1 > 0.5; else -2; x2 is noise. x on a grid of 200 values (exact bins). */
function piecewise(n: number, seed: number) {
  const rng = new Random(seed);
  const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (const c of cols) c[i] = rng.int(0, 200) / 200;
    y[i] = cols[0][i] < 0.3 ? 3 : cols[1][i] > 0.5 ? 7 : -2;
  }
  return { X: matrix(cols), y };
}

test('boosting fits a noiseless piecewise-constant function exactly', () => {
  const train = piecewise(2000, 1);
  const model = create({ learning_rate: 0.5, max_iter: 60, min_samples_leaf: 5 });
  model.fit(train.X, train.y, { seed: 1 });
  // Leaf values are Float32 (as saved): exact to float32 precision.
  assert.ok(rmse(model.predict(train.X), train.y) < 1e-5, 'training rows reproduced');
  const test = piecewise(3000, 2);
  const pred = model.predict(test.X);
  for (let i = 0; i < test.X.rows; i++)
    assert.ok(Math.abs(pred[i] - test.y[i]) < 1e-5, `row ${i}: ${pred[i]} vs ${test.y[i]}`);
  // One full-step tree finds the regions (4 leaves: greedy may split on x1 first).
  const one = create({ learning_rate: 1, max_iter: 1, max_leaf_nodes: 4, min_samples_leaf: 1 });
  one.fit(train.X, train.y, { seed: 1 });
  assert.ok(rmse(one.predict(test.X), test.y) < 1e-5);
});

test('boosting beats the mean and a shallow model on Friedman #1', () => {
  const train = friedman(1500, 3);
  const test = friedman(1000, 4);
  const model = create();
  model.fit(train.X, train.y, { seed: 3 });
  const err = rmse(model.predict(test.X), test.y);
  assert.ok(err < 0.5 * std(test.y), `rmse ${err} vs std ${std(test.y)}`);
  const stump = create({ max_iter: 20, max_leaf_nodes: 2 });
  stump.fit(train.X, train.y, { seed: 3 });
  assert.ok(err < rmse(stump.predict(test.X), test.y));
  // Gain importance: the five informative features carry nearly all of it.
  const imp = model.featureImportance();
  const informative = ['x0', 'x1', 'x2', 'x3', 'x4'].reduce((s, k) => s + imp[k], 0);
  assert.ok(informative > 0.9, `informative share ${informative}`);
  assert.ok(Math.abs(Object.values(imp).reduce((a, b) => a + b, 0) - 1) < 1e-9);
});

test('missing values go to the learned side', () => {
  // Missing x0 behaves like the high group: the split must send NaN right.
  const rng = new Random(5);
  const n = 1000;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    if (u < 0.2) {
      x[i] = NaN;
      y[i] = 10;
    } else {
      x[i] = rng.next();
      y[i] = x[i] < 0.5 ? 0 : 10;
    }
  }
  const model = create({ learning_rate: 1, max_iter: 1, max_leaf_nodes: 2, min_samples_leaf: 1 });
  model.fit(matrix([x]), y, { seed: 1 });
  const [low, high, missing] = model.predict(matrix([[0.1, 0.9, NaN]]));
  assert.ok(Math.abs(low - 0) < 1e-5 && Math.abs(high - 10) < 1e-5, `${low} ${high}`);
  assert.ok(Math.abs(missing - 10) < 1e-5, `missing went to ${missing}`);

  // And the other way round: missing behaves like the low group.
  for (let i = 0; i < n; i++) if (Number.isNaN(x[i])) y[i] = 0;
  const left = create({ learning_rate: 1, max_iter: 1, max_leaf_nodes: 2, min_samples_leaf: 1 });
  left.fit(matrix([x]), y, { seed: 1 });
  assert.ok(Math.abs(left.predict(matrix([[NaN]]))[0] - 0) < 1e-5);

  // Missing values only at prediction time follow the larger training child.
  const xs = Float64Array.from({ length: 100 }, (_, i) => i);
  const ys = Float64Array.from(xs, (v) => (v < 70 ? 1 : 5));
  const unseen = create({ learning_rate: 1, max_iter: 1, max_leaf_nodes: 2, min_samples_leaf: 1 });
  unseen.fit(matrix([xs]), ys, { seed: 1 });
  assert.ok(Math.abs(unseen.predict(matrix([[NaN]]))[0] - 1) < 1e-5);
});

test('early stopping stops on a validation set and keeps the best round', () => {
  const train = friedman(400, 8, 3);
  const validation = friedman(400, 9, 3);
  const model = create({ max_iter: 2000, learning_rate: 0.3, min_samples_leaf: 2 });
  model.fit(train.X, train.y, { seed: 8, validation });
  assert.ok(model.stoppedEarly, 'stopped early');
  assert.ok(model.rounds < 400, `kept ${model.rounds} rounds`);
  // With 'off' the same fit runs every round.
  const full = create({ max_iter: 150, learning_rate: 0.3, min_samples_leaf: 2, early_stopping: 'off' });
  full.fit(train.X, train.y, { seed: 8, validation });
  assert.equal(full.rounds, 150);
  // Held-out early stopping ('on', no validation given) also stops.
  const held = create({ max_iter: 2000, learning_rate: 0.3, min_samples_leaf: 2, early_stopping: 'on' });
  held.fit(train.X, train.y, { seed: 8 });
  assert.ok(held.stoppedEarly && held.rounds < 2000);
});

test('a deadline keeps the rounds trained so far', () => {
  const train = friedman(400, 10);
  const model = create({ max_iter: 100000 });
  model.fit(train.X, train.y, { seed: 1, deadlineMs: performance.now() + 100 });
  assert.ok(model.rounds > 0 && model.rounds < 100000);
});

test('absolute loss resists outliers; poisson predicts positive counts', () => {
  const train = friedman(800, 11);
  const clean = Float64Array.from(train.y);
  for (let i = 0; i < train.y.length; i += 10) train.y[i] += 500;
  const test = friedman(500, 12);
  const squared = create({ max_iter: 50 });
  squared.fit(train.X, train.y, { seed: 1 });
  const absolute = create({ max_iter: 50, loss: 'absolute_error' });
  absolute.fit(train.X, train.y, { seed: 1 });
  assert.ok(rmse(absolute.predict(test.X), test.y) < 0.5 * rmse(squared.predict(test.X), test.y));
  assert.ok(clean.length > 0);

  const rng = new Random(13);
  const counts = Float64Array.from(clean, (v) => poissonDraw(Math.exp(v / 10), rng));
  const poisson = create({ loss: 'poisson', max_iter: 50 });
  poisson.fit(train.X, counts, { seed: 1 });
  const pred = poisson.predict(test.X);
  assert.ok(pred.every((p) => p > 0));
  const truth = Float64Array.from(test.y, (v) => Math.exp(v / 10));
  assert.ok(rmse(pred, truth) < 0.5 * std(truth), `poisson rmse ${rmse(pred, truth)} vs ${std(truth)}`);
});

function poissonDraw(mean: number, rng: Random): number {
  let k = 0;
  let p = Math.exp(-mean);
  let s = p;
  const u = rng.next();
  while (u > s && k < 1000) {
    k++;
    p *= mean / k;
    s += p;
  }
  return k;
}

test('subsampling is reproducible for a seed and differs across seeds', () => {
  const train = friedman(500, 14);
  const fit = (seed: number) => {
    const m = create({ max_iter: 20, subsample: 0.7, colsample: 0.6 });
    m.fit(train.X, train.y, { seed });
    return m.predict(train.X);
  };
  assert.deepEqual(fit(1), fit(1));
  assert.notDeepEqual(fit(1), fit(2));
});

test('max_depth bounds the trees and min_samples_leaf the leaves', () => {
  const train = friedman(500, 15);
  const model = create({ max_iter: 5, max_depth: 2, max_leaf_nodes: 31 });
  model.fit(train.X, train.y, { seed: 1 });
  const json = model.toJSON() as { state: { pack: TreePack } };
  for (const t of unpackTrees(json.state.pack).trees)
    assert.ok(t.feature.length <= 7, `${t.feature.length} nodes at depth 2`);
});

test('categorical features split into sets of categories', () => {
  // 12 categories; the target depends on membership in {1, 4, 7, 8, 10}: one set split, no order.
  const rng = new Random(16);
  const n = 1200;
  const codes = Float64Array.from({ length: n }, () => rng.int(0, 12));
  for (let i = 0; i < n; i += 17) codes[i] = NaN;
  const high = new Set([1, 4, 7, 8, 10]);
  const y = Float64Array.from(codes, (c) => (Number.isNaN(c) ? 2 : high.has(c) ? 9 : 0));
  const X = { ...matrix([codes]), categorical: [true], categories: [12] };
  const model = create({ learning_rate: 1, max_iter: 1, max_leaf_nodes: 3, min_samples_leaf: 1 });
  model.fit(X, y, { seed: 1 });
  const probe = { ...matrix([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, NaN]]), categorical: [true], categories: [12] };
  const expected = [0, 9, 0, 0, 9, 0, 0, 9, 9, 0, 9, 0, 2];
  assert.ok(rmse(model.predict(probe), expected) < 1e-5, `${model.predict(probe)}`);
  assert.deepEqual(roundTrip(model).predict(probe), model.predict(probe));
  // As ordinal codes, three leaves cannot separate the sets.
  const ordinal = create({
    learning_rate: 1,
    max_iter: 1,
    max_leaf_nodes: 3,
    min_samples_leaf: 1,
    categorical_splits: false,
  });
  ordinal.fit(X, y, { seed: 1 });
  assert.ok(rmse(ordinal.predict(probe), expected) > 1);
  // Subsampled rounds route out-of-sample rows through categorical splits on their bins.
  const sub = create({ max_iter: 40, subsample: 0.5, min_samples_leaf: 1 });
  sub.fit(X, y, { seed: 1 });
  assert.ok(rmse(sub.predict(probe), expected) < 0.1);
});

test('batched prediction (four rows walked at once) equals row-by-row prediction bit for bit, missing values included', async () => {
  const train = friedman(600, 21);
  for (let i = 0; i < 600; i += 5) train.X.columns[i % 8][i] = NaN;
  const model = gbmFactory.create({ max_iter: 30, early_stopping: 'off' });
  await model.fit(train.X, train.y, { seed: 4 });
  const test = friedman(203, 22);
  for (let i = 0; i < 203; i += 3) test.X.columns[(i * 7) % 8][i] = NaN;
  const batch = model.predict(test.X);
  for (let i = 0; i < test.X.rows; i++) {
    const one = model.predict({
      ...test.X,
      rows: 1,
      columns: test.X.columns.map((c) => c.slice(i, i + 1)) as Float64Array[],
    });
    assert.ok(Object.is(one[0], batch[i]), `row ${i}: ${one[0]} vs ${batch[i]}`);
  }
});
