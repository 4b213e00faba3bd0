/**
 * Finite-difference gradient checks for model authors: compares tfjs's analytic gradient of a
 * loss with central differences, on the backend in use (so sciml's kernel patches are checked
 * with everything else).
 *
 * For a LayersModel, on a small batch (2-4 examples, a few dozen features):
 *
 *   const report = checkModelGradients(model, { x, y, loss: (t, p) => tf.losses.meanSquaredError(t, p) }, { seed: 1 });
 *   assert.ok(report.ok, report.message);      // or: assertGradientsMatch(report)
 *
 * For any function of variables: `checkGradients(() => lossScalar(), [v1, v2], options)`.
 *
 * From each trainable tensor it checks the entry with the largest analytic gradient and
 * `samplesPerTensor` random others (seeded). The numeric derivative is Richardson-extrapolated
 * from steps h and h/2 (h = `step` * max(1, |w|)), which keeps float32 noise small without a
 * tiny step. An entry passes when |analytic - numeric| <= rtol * max(|a|, |n|) + atol * (largest
 * |gradient| of its tensor) + the float32 rounding noise of the loss. Where the two step sizes
 * tell different stories (the central estimates disagree, or the one-sided slopes' gap does not
 * halve with the step), the loss has a kink within the step (ReLU, max-pooling): such entries
 * are counted as non-smooth and skipped, and more than `maxNonSmoothFraction` of them fails the
 * check. Kinks are judged from loss values only, never from the analytic gradient.
 * Prefer smooth activations (tanh) in gradient-check models; dropout must be inactive
 * (training: false, the default). Cost: 5 loss evaluations per checked entry.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from './random.js';

export interface GradCheckOptions {
  /** Seed for choosing the entries checked. Default 0. */
  seed?: number;
  /** Random entries per tensor, besides the one with the largest gradient. Default 4. */
  samplesPerTensor?: number;
  /** Relative step. Default 1e-2. */
  step?: number;
  /** Relative tolerance. Default 1e-2. */
  rtol?: number;
  /** Absolute tolerance as a fraction of the tensor's largest |gradient|. Default 1e-3. */
  atol?: number;
  /** Largest fraction of checked entries that may be skipped as non-smooth. Default 0.25. */
  maxNonSmoothFraction?: number;
}

export interface ModelGradCheckOptions extends GradCheckOptions {
  /** Also check the gradient with respect to the input(s). Default false. */
  checkInputs?: boolean;
  /** Call the model in training mode. Default false (dropout would make the loss random). */
  training?: boolean;
}

interface GradCheckEntry {
  tensor: string;
  index: number[];
  analytic: number;
  numeric: number;
  /** |analytic - numeric| divided by the entry's tolerance: <= 1 passes. */
  errorRatio: number;
  smooth: boolean;
}

export interface GradCheckReport {
  ok: boolean;
  backend: string;
  loss: number;
  checked: number;
  nonSmooth: number;
  failures: GradCheckEntry[];
  /** The smooth entry with the largest error ratio. */
  worst: GradCheckEntry | undefined;
  entries: GradCheckEntry[];
  message: string;
}

interface Resolved {
  seed: number;
  samplesPerTensor: number;
  step: number;
  rtol: number;
  atol: number;
  maxNonSmoothFraction: number;
}

const FLOAT32_EPS = 2 ** -23;
let inputCounter = 0; // variable names must be unique

/** Checks d loss / d variables for a scalar `loss` built from `variables` (all must be float32). */
export function checkGradients(
  loss: () => tf.Scalar,
  variables: tf.Variable[],
  options: GradCheckOptions = {},
): GradCheckReport {
  return runCheck(
    loss,
    variables.map((v) => ({ name: v.name, variable: v })),
    resolve(options),
  );
}

/** Checks a LayersModel's trainable weights (and optionally inputs) on one batch. */
export function checkModelGradients(
  model: tf.LayersModel,
  data: {
    x: tf.Tensor | tf.Tensor[];
    y: tf.Tensor | tf.Tensor[];
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
  },
  options: ModelGradCheckOptions = {},
): GradCheckReport {
  const xs = Array.isArray(data.x) ? data.x : [data.x];
  const ys = Array.isArray(data.y) ? data.y : [data.y];
  const targets = model.trainableWeights.map((w) => ({ name: w.name, variable: w.read() as tf.Variable }));
  const inputVars = options.checkInputs
    ? xs.map((x, i) => tf.variable(x, true, `gradcheck_input_${i}_${inputCounter++}`))
    : [];
  inputVars.forEach((v, i) => targets.push({ name: `input[${i}]`, variable: v }));
  const loss = () =>
    tf.tidy(() => {
      const inputs = inputVars.length ? inputVars : xs;
      const out = model.apply(inputs.length === 1 ? inputs[0] : inputs, { training: options.training ?? false }) as
        | tf.Tensor
        | tf.Tensor[];
      const preds = Array.isArray(out) ? out : [out];
      if (preds.length !== ys.length)
        throw new Error(`gradcheck: model has ${preds.length} outputs but ${ys.length} targets were given`);
      return tf.addN(preds.map((p, i) => tf.mean(data.loss(ys[i], p)))) as tf.Scalar;
    });
  try {
    return runCheck(loss, targets, resolve(options));
  } finally {
    inputVars.forEach((v) => v.dispose());
  }
}

/** Throws with the report's message unless it passed. */
export function assertGradientsMatch(report: GradCheckReport): void {
  if (!report.ok) throw new Error(report.message);
}

function resolve(o: GradCheckOptions): Resolved {
  return {
    seed: o.seed ?? 0,
    samplesPerTensor: o.samplesPerTensor ?? 4,
    step: o.step ?? 1e-2,
    rtol: o.rtol ?? 1e-2,
    atol: o.atol ?? 1e-3,
    maxNonSmoothFraction: o.maxNonSmoothFraction ?? 0.25,
  };
}

function runCheck(
  loss: () => tf.Scalar,
  targets: { name: string; variable: tf.Variable }[],
  o: Resolved,
): GradCheckReport {
  for (const t of targets) {
    if (t.variable.dtype !== 'float32')
      throw new Error(`gradcheck: ${t.name} is ${t.variable.dtype}, expected float32`);
  }
  const { value, grads } = tf.variableGrads(
    loss,
    targets.map((t) => t.variable),
  );
  const loss0 = value.dataSync()[0];
  value.dispose();
  const random = new Random(o.seed);
  const entries: GradCheckEntry[] = [];
  for (const t of targets) {
    const g = grads[t.variable.name];
    if (!g) throw new Error(`gradcheck: no gradient for ${t.name} (is it used by the loss?)`);
    const analytic = g.dataSync();
    g.dispose();
    const scale = maxAbs(analytic);
    const original = t.variable.dataSync().slice() as Float32Array;
    try {
      for (const flat of chooseEntries(analytic, o.samplesPerTensor, random)) {
        const numeric = numericDerivative(loss, t.variable, original, flat, o.step);
        const tolerance =
          o.rtol * Math.max(Math.abs(analytic[flat]), Math.abs(numeric.value)) + o.atol * scale + numeric.noise;
        const error = Math.abs(analytic[flat] - numeric.value);
        const smooth = numeric.spread <= tolerance + 2 * numeric.noise;
        entries.push({
          tensor: t.name,
          index: unflatten(flat, t.variable.shape),
          analytic: analytic[flat],
          numeric: numeric.value,
          errorRatio: tolerance > 0 ? error / tolerance : error === 0 ? 0 : Infinity,
          smooth,
        });
      }
    } finally {
      setValues(t.variable, original);
    }
  }
  return summarize(entries, loss0, o);
}

function summarize(entries: GradCheckEntry[], loss: number, o: Resolved): GradCheckReport {
  const smooth = entries.filter((e) => e.smooth);
  const nonSmooth = entries.length - smooth.length;
  const failures = smooth.filter((e) => !(e.errorRatio <= 1));
  const worst = smooth.reduce<GradCheckEntry | undefined>(
    (w, e) => (!w || e.errorRatio > w.errorRatio ? e : w),
    undefined,
  );
  const tooRough = nonSmooth > o.maxNonSmoothFraction * entries.length;
  const ok = failures.length === 0 && !tooRough && smooth.length > 0;
  const backend = tf.getBackend();
  const lines = [
    `gradient check on ${backend}: ${entries.length} entries, ${nonSmooth} non-smooth, ${failures.length} failed (loss ${loss.toPrecision(6)})`,
  ];
  for (const f of failures.slice(0, 10)) {
    lines.push(
      `  ${f.tensor}[${f.index.join(',')}]: analytic ${f.analytic.toExponential(4)} vs numeric ${f.numeric.toExponential(4)} (${f.errorRatio.toFixed(1)}x tolerance)`,
    );
  }
  if (tooRough)
    lines.push(
      `  too many non-smooth entries (${nonSmooth}/${entries.length}): use smooth activations or a smaller step`,
    );
  if (smooth.length === 0) lines.push('  nothing checked');
  if (ok && worst)
    lines.push(`  worst: ${worst.tensor}[${worst.index.join(',')}] at ${worst.errorRatio.toFixed(2)}x tolerance`);
  return { ok, backend, loss, checked: entries.length, nonSmooth, failures, worst, entries, message: lines.join('\n') };
}

/** The entry with the largest |gradient|, then up to `samples` distinct random others. */
function chooseEntries(analytic: ArrayLike<number>, samples: number, random: Random): number[] {
  const n = analytic.length;
  let largest = 0;
  for (let i = 1; i < n; i++) if (Math.abs(analytic[i]) > Math.abs(analytic[largest])) largest = i;
  const chosen = new Set<number>([largest]);
  if (n - 1 <= samples) for (let i = 0; i < n; i++) chosen.add(i);
  else while (chosen.size < samples + 1) chosen.add(random.int(0, n));
  return [...chosen];
}

/**
 * Richardson-extrapolated central difference, using the steps float32 actually took.
 * `spread` measures non-smoothness (see below); `noise` bounds the float32 rounding of the loss
 * divided by the step.
 */
function numericDerivative(
  loss: () => tf.Scalar,
  variable: tf.Variable,
  original: Float32Array,
  flat: number,
  step: number,
): { value: number; spread: number; noise: number } {
  const w0 = original[flat];
  const h = step * Math.max(1, Math.abs(w0));
  const at = (w: number): { w: number; l: number } => {
    const values = original.slice();
    values[flat] = w;
    setValues(variable, values);
    const l = tf.tidy(loss);
    const v = l.dataSync()[0];
    l.dispose();
    return { w: Math.fround(w), l: v };
  };
  const center = at(w0);
  const sides = (hh: number) => {
    const p = at(w0 + hh);
    const m = at(w0 - hh);
    const forward = (p.l - center.l) / (p.w - center.w);
    const backward = (center.l - m.l) / (center.w - m.w);
    return {
      central: (p.l - m.l) / (p.w - m.w),
      gap: forward - backward,
      scale: Math.max(Math.abs(p.l), Math.abs(m.l), Math.abs(center.l)),
      width: p.w - m.w,
    };
  };
  const wide = sides(h);
  const narrow = sides(h / 2);
  const value = (4 * narrow.central - wide.central) / 3;
  const noise = (16 * FLOAT32_EPS * Math.max(wide.scale, narrow.scale)) / narrow.width;
  // Smooth loss: the central estimates differ by O(h^2) and the one-sided gap (h * f'') halves
  // with the step. A kink within the step breaks one or the other by O(derivative jump).
  const spread = Math.max(Math.abs(wide.central - narrow.central), Math.abs(narrow.gap - wide.gap / 2));
  return { value, spread, noise };
}

function setValues(variable: tf.Variable, values: Float32Array): void {
  const t = tf.tensor(values, variable.shape, 'float32');
  variable.assign(t);
  t.dispose(); // the variable holds its own reference to the data
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

function unflatten(flat: number, shape: number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}

// ---------------------------------------------------------------------------------------------
// Plain float64 functions (losses written by hand outside tfjs: boosting gradients, L-BFGS
// objectives): the same Richardson-extrapolated central differences, every coordinate.

export interface FunctionGradCheck {
  ok: boolean;
  /** Largest |analytic - numeric| / tolerance over the coordinates (<= 1 passes). */
  worstRatio: number;
  message: string;
}

/** Checks `analytic` = grad f(x) coordinate by coordinate (step h = step * max(1, |x_j|)). */
export function checkFunctionGradient(
  f: (x: Float64Array) => number,
  x: ArrayLike<number>,
  analytic: ArrayLike<number>,
  options: { step?: number; rtol?: number; atol?: number } = {},
): FunctionGradCheck {
  const step = options.step ?? 1e-4;
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-7;
  const base = Float64Array.from(x);
  const scale = maxAbs(analytic);
  let worst = 0;
  const bad: string[] = [];
  for (let j = 0; j < base.length; j++) {
    const h = step * Math.max(1, Math.abs(base[j]));
    const at = (d: number) => {
      const p = Float64Array.from(base);
      p[j] += d;
      return f(p);
    };
    const wide = (at(h) - at(-h)) / (2 * h);
    const narrow = (at(h / 2) - at(-h / 2)) / h;
    const numeric = (4 * narrow - wide) / 3;
    const tolerance = rtol * Math.max(Math.abs(numeric), Math.abs(analytic[j])) + atol * Math.max(1, scale);
    const ratio = Math.abs(numeric - analytic[j]) / tolerance;
    if (ratio > worst) worst = ratio;
    if (!(ratio <= 1))
      bad.push(`  [${j}]: analytic ${analytic[j].toExponential(6)} vs numeric ${numeric.toExponential(6)}`);
  }
  const ok = bad.length === 0;
  return {
    ok,
    worstRatio: worst,
    message: `float64 gradient check: ${base.length} coordinates, ${bad.length} failed (worst ${worst.toFixed(3)}x tolerance)${bad.length ? '\n' + bad.slice(0, 10).join('\n') : ''}`,
  };
}
