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
  // Probabilities summing to 1, predict as their argmax, reloading: the learner battery (test/learners/battery.test.ts).
  test(`${kind} classifier: beats the prior on wine (3 classes) and breast cancer (2)`, async () => {
    for (const [name, data, minAccuracy] of [
      ['wine', wine, 0.9],
      ['breast cancer', cancer, 0.9],
    ] as const) {
      const K = data.classes.length;
      const { Xtr, ytr, Xte, yte } = split(data.X, data.y, 4);
      const model = CLASSIFIERS[kind].create({}) as Classifier;
      await model.fit(Xtr, ytr, { seed: 3, classes: K });
      const P = model.predictProba(Xte);
      assert.equal(P.length, Xte.rows * K);
      const acc = accuracy(yte, P);
      assert.ok(acc >= minAccuracy, `${name}: accuracy ${acc}`);
      if (kind !== 'knn' && !kind.endsWith('trees') && kind !== 'random_forest')
        assert.ok(logLoss(yte, P) < 0.5 * priorLogLoss(ytr, yte, K), `${name}: log loss ${logLoss(yte, P)}`);
    }
  });
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
  binary.fit(
    X,
    y.map((v) => v % 2),
    { seed: 1 },
  );
  assert.equal((binary.toJSON().state as { pack: TreePack }).pack.trees, 5, 'binary: one tree per round');
});

// Sample weights shifting every classifier's probabilities: the learner battery (test/learners/battery.test.ts).
test('forests: gini and entropy both separate the classes', async () => {
  const { Xtr, ytr, Xte, yte } = split(wine.X, wine.y, 3);
  for (const criterion of ['gini', 'entropy']) {
    const m = CLASSIFIERS.random_forest.create({ criterion, n_estimators: 40 });
    await m.fit(Xtr, ytr, { seed: 2, classes: 3 });
    assert.ok(accuracy(yte, m.predictProba(Xte)) > 0.9, criterion);
  }
});

test('MLP softmax head: hand-written gradient (weighted, L2) matches finite differences; the classifier learns blobs', async () => {
  await initBackend();
  const rng = new Random(8);
  const net = Network.create([3, 5, 4], 'sigmoid', rng);
  const x = tf.tensor2d(
    Array.from({ length: 6 * 3 }, () => rng.normal()),
    [6, 3],
  );
  const labels = Array.from({ length: 6 }, () => rng.int(0, 4));
  const y = tf.tensor2d(
    labels.flatMap((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0))),
    [6, 4],
  );
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
    assert.ok(
      Math.abs(numeric - analytic[k]) < 2e-3 + 2e-2 * Math.abs(numeric),
      `param ${k}: analytic ${analytic[k]} vs numeric ${numeric}`,
    );
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
});
