/**
 * The particle network's loss and gradient in plain arrays, derived by hand, for the native engine:
 * the recurrent sequence is one oneDNN call forward and one backward (sequencePass), the dropout,
 * dense head and softmax cross-entropy are short loops. It computes what Network.logitsPrepared +
 * tf.losses.softmaxCrossEntropy + tf.variableGrads compute (the same dropout masks, from the same
 * seeds), without the tfjs tape: at the config's size the tape and the per-op dispatch cost more
 * than the arithmetic (a batch of 128 is ~40 tiny ops per network). Float32 storage, float64 sums,
 * so it agrees with the tfjs path to float32 rounding, not bit for bit.
 */
import { tf } from '../../runtime/backend.js';
import { loadNativeAddon } from '../../runtime/native/addon.js';
import { fusedRecurrentAvailable, sequencePass, trailingLengths } from '../../runtime/native/recurrent.js';
import { N_CLASSES, N_HLF, N_PARTICLE_FEATURES } from '../../data/particles/schema.js';
import type { Batch } from './batch.js';
import type { NativeAddon } from '../../runtime/native/addon.js';

type Gemm = NativeAddon['gemm'];
import { usesHlf, usesParticles, type Network, type ParamEntry } from './network.js';

export interface BatchLoss {
  /** The batch's summed cross-entropy. */
  lossSum: number;
  /** d (mean cross-entropy) / d params, in layout order. */
  grads: Float32Array;
}

/** Whether directGradients runs for this network now: the native engine is active. */
function directStepAvailable(): boolean {
  return fusedRecurrentAvailable();
}

/**
 * The batch's loss and gradient at the network's current weights, with dropout from `dropoutSeed`
 * as Network.logitsPrepared draws it; null when the direct path cannot run (no native engine, or a
 * particle mask with a padding row before a real one), and the caller takes the tfjs path.
 */
export function directGradients(net: Network, b: Batch, dropoutSeed: number): BatchLoss | null {
  if (!directStepAvailable()) return null;
  const { spec, params } = net;
  const n = b.n;
  const entry = entriesOf(net);
  const grads = new Float32Array(params.length);
  const input = net.standardize(b.hlf, usesParticles(spec) ? b.particles : null, n, b.T);
  const addon = loadNativeAddon().addon!;
  const gemm: Gemm = (a, w, c, p, alpha, beta) => addon.gemm(a, w, c, p, alpha, beta);

  // Forward: the recurrent branch's last state, then the concatenated, dropped-out head input.
  let pass: ReturnType<typeof sequencePass> | undefined;
  const U = spec.units;
  if (usesParticles(spec)) {
    const lengths = trailingLengths(input.mask!, n, b.T);
    if (!lengths) return null;
    pass = sequencePass(
      addon,
      spec.recurrent,
      input.particles!,
      view(params, entry('rnn/kernel')),
      view(params, entry('rnn/recurrent_kernel')),
      biasRows(net, U),
      lengths,
      [n, b.T, N_PARTICLE_FEATURES, U],
    );
  }
  try {
    const parts: { values: Float32Array; width: number; keep: Float32Array | null }[] = [];
    if (pass)
      parts.push({ values: pass.last, width: U, keep: dropoutMultipliers(spec.dropout, [n, U], dropoutSeed + 1) });
    if (usesHlf(spec))
      parts.push({
        values: input.hlf,
        width: N_HLF,
        keep: dropoutMultipliers(spec.dropout, [n, N_HLF], dropoutSeed + 2),
      });
    const width0 = parts.reduce((w, p) => w + p.width, 0);
    const head = new Float32Array(n * width0);
    let column = 0;
    for (const p of parts) {
      for (let i = 0; i < n; i++)
        for (let j = 0; j < p.width; j++) {
          const v = p.values[i * p.width + j];
          head[i * width0 + column + j] = p.keep ? Math.fround(v * p.keep[i * p.width + j]) : v;
        }
      column += p.width;
    }

    // Dense layers (ReLU), then the output layer.
    const layers = [
      ...spec.dense.map((w, i) => ({
        kernel: entry(`dense${i}/kernel`),
        bias: entry(`dense${i}/bias`),
        width: w,
        relu: true,
      })),
      { kernel: entry('output/kernel'), bias: entry('output/bias'), width: N_CLASSES, relu: false },
    ];
    const activations: Float32Array[] = [head];
    let width = width0;
    for (const layer of layers) {
      const out = affine(
        gemm,
        activations[activations.length - 1],
        n,
        width,
        params,
        layer.kernel,
        layer.bias,
        layer.width,
      );
      if (layer.relu) for (let k = 0; k < out.length; k++) if (!(out[k] > 0)) out[k] = 0;
      activations.push(out);
      width = layer.width;
    }

    // Softmax cross-entropy (mean over the batch) and its gradient in the logits.
    const logits = activations[activations.length - 1];
    let delta: Float32Array = new Float32Array(n * N_CLASSES);
    let lossSum = 0;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < N_CLASSES; c++) max = Math.max(max, logits[i * N_CLASSES + c]);
      let sum = 0;
      for (let c = 0; c < N_CLASSES; c++) sum += Math.exp(logits[i * N_CLASSES + c] - max);
      const lse = max + Math.log(sum);
      lossSum += lse - logits[i * N_CLASSES + b.labels[i]];
      for (let c = 0; c < N_CLASSES; c++)
        delta[i * N_CLASSES + c] = (Math.exp(logits[i * N_CLASSES + c] - lse) - (c === b.labels[i] ? 1 : 0)) / n;
    }

    // Backward through the layers; the head input's gradient only where the recurrent state feeds it.
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l];
      const input = activations[l];
      const inWidth = l === 0 ? width0 : layers[l - 1].width;
      writeWeightGradients(gemm, input, delta, n, inWidth, layer.width, grads, layer.kernel, layer.bias);
      const needInput = l > 0 || pass !== undefined;
      if (!needInput) break;
      const dIn = inputGradient(gemm, delta, n, layer.width, params, layer.kernel, l > 0 ? inWidth : U);
      if (l > 0) for (let k = 0; k < dIn.length; k++) if (!(input[k] > 0)) dIn[k] = 0;
      delta = dIn;
    }

    if (pass) {
      // delta is now d loss / d head[:, :U] (n x U): through dropout to the last state.
      const keep = parts[0].keep;
      if (keep) for (let k = 0; k < delta.length; k++) delta[k] = Math.fround(delta[k] * keep[k]);
      const g = pass.backward(delta, false);
      pass = undefined;
      grads.set(g.dKernel, entry('rnn/kernel').offset);
      grads.set(g.dRecurrentKernel, entry('rnn/recurrent_kernel').offset);
      writeBiasGradients(net, U, g.dBias4, grads);
    }
    return { lossSum, grads };
  } finally {
    pass?.release();
  }
}

function entriesOf(net: Network): (name: string) => ParamEntry {
  const byName = new Map(net.layout.map((e) => [e.name, e]));
  return (name) => byName.get(name)!;
}

function view(params: Float32Array, e: ParamEntry): Float32Array {
  return params.subarray(e.offset, e.offset + e.size);
}

/** The recurrent biases in oneDNN's [4, U] rows: GRU [b_z + r_z, b_r + r_r, b_h, r_h] (reset-after), LSTM as stored. */
function biasRows(net: Network, U: number): Float32Array {
  const at = (name: string) => net.layout.find((e) => e.name === name)!.offset;
  if (net.spec.recurrent === 'lstm') return net.params.slice(at('rnn/bias'), at('rnn/bias') + 4 * U);
  const input = net.params.subarray(at('rnn/bias'), at('rnn/bias') + 3 * U);
  const recurrent = net.params.subarray(at('rnn/recurrent_bias'), at('rnn/recurrent_bias') + 3 * U);
  const rows = new Float32Array(4 * U);
  for (let k = 0; k < 2 * U; k++) rows[k] = Math.fround(input[k] + recurrent[k]);
  rows.set(input.subarray(2 * U), 2 * U);
  rows.set(recurrent.subarray(2 * U), 3 * U);
  return rows;
}

/** biasRows' gradient back to the stored biases: the summed rows feed both. */
function writeBiasGradients(net: Network, U: number, dBias4: Float32Array, grads: Float32Array): void {
  const at = (name: string) => net.layout.find((e) => e.name === name)!.offset;
  if (net.spec.recurrent === 'lstm') {
    grads.set(dBias4, at('rnn/bias'));
    return;
  }
  grads.set(dBias4.subarray(0, 3 * U), at('rnn/bias'));
  grads.set(dBias4.subarray(0, 2 * U), at('rnn/recurrent_bias'));
  grads.set(dBias4.subarray(3 * U, 4 * U), at('rnn/recurrent_bias') + 2 * U);
}

/**
 * tf.dropout's multipliers for a [rows, cols] input: floor(u + keep) / keep with u from
 * tf.randomUniform under the same seed, in float32 as the op computes them (null without dropout).
 */
function dropoutMultipliers(rate: number, shape: [number, number], seed: number): Float32Array | null {
  if (!(rate > 0)) return null;
  // Not through tf.tidy: tidy walks a returned typed array element by element.
  const draw = tf.randomUniform(shape, 0, 1, 'float32', seed);
  const u = draw.dataSync() as Float32Array;
  draw.dispose();
  const keep = Math.fround(1 - rate);
  const out = new Float32Array(u.length);
  for (let k = 0; k < u.length; k++) out[k] = Math.fround(Math.floor(Math.fround(u[k] + keep)) / keep);
  return out;
}

/** x [n, k] @ W [k, m] + b. */
function affine(
  gemm: Gemm,
  x: Float32Array,
  n: number,
  k: number,
  params: Float32Array,
  kernel: ParamEntry,
  bias: ParamEntry,
  m: number,
): Float32Array {
  const out = new Float32Array(n * m);
  const b = view(params, bias);
  for (let i = 0; i < n; i++) out.set(b, i * m);
  gemm(x, view(params, kernel), out, Int32Array.of(0, 0, n, m, k), 1, 1);
  return out;
}

/** grads[kernel] = x^T delta, grads[bias] = column sums of delta. */
function writeWeightGradients(
  gemm: Gemm,
  x: Float32Array,
  delta: Float32Array,
  n: number,
  k: number,
  m: number,
  grads: Float32Array,
  kernel: ParamEntry,
  bias: ParamEntry,
): void {
  gemm(x, delta, view(grads, kernel), Int32Array.of(1, 0, k, m, n), 1, 0);
  const dB = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) dB[j] += delta[i * m + j];
  grads.set(dB, bias.offset);
}

/** delta [n, m] @ W[:cols]^T for W [k, m]: the gradient in a layer's first `cols` inputs. */
function inputGradient(
  gemm: Gemm,
  delta: Float32Array,
  n: number,
  m: number,
  params: Float32Array,
  kernel: ParamEntry,
  cols: number,
): Float32Array {
  const out = new Float32Array(n * cols);
  gemm(delta, params.subarray(kernel.offset, kernel.offset + cols * m), out, Int32Array.of(0, 1, n, cols, m), 1, 0);
  return out;
}
