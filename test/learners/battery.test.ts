/**
 * One battery over every learner of the two registries (scikit-learn's parametrize_with_checks):
 * a learner added to LEARNERS or CLASSIFIERS is checked here without a test file of its own.
 * Data are tiny and budgets small: these are contracts, not quality (each learner's own tests
 * check that it learns).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/runtime/backend.js';
import { LEARNERS } from '../../src/learners/registry.js';
import { CLASSIFIERS } from '../../src/learners/classifiers.js';
import type { Classifier } from '../../src/learners/classifier.js';
import type { FitOptions, Learner, LearnerFactory, Matrix, Params } from '../../src/learners/learner.js';
import { friedman } from './helpers.js';
import { blobs } from '../classify/helpers.js';

/** Small budgets by the factory's budget parameter (boosting rounds, trees, epochs). */
const SMALL_BUDGET: Record<string, number> = { max_iter: 12, n_estimators: 6, max_epochs: 8 };

function smallParams(factory: LearnerFactory): Partial<Params> {
  const params: Partial<Params> = {};
  if (factory.budgetParam) params[factory.budgetParam] = SMALL_BUDGET[factory.budgetParam];
  if ('n_jobs' in factory.defaults) params.n_jobs = 1;
  if ('hidden_units' in factory.defaults) params.hidden_units = 8;
  // Leaves of several rows: a leaf's value is then a weighted mean, so sample weights show.
  if ('min_samples_leaf' in factory.defaults) params.min_samples_leaf = 8;
  return params;
}

/** A copy of X with a missing value in the first column of every 9th row. */
function withMissing(X: Matrix): Matrix {
  const columns = X.columns.map((c) => Float64Array.from(c));
  for (let i = 0; i < X.rows; i += 9) columns[0][i] = NaN;
  return { rows: X.rows, columns, names: X.names };
}

async function fitted(
  factory: LearnerFactory,
  X: Matrix,
  y: Float64Array,
  options: FitOptions & { classes?: number },
): Promise<Learner> {
  const model = factory.create(smallParams(factory));
  await model.fit(X, y, options);
  return model;
}

function reloaded(factory: LearnerFactory, model: Learner): Learner {
  return factory.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
}

function rowsOf(X: Matrix, start: number, end: number): Matrix {
  return {
    rows: end - start,
    columns: X.columns.map((c) => Float64Array.from(c.subarray(start, end))),
    names: X.names,
  };
}

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

const regression = friedman(90, 31, 0.5, 5);
const regressionX = withMissing(regression.X);
const probe = withMissing(friedman(30, 32, 0, 5).X);

for (const [name, factory] of Object.entries(LEARNERS)) {
  test(`battery, regressor ${name}: shapes, same seed same model, save/load, sample weights, steps`, async () => {
    if (factory.kind === 'mlp') await initBackend();
    const model = await fitted(factory, regressionX, regression.y, { seed: 7 });
    const pred = model.predict(probe);
    assert.equal(pred.length, probe.rows);
    assert.ok(pred.every(Number.isFinite), 'finite predictions, missing values included');
    assert.equal(model.kind, factory.kind);

    const again = await fitted(factory, regressionX, regression.y, { seed: 7 });
    assert.deepEqual(again.predict(probe), pred, 'the same seed trains the same model');
    assert.deepEqual(reloaded(factory, model).predict(probe), pred, 'a saved model reloads and predicts identically');

    // Weight the rows above the median target 20 times: the mean prediction rises.
    const median = [...regression.y].sort((a, b) => a - b)[regression.y.length >> 1];
    const weight = Float64Array.from(regression.y, (v) => (v > median ? 20 : 1));
    const weighted = await fitted(factory, regressionX, regression.y, { seed: 7, sampleWeight: weight });
    if (factory.sampleWeights === false)
      assert.deepEqual(weighted.predict(probe), pred, 'a learner without sample weights ignores them');
    else
      assert.ok(
        mean(weighted.predict(probe)) > mean(pred),
        `upweighting high targets raises the mean prediction (${mean(weighted.predict(probe))} vs ${mean(pred)})`,
      );

    const stepped = factory.create(smallParams(factory)) as Learner & {
      growTo?: (X: Matrix, y: Float64Array, options: FitOptions, total: number) => Promise<void>;
    };
    if (stepped.growTo && factory.budgetParam) {
      const total = SMALL_BUDGET[factory.budgetParam];
      await stepped.growTo(regressionX, regression.y, { seed: 7 }, 2);
      await stepped.growTo(regressionX, regression.y, { seed: 7 }, total - 1);
      await stepped.growTo(regressionX, regression.y, { seed: 7 }, total);
      assert.deepEqual(stepped.predict(probe), pred, 'grown in steps equals grown at once');
    }
  });
}

const blobRows = blobs(126, 3, 4, 33, 1);
const classification = { X: rowsOf(blobRows.X, 0, 96), y: blobRows.y.slice(0, 96) };
const classificationX = withMissing(classification.X);
const classProbe = withMissing(rowsOf(blobRows.X, 96, 126));

for (const [name, factory] of Object.entries(CLASSIFIERS)) {
  test(`battery, classifier ${name}: probabilities sum to 1 and predict is their argmax, same seed same model, save/load, sample weights, two classes`, async () => {
    if (factory.kind === 'mlp') await initBackend();
    const K = 3;
    const model = (await fitted(factory, classificationX, classification.y, { seed: 5, classes: K })) as Classifier;
    assert.equal(model.classes, K);
    const P = model.predictProba(classProbe);
    assert.equal(P.length, classProbe.rows * K);
    const labels = model.predict(classProbe);
    for (let i = 0; i < classProbe.rows; i++) {
      let sum = 0;
      let best = 0;
      for (let k = 0; k < K; k++) {
        assert.ok(P[i * K + k] >= 0 && P[i * K + k] <= 1);
        sum += P[i * K + k];
        if (P[i * K + k] > P[i * K + best]) best = k;
      }
      // Forests keep their leaves' class frequencies in Float32.
      assert.ok(Math.abs(sum - 1) < 1e-6, `row ${i} sums to ${sum}`);
      assert.equal(labels[i], best, `row ${i}: predict is the most probable class`);
    }

    const again = (await fitted(factory, classificationX, classification.y, { seed: 5, classes: K })) as Classifier;
    assert.deepEqual(again.predictProba(classProbe), P, 'the same seed trains the same model');
    assert.deepEqual(
      (reloaded(factory, model) as Classifier).predictProba(classProbe),
      P,
      'a saved model reloads and predicts identically',
    );

    // Weight class 0 20 times: its mean probability rises.
    const weight = Float64Array.from(classification.y, (v) => (v === 0 ? 20 : 1));
    const weighted = (await fitted(factory, classificationX, classification.y, {
      seed: 5,
      classes: K,
      sampleWeight: weight,
    })) as Classifier;
    const P0 = (M: Float64Array) => mean(M.filter((_, j) => j % K === 0));
    if (factory.sampleWeights === false)
      assert.deepEqual(weighted.predictProba(classProbe), P, 'a learner without sample weights ignores them');
    else
      assert.ok(
        P0(weighted.predictProba(classProbe)) > P0(P),
        `upweighting class 0 raises its probability (${P0(weighted.predictProba(classProbe))} vs ${P0(P)})`,
      );

    // Two classes (the binary path of boosting and logistic regression).
    const binaryY = classification.y.map((v) => (v === 0 ? 0 : 1));
    const binary = (await fitted(factory, classificationX, binaryY, { seed: 5, classes: 2 })) as Classifier;
    const B = binary.predictProba(classProbe);
    assert.equal(B.length, classProbe.rows * 2);
    for (let i = 0; i < classProbe.rows; i++) assert.ok(Math.abs(B[2 * i] + B[2 * i + 1] - 1) < 1e-6);
  });
}
