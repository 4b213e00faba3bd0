import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { Random } from '../../src/runtime/random.js';
import { CLASSIFIERS } from '../../src/learners/classifiers.js';
import type { Classifier } from '../../src/learners/classifier.js';
import { GradientBoostingClassifier } from '../../src/learners/gbm-classifier.js';
import { Network } from '../../src/learners/mlp-network.js';
import { accuracy, logLoss } from '../../src/metrics/classification.js';
import { blobs, loadCsv, split } from './helpers.js';
import type { TreePack } from '../../src/learners/tree-pack.js';

function priorLogLoss(ytr: Float64Array, yte: Float64Array, K: number): number {
  const prior = new Float64Array(K);
  for (const v of ytr) prior[v] += 1 / ytr.length;
  return -yte.reduce((s, v) => s + Math.log(prior[v]), 0) / yte.length;
}

const wine = loadCsv('wine.csv');
const cancer = loadCsv('breast_cancer.csv');

for (const kind of ['gbm', 'random_forest', 'extra_trees', 'logistic', 'knn']) {
  test(`${kind} classifier: beats the prior on wine (3 classes) and breast cancer (2); probabilities sum to 1; reloads identically`, async () => {
    for (const [name, data, minAccuracy] of [['wine', wine, 0.9], ['breast cancer', cancer, 0.9]] as const) {
      const K = data.classes.length;
      const { Xtr, ytr, Xte, yte } = split(data.X, data.y, 4);
      const model = CLASSIFIERS[kind].create({}) as Classifier;
      await model.fit(Xtr, ytr, { seed: 3, classes: K });
      const P = model.predictProba(Xte);
      assert.equal(P.length, Xte.rows * K);
      for (let i = 0; i < Xte.rows; i++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += P[i * K + k];
        assert.ok(Math.abs(s - 1) < 1e-9, `${name} row ${i} sums to ${s}`);
      }
      const acc = accuracy(yte, P);
      assert.ok(acc >= minAccuracy, `${name}: accuracy ${acc}`);
      if (kind !== 'knn' && !kind.endsWith('trees') && kind !== 'random_forest') assert.ok(logLoss(yte, P) < 0.5 * priorLogLoss(ytr, yte, K), `${name}: log loss ${logLoss(yte, P)}`);
      assert.deepEqual(Array.from(model.predict(Xte)), Array.from(P.reduce<number[]>((out, _, j) => (j % K === 0 ? [...out, argmax(P, j, K)] : out), [])));
      const json = JSON.parse(JSON.stringify(model.toJSON()));
      const back = CLASSIFIERS[kind].fromJSON(json);
      assert.deepEqual(Array.from(back.predictProba(Xte)), Array.from(P), `${name}: reloaded model predicts identically`);
    }
  });
}

function argmax(P: Float64Array, at: number, K: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (P[at + k] > P[at + best]) best = k;
  return best;
}

test('softmax boosting grows one tree per class per round; a fold missing a class still predicts K columns', () => {
  const { X, y } = blobs(300, 4, 3, 2);
  const model = new GradientBoostingClassifier({ ...CLASSIFIERS.gbm.defaults, max_iter: 7, early_stopping: 'off' });
  // Class 4 (index 4) absent from the training rows, K = 5 given.
  model.fit(X, y, { seed: 1, classes: 5 });
  assert.equal(model.rounds, 7);
  const state = model.toJSON().state as { pack: TreePack; width: number };
  assert.equal(state.pack.trees, 7 * 5);
  const P = model.predictProba(X);
  assert.equal(P.length, 300 * 5);
  for (let i = 0; i < 300; i++) assert.ok(P[i * 5 + 4] < 0.01, 'the absent class keeps a small probability');
  const binary = new GradientBoostingClassifier({ ...CLASSIFIERS.gbm.defaults, max_iter: 5, early_stopping: 'off' });
  binary.fit(X, y.map((v) => v % 2), { seed: 1 });
  assert.equal((binary.toJSON().state as { pack: TreePack }).pack.trees, 5, 'binary: one tree per round');
});

test('forests: gini and entropy both separate the classes; class weights shift the probabilities of forests, boosting and logistic regression', async () => {
  const { Xtr, ytr, Xte, yte } = split(wine.X, wine.y, 3);
  for (const criterion of ['gini', 'entropy']) {
    const m = CLASSIFIERS.random_forest.create({ criterion, n_estimators: 40 });
    await m.fit(Xtr, ytr, { seed: 2, classes: 3 });
    assert.ok(accuracy(yte, m.predictProba(Xte)) > 0.9, criterion);
  }
  // Imbalanced binary task: up-weighting the rare class raises its predicted probability.
  const rng = new Random(5);
  const n = 400;
  const x = Float64Array.from({ length: n }, () => rng.normal(0, 1));
  const yb = x.map((v) => (v + rng.normal(0, 1) > 1.6 ? 1 : 0));
  const X = { rows: n, columns: [x], names: ['x'] };
  const fresh = { rows: n, columns: [Float64Array.from({ length: n }, () => rng.normal(0, 1))], names: ['x'] };
  const w = yb.map((v) => (v === 1 ? 6 : 1));
  // (Forests: leaves of several rows, so that weights can change the leaf frequencies.)
  const params: Record<string, Record<string, number>> = { random_forest: { min_samples_leaf: 10 }, gbm: {}, logistic: {} };
  for (const kind of ['random_forest', 'gbm', 'logistic']) {
    const plain = CLASSIFIERS[kind].create(params[kind]);
    const weighted = CLASSIFIERS[kind].create(params[kind]);
    await plain.fit(X, yb, { seed: 1, classes: 2 });
    await weighted.fit(X, yb, { seed: 1, classes: 2, sampleWeight: w });
    const mean = (P: Float64Array) => P.reduce((s, v, j) => (j % 2 === 1 ? s + v : s), 0) / n;
    assert.ok(mean(weighted.predictProba(fresh)) > mean(plain.predictProba(fresh)) + 0.05, `${kind}: weights move the rare class's probability up`);
  }
});

test('MLP softmax head: hand-written gradient (weighted, L2) matches finite differences; the classifier learns blobs and reloads', async () => {
  await initBackend();
  const rng = new Random(8);
  const net = Network.create([3, 5, 4], 'sigmoid', rng);
  const x = tf.tensor2d(Array.from({ length: 6 * 3 }, () => rng.normal()), [6, 3]);
  const labels = Array.from({ length: 6 }, () => rng.int(0, 4));
  const y = tf.tensor2d(labels.flatMap((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0))), [6, 4]);
  const w = tf.tensor1d(Array.from({ length: 6 }, () => rng.uniform(0.5, 2)));
  const base = Float32Array.from(net.params.dataSync());
  const lossAt = (flat: Float32Array) => {
    net.params.assign(tf.tensor1d(flat));
    return tf.tidy(() => net.softmaxLossAndGradient(x, y, 0.3, w).loss.dataSync()[0]);
  };
  net.params.assign(tf.tensor1d(base));
  const analytic = tf.tidy(() => net.softmaxLossAndGradient(x, y, 0.3, w).gradient.dataSync());
  const eps = 1e-2;
  for (let k = 0; k < base.length; k++) {
    const plus = base.slice();
    plus[k] += eps;
    const minus = base.slice();
    minus[k] -= eps;
    const numeric = (lossAt(plus) - lossAt(minus)) / (2 * eps);
    assert.ok(Math.abs(numeric - analytic[k]) < 2e-3 + 2e-2 * Math.abs(numeric), `param ${k}: analytic ${analytic[k]} vs numeric ${numeric}`);
  }
  tf.dispose([x, y, w]);
  net.dispose();

  const data = blobs(400, 3, 4, 3, 3);
  const { Xtr, ytr, Xte, yte } = split(data.X, data.y, 4);
  const mlp = CLASSIFIERS.mlp.create({ hidden_layers: 1, hidden_units: 16, max_epochs: 40, learning_rate: 0.01 });
  await mlp.fit(Xtr, ytr, { seed: 4, classes: 3 });
  const P = mlp.predictProba(Xte);
  assert.ok(accuracy(yte, P) > 0.85, `accuracy ${accuracy(yte, P)}`);
  assert.ok(logLoss(yte, P) < 0.5 * Math.log(3));
  const back = CLASSIFIERS.mlp.fromJSON(JSON.parse(JSON.stringify(mlp.toJSON())));
  const Q = back.predictProba(Xte);
  for (let i = 0; i < P.length; i++) assert.ok(Math.abs(P[i] - Q[i]) < 1e-6);
});
