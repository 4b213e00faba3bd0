import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { checkGradients } from '../../src/runtime/gradcheck.js';
import { Random } from '../../src/runtime/random.js';
import { Mlp } from '../../src/models/knots/mlp.js';
import { KnotModel, type Standardization } from '../../src/models/knots/model.js';
import {
  completenessSummary,
  gaussLegendre,
  gradientSaliency,
  inputGradients,
  integratedGradients,
  ranks,
  topK,
  trapezoid,
} from '../../src/models/knots/salience.js';

before(async () => {
  await initBackend('wasm');
});

function normals(n: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** A small random smooth network wrapped as a knot model on `d` standardized inputs. */
function tanhModel(d: number, seed: number, objective: 'regression' | 'classification' = 'regression'): KnotModel {
  const features = Array.from({ length: d }, (_, j) => `f${j}`);
  const standardization: Standardization = { mean: Array(d).fill(0), std: Array(d).fill(1) };
  const y = objective === 'classification' ? [-4, -2, 0, 2, 4] : [-3, 0, 5];
  return KnotModel.create(
    { features, standardization, objective, width: 8, depth: 2, activation: 'tanh' },
    y,
    new Random(seed),
  );
}

test('the textbook case: one saturated relu, plain gradient 0, integrated gradients 10:1 and complete', () => {
  // F(x) = 1 − relu(1 − (10·x1 + x2)): input 1 weighs 10 times input 2; flat (saturated) at x = (1, 1).
  const mlp = Mlp.fromState({
    spec: { inputs: 2, hidden: [1], outputs: 1, activation: 'relu' },
    layers: [
      { kernel: [-10, -1], bias: [1] },
      { kernel: [-1], bias: [1] },
    ],
  });
  const model = KnotModel.fromMlp(mlp, ['x1', 'x2']);
  const x = Float32Array.of(1, 1);
  const baseline = Float32Array.of(0, 0);

  const gradient = inputGradients(model, x);
  assert.deepEqual(Array.from(gradient), [0, 0], 'saturated: the plain gradient is zero');

  const fx = model.predict(x)[0];
  const fb = model.predict(baseline)[0];
  assert.equal(fx, 1);
  assert.equal(fb, 0);

  for (const [rule, steps] of [
    ['trapezoid', 2200],
    ['gauss_legendre', 400],
  ] as const) {
    const ig = integratedGradients(model, x, baseline, rule, steps);
    const [a1, a2] = ig.attributions;
    assert.ok(Math.abs(a1 / a2 - 10) < 0.2, `${rule}: IG ratio ${a1 / a2}, expected 10`);
    assert.ok(Math.abs(a1 + a2 - (fx - fb)) < 0.02, `${rule}: IG sums to ${a1 + a2}, expected F(x) − F(baseline) = 1`);
    assert.ok(Math.abs(ig.gap[0]) < 0.02);
    assert.ok(
      Math.abs(a1 - 10 / 11) < 0.02 && Math.abs(a2 - 1 / 11) < 0.01,
      `${rule}: IG (${a1}, ${a2}), expected (10/11, 1/11)`,
    );
  }
});

test('input gradients match central finite differences', () => {
  const d = 5;
  const model = tanhModel(d, 3);
  const x = normals(4 * d, 7);
  const analytic = inputGradients(model, x);
  const h = 1e-2;
  for (let i = 0; i < x.length; i++) {
    const plus = x.slice();
    const minus = x.slice();
    plus[i] += h;
    minus[i] -= h;
    const row = Math.floor(i / d);
    const numeric = (model.predict(plus)[row] - model.predict(minus)[row]) / (2 * h);
    assert.ok(
      Math.abs(analytic[i] - numeric) <= 2e-3 + 1e-2 * Math.abs(numeric),
      `dF/dx[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`,
    );
  }
});

for (const objective of ['regression', 'classification'] as const) {
  test(`training loss gradients (weights and inputs) pass the finite-difference check: ${objective}`, () => {
    const d = 4;
    const model = tanhModel(d, 11, objective);
    const x = tf.variable(tf.tensor2d(normals(3 * d, 5), [3, d]));
    const y = tf.tensor1d(objective === 'classification' ? [-2, 4, 0] : [1.5, -2, 0.5]);
    const report = checkGradients(() => tf.mean(model.trainingLoss(x, y)) as tf.Scalar, [...model.mlp.variables, x], {
      seed: 1,
    });
    assert.ok(report.ok, report.message);
    x.dispose();
    y.dispose();
    model.dispose();
  });
}

test('the completeness gap shrinks as steps grow, faster with Gauss-Legendre', () => {
  const d = 6;
  const model = tanhModel(d, 21);
  const x = Float32Array.from(normals(32 * d, 9), (v) => 2.5 * v);
  const baseline = new Float32Array(d);
  const gap = (rule: 'trapezoid' | 'gauss_legendre', steps: number) =>
    completenessSummary(integratedGradients(model, x, baseline, rule, steps)).meanAbsGap;
  const trapezoidGaps = [2, 4, 8, 16].map((s) => gap('trapezoid', s));
  for (let i = 1; i < trapezoidGaps.length; i++)
    assert.ok(trapezoidGaps[i] < trapezoidGaps[i - 1] * 0.6, `trapezoid gaps ${trapezoidGaps}`);
  const gaussGaps = [1, 2, 3, 4].map((s) => gap('gauss_legendre', s));
  for (let i = 1; i < gaussGaps.length; i++)
    assert.ok(gaussGaps[i] < gaussGaps[i - 1], `Gauss-Legendre gaps ${gaussGaps}`);
  assert.ok(
    gap('gauss_legendre', 8) < gap('trapezoid', 8),
    'Gauss-Legendre beats trapezoid at equal steps on a smooth network',
  );
  const converged = completenessSummary(integratedGradients(model, x, baseline, 'gauss_legendre', 16));
  assert.ok(converged.relative < 1e-3, `Gauss-Legendre, 16 nodes: relative gap ${converged.relative}`);
});

test('quadrature rules integrate what they should exactly', () => {
  const integrate = (q: { nodes: Float64Array; weights: Float64Array }, f: (t: number) => number) =>
    q.nodes.reduce((s, t, k) => s + q.weights[k] * f(t), 0);
  for (let n = 1; n <= 12; n++) {
    const q = gaussLegendre(n);
    assert.ok(Math.abs(q.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    // exact for degree 2n − 1 on [0, 1]: ∫ t^k = 1/(k+1)
    for (let k = 0; k <= 2 * n - 1; k++)
      assert.ok(Math.abs(integrate(q, (t) => t ** k) - 1 / (k + 1)) < 1e-12, `n=${n} k=${k}`);
    assert.ok(q.nodes.every((t, i) => t > 0 && t < 1 && (i === 0 || t > q.nodes[i - 1])));
  }
  const t = trapezoid(10);
  assert.ok(Math.abs(integrate(t, (s) => 3 * s + 1) - 2.5) < 1e-12, 'trapezoid is exact for linear functions');
  assert.ok(Math.abs(integrate(t, (s) => s * s) - 1 / 3) > 1e-4, 'but not for quadratics');
});

test('gradient saliency ranks the input a function depends on first', () => {
  // F = 3·x0 + 0.1·x2 (linear, hand-set): |d (F − y)² / d x| is 3:0:0.1 times |2(F − y)|.
  const mlp = Mlp.fromState({
    spec: { inputs: 3, hidden: [], outputs: 1, activation: 'relu' },
    layers: [{ kernel: [3, 0, 0.1], bias: [0] }],
  });
  const model = KnotModel.fromMlp(mlp, ['a', 'b', 'c']);
  const x = normals(300, 4);
  const y = Float64Array.from({ length: 100 }, (_, i) => Math.sin(i));
  const s = gradientSaliency(model, x, y);
  assert.ok(Math.abs(s[0] / s[2] - 30) < 1e-3 * 30, `ratio ${s[0] / s[2]}`);
  assert.equal(s[1], 0);
  assert.deepEqual(Array.from(ranks(s)), [1, 3, 2]);
  assert.deepEqual(topK(s, 2), [0, 2]);
});
