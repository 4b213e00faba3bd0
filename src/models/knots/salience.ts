import { tf } from '../../runtime/backend.js';
import type { KnotModel } from './model.js';

export type QuadratureRule = 'trapezoid' | 'gauss_legendre';

/** Nodes and weights on [0, 1] for the integrated-gradients path integral. */
export interface Quadrature {
  nodes: Float64Array;
  weights: Float64Array;
}

/** Trapezoid rule with `steps` equal intervals (steps + 1 nodes, end weights halved). */
export function trapezoid(steps: number): Quadrature {
  const nodes = new Float64Array(steps + 1);
  const weights = new Float64Array(steps + 1);
  for (let k = 0; k <= steps; k++) {
    nodes[k] = k / steps;
    weights[k] = (k === 0 || k === steps ? 0.5 : 1) / steps;
  }
  return { nodes, weights };
}

/** Gauss-Legendre rule with `count` nodes (exact for polynomials of degree 2·count − 1), mapped to [0, 1]. */
export function gaussLegendre(count: number): Quadrature {
  const nodes = new Float64Array(count);
  const weights = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    // Newton's method on the Legendre polynomial P_count from the Chebyshev-like initial guess.
    let z = Math.cos((Math.PI * (i + 0.75)) / (count + 0.5));
    let derivative = 1;
    for (let iteration = 0; iteration < 100; iteration++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 1; j <= count; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      derivative = (count * (z * p1 - p2)) / (z * z - 1);
      const previous = z;
      z = previous - p1 / derivative;
      if (Math.abs(z - previous) < 1e-15) break;
    }
    nodes[count - 1 - i] = (z + 1) / 2;
    weights[count - 1 - i] = 1 / ((1 - z * z) * derivative * derivative);
  }
  return { nodes, weights };
}

function quadrature(rule: QuadratureRule, steps: number): Quadrature {
  return rule === 'trapezoid' ? trapezoid(steps) : gaussLegendre(steps);
}

/** dF/dx for standardized rows (row-major [n x d]); F is the model's predicted signature. */
export function inputGradients(model: KnotModel, x: Float32Array, batchSize = 8192): Float32Array {
  const d = model.features.length;
  const n = x.length / d;
  const out = new Float32Array(x.length);
  const gradient = tf.grad((xb: tf.Tensor) => tf.sum(model.signature(xb as tf.Tensor2D)));
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    out.set(
      tf.tidy(() => gradient(tf.tensor2d(x.subarray(start * d, end * d), [end - start, d])).dataSync() as Float32Array),
      start * d,
    );
  }
  return out;
}

/**
 * Gradient saliency as published (Davies et al. 2021): the mean over rows of |d loss / d x_i|,
 * x standardized, loss the per-example loss of the model's objective.
 */
export function gradientSaliency(model: KnotModel, x: Float32Array, y: Float64Array, batchSize = 4096): Float64Array {
  const d = model.features.length;
  const n = y.length;
  const totals = new Float64Array(d);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const yb = tf.tensor1d(Float32Array.from(y.subarray(start, end)));
    const gradient = tf.grad((xb: tf.Tensor) => tf.sum(model.saliencyLoss(xb as tf.Tensor2D, yb)));
    const g = tf.tidy(() => gradient(tf.tensor2d(x.subarray(start * d, end * d), [end - start, d])).dataSync());
    yb.dispose();
    for (let i = 0; i < g.length; i++) totals[i % d] += Math.abs(g[i]);
  }
  return totals.map((t) => t / n);
}

export interface IntegratedGradients {
  /** Row-major [examples x d] attributions. */
  attributions: Float64Array;
  /** F(x) − F(baseline) per example. */
  delta: Float64Array;
  /** Completeness gap per example: sum_i IG_i − (F(x) − F(baseline)). */
  gap: Float64Array;
}

/**
 * Integrated gradients (Sundararajan, Taly, Yan 2017) of F along the straight path from `baseline`
 * to each row: IG_i = (x_i − x'_i) · ∫₀¹ ∂F(x' + α(x − x'))/∂x_i dα, the integral by `rule`.
 */
export function integratedGradients(
  model: KnotModel,
  x: Float32Array,
  baseline: Float32Array,
  rule: QuadratureRule,
  steps: number,
  pointsPerBatch = 16384,
): IntegratedGradients {
  const d = model.features.length;
  const n = x.length / d;
  const { nodes, weights } = quadrature(rule, steps);
  const m = nodes.length;
  const attributions = new Float64Array(n * d);
  const delta = new Float64Array(n);
  const gap = new Float64Array(n);
  const gradient = tf.grad((p: tf.Tensor) => tf.sum(model.signature(p as tf.Tensor2D)));
  const perBatch = Math.max(1, Math.floor(pointsPerBatch / m));
  for (let start = 0; start < n; start += perBatch) {
    const end = Math.min(n, start + perBatch);
    const count = end - start;
    const points = new Float32Array(count * m * d);
    for (let e = 0; e < count; e++) {
      for (let k = 0; k < m; k++) {
        const at = (e * m + k) * d;
        for (let j = 0; j < d; j++) {
          const b = baseline[j];
          points[at + j] = b + nodes[k] * (x[(start + e) * d + j] - b);
        }
      }
    }
    const grads = tf.tidy(() => gradient(tf.tensor2d(points, [count * m, d])).dataSync());
    const ends = new Float32Array(count * d + d);
    ends.set(x.subarray(start * d, end * d));
    ends.set(baseline, count * d);
    const values = tf.tidy(() => model.signature(tf.tensor2d(ends, [count + 1, d])).dataSync());
    const fBaseline = values[count];
    for (let e = 0; e < count; e++) {
      let sum = 0;
      for (let j = 0; j < d; j++) {
        let integral = 0;
        for (let k = 0; k < m; k++) integral += weights[k] * grads[(e * m + k) * d + j];
        const ig = (x[(start + e) * d + j] - baseline[j]) * integral;
        attributions[(start + e) * d + j] = ig;
        sum += ig;
      }
      delta[start + e] = values[e] - fBaseline;
      gap[start + e] = sum - delta[start + e];
    }
  }
  return { attributions, delta, gap };
}

/** Mean |gap| and its size relative to the mean |F(x) − F(baseline)|. */
export function completenessSummary(ig: IntegratedGradients): { meanAbsGap: number; relative: number } {
  let gap = 0;
  let delta = 0;
  for (let i = 0; i < ig.gap.length; i++) {
    gap += Math.abs(ig.gap[i]);
    delta += Math.abs(ig.delta[i]);
  }
  const n = Math.max(1, ig.gap.length);
  return { meanAbsGap: gap / n, relative: delta > 0 ? gap / delta : 0 };
}

/** Mean |attribution| per feature over examples. */
export function meanAbsoluteAttribution(attributions: Float64Array, d: number): Float64Array {
  const totals = new Float64Array(d);
  const n = attributions.length / d;
  for (let i = 0; i < attributions.length; i++) totals[i % d] += Math.abs(attributions[i]);
  return totals.map((t) => t / Math.max(1, n));
}

/** 1-based ranks, 1 = largest score (ties by feature order). */
export function ranks(scores: ArrayLike<number>): Int32Array {
  const order = Array.from(scores, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const out = new Int32Array(scores.length);
  order.forEach((feature, position) => (out[feature] = position + 1));
  return out;
}

/** Scores divided by their sum (shares of the total salience). */
export function normalized(scores: ArrayLike<number>): Float64Array {
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += scores[i];
  return Float64Array.from(scores, (s) => (sum > 0 ? s / sum : 0));
}

/** Indices of the k highest scores, best first. */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  const r = ranks(scores);
  return Array.from(r, (rank, i) => ({ rank, i }))
    .filter((e) => e.rank <= k)
    .sort((a, b) => a.rank - b.rank)
    .map((e) => e.i);
}
