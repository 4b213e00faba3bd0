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
import { loadNativeAddon, type NativeAddon } from '../../runtime/native/addon.js';
import {
  biasRows,
  fusedRecurrentAvailable,
  sequencePass,
  storedBiasGradients,
  trailingLengths,
} from '../../runtime/native/recurrent.js';
import { N_CLASSES, N_HLF, N_PARTICLE_FEATURES } from '../../data/particles/schema.js';
import type { Batch } from './batch.js';
import { usesHlf, usesParticles, type Network, type ParamEntry } from './network.js';

export interface BatchLoss {
  /** The batch's summed cross-entropy. */
  lossSum: number;
  /** d (mean cross-entropy) / d params, in layout order. */
  grads: Float32Array;
}

/**
 * The batch's loss and gradient at the network's current weights, with dropout from `dropoutSeed`
 * as Network.logitsPrepared draws it; null when the direct path cannot run (no native engine, or a
 * particle mask with a padding row before a real one), and the caller takes the tfjs path.
 */
export function directGradients(net: Network, b: Batch, dropoutSeed: number): BatchLoss | null {
  if (!fusedRecurrentAvailable()) return null;
  const { spec, params } = net;
  const n = b.n;
  const entry = entriesOf(net);
  const grads = new Float32Array(params.length);
  const input = net.standardize(b.hlf, b.particles, n, b.T);
  const addon = loadNativeAddon().addon!;

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
      biasRows(
        spec.recurrent,
        view(params, entry('rnn/bias')),
        spec.recurrent === 'gru' ? view(params, entry('rnn/recurrent_bias')) : null,
        U,
      ),
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
    const widths = [width0, ...spec.dense, N_CLASSES];
    const layers = widths.slice(1).map((width, i) => {
      const name = i < spec.dense.length ? `dense${i}` : 'output';
      return { kernel: entry(`${name}/kernel`), bias: entry(`${name}/bias`), inWidth: widths[i], width };
    });
    const activations: Float32Array[] = [head];
    for (const [l, layer] of layers.entries()) {
      const out = affine(addon, activations[l], n, layer.inWidth, params, layer.kernel, layer.bias, layer.width);
      if (l < spec.dense.length) for (let k = 0; k < out.length; k++) if (!(out[k] > 0)) out[k] = 0;
      activations.push(out);
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
      writeWeightGradients(addon, input, delta, n, layer.inWidth, layer.width, grads, layer.kernel, layer.bias);
      const needInput = l > 0 || pass !== undefined;
      if (!needInput) break;
      const dIn = inputGradient(addon, delta, n, layer.width, params, layer.kernel, l > 0 ? layer.inWidth : U);
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
      const dBias = storedBiasGradients(spec.recurrent, g.dBias4, U);
      grads.set(dBias.bias, entry('rnn/bias').offset);
      if (dBias.recurrentBias) grads.set(dBias.recurrentBias, entry('rnn/recurrent_bias').offset);
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
  addon: NativeAddon,
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
  addon.gemm(x, view(params, kernel), out, Int32Array.of(0, 0, n, m, k), 1, 1);
  return out;
}

/** grads[kernel] = x^T delta, grads[bias] = column sums of delta. */
function writeWeightGradients(
  addon: NativeAddon,
  x: Float32Array,
  delta: Float32Array,
  n: number,
  k: number,
  m: number,
  grads: Float32Array,
  kernel: ParamEntry,
  bias: ParamEntry,
): void {
  addon.gemm(x, delta, view(grads, kernel), Int32Array.of(1, 0, k, m, n), 1, 0);
  addon.columnSums(delta, view(grads, bias), Int32Array.of(n, m));
}

/** delta [n, m] @ W[:cols]^T for W [k, m]: the gradient in a layer's first `cols` inputs. */
function inputGradient(
  addon: NativeAddon,
  delta: Float32Array,
  n: number,
  m: number,
  params: Float32Array,
  kernel: ParamEntry,
  cols: number,
): Float32Array {
  const out = new Float32Array(n * cols);
  addon.gemm(
    delta,
    params.subarray(kernel.offset, kernel.offset + cols * m),
    out,
    Int32Array.of(0, 1, n, cols, m),
    1,
    0,
  );
  return out;
}
