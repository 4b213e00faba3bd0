import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from '../../src/data/csv.js';
import { UserError } from '../../src/runtime/errors.js';
import { Random } from '../../src/runtime/random.js';
import { checkFunctionGradient } from '../../src/runtime/gradcheck.js';
import { inferProblem } from '../../src/tabular/problem.js';
import { binaryLogLoss, softmaxLogLoss } from '../../src/learners/class-losses.js';
import { multinomialObjective } from '../../src/learners/logistic.js';
import { StandardEncoder } from '../../src/learners/preprocess.js';
import { stackClassifiers, stackObjective } from '../../src/models/automl/class-stack.js';
import { stratifiedHoldoutSplit, stratifiedKFoldAssignment } from '../../src/tabular/split.js';
import { greedySelection } from '../../src/models/automl/ensemble.js';
import { accuracy, balancedAccuracy, f1, logLoss, rocAuc, confusionMatrix } from '../../src/metrics/classification.js';
import { checkFoldPlan, balancedWeights } from '../../src/models/automl/prepare.js';
import { applyCalibration, fitCalibration } from '../../src/models/automl/calibration.js';
import { blobs } from './helpers.js';

function table(target: string[] | number[], name = 'y') {
  return parseCsv(`x,${name}\n` + target.map((v, i) => `${i},${v}`).join('\n') + '\n', 't.csv');
}

test('problem type: text and true/false targets are classification, few integers too, the rest regression; overrides and bad targets', () => {
  const labels = Array.from({ length: 40 }, (_, i) => ['cat', 'dog', 'emu'][i % 3]);
  assert.equal(inferProblem(table(labels), 'y', 'auto', 'c').type, 'multiclass');
  const bools = inferProblem(table(Array.from({ length: 40 }, (_, i) => (i % 2 ? 'true' : 'false'))), 'y', 'auto', 'c');
  assert.equal(bools.type, 'binary');
  assert.match(bools.reason, /true\/false/);
  assert.deepEqual(bools.classes, ['false', 'true']);
  const zeroOne = inferProblem(table(Array.from({ length: 40 }, (_, i) => i % 2)), 'y', 'auto', 'c');
  assert.equal(zeroOne.type, 'binary');
  const digits = inferProblem(table(Array.from({ length: 300 }, (_, i) => (i * 7) % 10)), 'y', 'auto', 'c');
  assert.equal(digits.type, 'multiclass');
  assert.deepEqual(
    digits.classes,
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    'numeric labels sort numerically',
  );
  assert.match(digits.reason, /10 distinct integer/);
  // 10 distinct integers in 60 rows is too many per row: counts, regression.
  assert.equal(inferProblem(table(Array.from({ length: 60 }, (_, i) => i % 10)), 'y', 'auto', 'c').type, 'regression');
  assert.equal(inferProblem(table(Array.from({ length: 300 }, (_, i) => i)), 'y', 'auto', 'c').type, 'regression');
  const floats = inferProblem(table(Array.from({ length: 300 }, (_, i) => (i % 3) + 0.5)), 'y', 'auto', 'c');
  assert.equal(floats.type, 'regression');
  assert.match(floats.reason, /non-integer/);
  assert.equal(
    inferProblem(table(Array.from({ length: 300 }, (_, i) => i % 3)), 'y', 'regression', 'c').type,
    'regression',
  );
  assert.equal(
    inferProblem(table(Array.from({ length: 300 }, (_, i) => i % 30)), 'y', 'multiclass', 'c').classes!.length,
    30,
  );
  assert.throws(
    () => inferProblem(table(labels), 'y', 'binary', 'c.yaml: data'),
    (e: unknown) =>
      e instanceof UserError && /binary needs a target with exactly 2 classes, column 'y' has 3/.test(e.message),
  );
  assert.throws(
    () => inferProblem(table(labels), 'y', 'regression', 'c.yaml: data'),
    (e: unknown) => e instanceof UserError && /regression needs a numeric target/.test(e.message),
  );
  assert.throws(
    () => inferProblem(table(Array(20).fill('same')), 'y', 'auto', 'c'),
    (e: unknown) =>
      e instanceof UserError && /t\.csv: column 'y': expected at least two classes.*'same'/.test(e.message),
  );
  assert.throws(
    () => inferProblem(table(['a', 'b', ' ', 'a']), 'y', 'auto', 'c'),
    (e: unknown) => e instanceof UserError && /row 3: expected a class label, got an empty string/.test(e.message),
  );
});

function randomProba(rng: Random, n: number, K: number): Float64Array {
  const P = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += P[i * K + k] = Math.exp(rng.normal(0, 1.5));
    for (let k = 0; k < K; k++) P[i * K + k] /= s;
  }
  return P;
}

test('logistic boosting loss: gradient and hessian match finite differences of the loss', () => {
  const rng = new Random(3);
  const n = 12;
  const loss = binaryLogLoss();
  const y = Float64Array.from({ length: n }, () => rng.int(0, 2));
  const w = Float64Array.from({ length: n }, () => rng.uniform(0.2, 2));
  const raw = Float64Array.from({ length: n }, () => rng.normal(0, 2));
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  loss.gradients(y, loss.proba(raw), 1, w, grad, hess);
  // loss() is the weighted mean: its gradient is grad / sum(w).
  const W = w.reduce((a, b) => a + b, 0);
  const report = checkFunctionGradient(
    (r) => loss.loss(y, r, w),
    raw,
    grad.map((g) => g / W),
  );
  assert.ok(report.ok, report.message);
  // The hessian is the derivative of the gradient, row by row.
  for (let i = 0; i < n; i++) {
    const gi = (r: Float64Array) => {
      const g = new Float64Array(n);
      loss.gradients(y, loss.proba(r), 1, w, g, new Float64Array(n));
      return g[i];
    };
    const check = checkFunctionGradient(
      gi,
      raw,
      Float64Array.from({ length: n }, (_, j) => (j === i ? hess[i] : 0)),
    );
    assert.ok(check.ok, `row ${i}: ${check.message}`);
  }
});

test('softmax boosting loss: per-class gradients and diagonal hessians match finite differences', () => {
  const rng = new Random(4);
  const n = 6;
  const K = 4;
  const loss = softmaxLogLoss(K);
  const y = Float64Array.from({ length: n }, () => rng.int(0, K));
  const w = Float64Array.from({ length: n }, () => rng.uniform(0.2, 2));
  const raw = Float64Array.from({ length: n * K }, () => rng.normal(0, 2));
  const W = w.reduce((a, b) => a + b, 0);
  const analytic = new Float64Array(n * K);
  const hess = new Float64Array(n * K);
  for (let c = 0; c < K; c++) {
    const g = new Float64Array(n);
    const h = new Float64Array(n);
    loss.gradients(y, loss.proba(raw), c, w, g, h);
    for (let i = 0; i < n; i++) {
      analytic[i * K + c] = g[i] / W;
      hess[i * K + c] = h[i];
    }
  }
  const report = checkFunctionGradient((r) => loss.loss(y, r, w), raw, analytic);
  assert.ok(report.ok, report.message);
  for (let j = 0; j < n * K; j++) {
    const i = Math.floor(j / K);
    const c = j % K;
    const gj = (r: Float64Array) => {
      const g = new Float64Array(n);
      loss.gradients(y, loss.proba(r), c, w, g, new Float64Array(n));
      return g[i];
    };
    // Only the diagonal entry is claimed (boosting uses the diagonal of the Hessian).
    const h = 1e-5;
    const plus = Float64Array.from(raw);
    plus[j] += h;
    const minus = Float64Array.from(raw);
    minus[j] -= h;
    const d = (gj(plus) - gj(minus)) / (2 * h);
    assert.ok(
      Math.abs(d - hess[j]) < 1e-6 * Math.max(1, Math.abs(d)),
      `row ${i} class ${c}: hessian ${hess[j]} vs numeric ${d}`,
    );
  }
  const prior = Float64Array.of(0.1, 0.2, 0.3, 0.4);
  const base = loss.baseline(prior);
  const p = loss.proba(base);
  for (let k = 0; k < K; k++) assert.ok(Math.abs(p[k] - prior[k]) < 1e-12, 'the baseline scores reproduce the prior');
});

test('multinomial logistic regression and the stacker: objective gradients match finite differences', () => {
  const { X, y } = blobs(40, 3, 4, 5);
  const dense = StandardEncoder.fit(X).transform(X);
  const rng = new Random(6);
  const w = Float64Array.from({ length: 40 }, () => rng.uniform(0.5, 2));
  const theta = Float64Array.from({ length: (dense.width + 1) * 3 }, () => rng.normal(0, 0.5));
  const g = new Float64Array(theta.length);
  multinomialObjective(dense, y, w, 3, 0.7, theta, g);
  const report = checkFunctionGradient(
    (t) => multinomialObjective(dense, y, w, 3, 0.7, t, new Float64Array(t.length)),
    theta,
    g,
  );
  assert.ok(report.ok, report.message);

  const L = [randomProba(rng, 40, 3), randomProba(rng, 40, 3)].map((p) => p.map((v) => Math.log(v)));
  const rows = Int32Array.from({ length: 40 }, (_, i) => i);
  const th = Float64Array.from({ length: 2 + 3 }, () => rng.normal(0, 0.5));
  const gs = new Float64Array(th.length);
  stackObjective(L, y, rows, 3, th, gs);
  const stackReport = checkFunctionGradient(
    (t) => stackObjective(L, y, rows, 3, t, new Float64Array(t.length)),
    th,
    gs,
  );
  assert.ok(stackReport.ok, stackReport.message);
});

test('stratified folds and holdout keep the class proportions', () => {
  const rng = new Random(7);
  // Imbalanced: 60% / 30% / 10%.
  const y = Float64Array.from({ length: 1000 }, () => {
    const u = rng.next();
    return u < 0.6 ? 0 : u < 0.9 ? 1 : 2;
  });
  const counts = [0, 0, 0];
  for (const v of y) counts[v]++;
  const k = 5;
  const folds = stratifiedKFoldAssignment(y, k, 11);
  const sizes = new Array(k).fill(0);
  for (let f = 0; f < k; f++) {
    for (let c = 0; c < 3; c++) {
      let m = 0;
      for (let i = 0; i < y.length; i++) if (folds[i] === f && y[i] === c) m++;
      assert.ok(Math.abs(m - counts[c] / k) <= 1, `fold ${f} class ${c}: ${m} vs ${counts[c] / k}`);
      sizes[f] += m;
    }
  }
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes}`);
  assert.deepEqual(stratifiedKFoldAssignment(y, k, 11), folds, 'seeded');
  const split = stratifiedHoldoutSplit(y, 750, 3);
  assert.equal(split.train.length + split.holdout.length, 1000);
  for (let c = 0; c < 3; c++) {
    const inTrain = Array.from(split.train).filter((i) => y[i] === c).length;
    assert.ok(Math.abs(inTrain - 0.75 * counts[c]) <= 1, `class ${c}: ${inTrain} of ${counts[c]} in training`);
  }
});

test('rare classes: a class with one row or more classes than rows per fold are errors; rarer than the folds is a note', () => {
  const y = Float64Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2]);
  const notes = checkFoldPlan(y, ['a', 'b', 'c'], 5, 'd.csv');
  assert.deepEqual(notes, [
    "class 'c' has 3 training rows, fewer than the 5 folds: it is absent from the validation rows of 2 fold(s)",
  ]);
  assert.throws(
    () => checkFoldPlan(Float64Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2]), ['a', 'b', 'c'], 2, 'd.csv'),
    (e: unknown) => e instanceof UserError && /class 'c' of the target has a single training row/.test(e.message),
  );
  assert.throws(
    () =>
      checkFoldPlan(
        Float64Array.from({ length: 20 }, (_, i) => i % 10),
        Array.from({ length: 10 }, (_, i) => `c${i}`),
        5,
        'd.csv',
      ),
    (e: unknown) => e instanceof UserError && /10 classes but only 4 training rows per fold/.test(e.message),
  );
  const w = balancedWeights(Float64Array.from([0, 0, 0, 1]), 2);
  assert.deepEqual(Array.from(w), [4 / 6, 4 / 6, 4 / 6, 2]);
});

test('greedy ensemble on probabilities: OOF log loss never above its best member; it beats them with independent errors', () => {
  for (let seed = 1; seed <= 15; seed++) {
    const rng = new Random(seed);
    const n = 300;
    const K = 2 + (seed % 4);
    const y = Float64Array.from({ length: n }, () => rng.int(0, K));
    const members = Array.from({ length: 2 + (seed % 5) }, () => {
      const P = randomProba(rng, n, K);
      for (let i = 0; i < n; i++) {
        P[i * K + y[i]] += rng.uniform(0, 1.5);
        let s = 0;
        for (let k = 0; k < K; k++) s += P[i * K + k];
        for (let k = 0; k < K; k++) P[i * K + k] /= s;
      }
      return P;
    });
    const best = Math.min(...members.map((p) => logLoss(y, p)));
    const g = greedySelection(members, y, logLoss, 25);
    assert.ok(g.loss <= best + 1e-12, `seed ${seed}: ensemble ${g.loss} > best member ${best}`);
    if (members.length >= 3) assert.ok(g.loss < best, `seed ${seed}: averaging independent members helps`);
  }
});

test('the logistic stacker scored on the folds beats its members on complementary experts', () => {
  const rng = new Random(9);
  const n = 600;
  const K = 3;
  const y = Float64Array.from({ length: n }, (_, i) => i % K);
  // Each member knows one class well and is vague about the others.
  const members = Array.from({ length: 3 }, (_, m) => {
    const P = new Float64Array(n * K);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) P[i * K + k] = Math.exp(rng.normal(0, 0.3) + (y[i] === k ? (k === m ? 3 : 0.7) : 0));
      let s = 0;
      for (let k = 0; k < K; k++) s += P[i * K + k];
      for (let k = 0; k < K; k++) P[i * K + k] /= s;
    }
    return P;
  });
  const folds = stratifiedKFoldAssignment(y, 5, 1);
  const { oof } = stackClassifiers(members, y, folds, 5, K);
  const best = Math.min(...members.map((p) => logLoss(y, p)));
  assert.ok(logLoss(y, oof) < best, `stack ${logLoss(y, oof)} vs best member ${best}`);
});

test('metrics agree with hand-computed values', () => {
  const y = [0, 0, 1, 1, 1];
  const P = [0.9, 0.1, 0.4, 0.6, 0.35, 0.65, 0.8, 0.2, 0.3, 0.7];
  assert.equal(accuracy(y, P), 0.6);
  // Pairs (pos, neg) ranked right: pos scores .65 .2 .7 vs neg .1 .6 -> (.65>.1,.65>.6,.2>.1,.7>.1,.7>.6) = 5 of 6.
  assert.ok(Math.abs(rocAuc(y, P) - 5 / 6) < 1e-12);
  // Class 1: precision 2/3, recall 2/3 -> F1 2/3; balanced accuracy (1/2 + 2/3) / 2.
  assert.ok(Math.abs(f1(y, P) - 2 / 3) < 1e-12);
  assert.ok(Math.abs(balancedAccuracy(y, P) - (0.5 + 2 / 3) / 2) < 1e-12);
  const expected = -(Math.log(0.9) + Math.log(0.4) + Math.log(0.65) + Math.log(0.2) + Math.log(0.7)) / 5;
  assert.ok(Math.abs(logLoss(y, P) - expected) < 1e-12);
  assert.deepEqual(confusionMatrix(y, P), [
    [1, 1],
    [1, 2],
  ]);
  // Ties get half credit.
  assert.equal(rocAuc([0, 1], [0.5, 0.5, 0.5, 0.5]), 0.5);
});

test('power calibration sharpens underconfident votes and lowers their log loss', () => {
  const rng = new Random(12);
  const n = 2000;
  const K = 4;
  const y = Float64Array.from({ length: n }, () => rng.int(0, K));
  // Votes that are right but timid: 0.4 on the true class, 0.2 on each other.
  const P = new Float64Array(n * K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) P[i * K + k] = k === y[i] ? 0.4 : 0.2;
  const c = fitCalibration(y, P, K);
  assert.ok(c.power > 1, `power ${c.power}`);
  assert.ok(logLoss(y, applyCalibration(P, K, c)) < logLoss(y, P) - 0.5);
});
