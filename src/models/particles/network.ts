/**
 * The Inclusive Classifier and its two relatives (Nguyen et al. 2019) in tfjs ops, on one flat
 * parameter vector (so Adam, checkpoints and replicas handle plain Float32Arrays):
 *
 *   particles (T x 19) -> standardize real rows -> mask(all-zero rows) -> GRU/LSTM(units) -> Dropout --+
 *   HLF (14)           -> standardize -> Dropout -------------------------------------------------------+-> concat -> Dense(widths, relu)... -> Dense(3) -> softmax
 *
 * `inputs: hlf` drops the recurrent branch (the HLF classifier), `inputs: particles` the HLF branch
 * (the particle-sequence classifier). Masking as Keras' Masking(0): a particle row of zeros leaves
 * the recurrent state unchanged, so trailing padding of any length gives the same output.
 * The GRU is the reset-after form of PyTorch and Keras 2: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
 * The recurrent branch runs the fused oneDNN sequence op on the native backend, the per-step loop elsewhere.
 */
import { tf } from '../../runtime/backend.js';
import { fusedRecurrentEncode, type RecurrentWeights } from '../../runtime/native/recurrent.js';
import { Random } from '../../runtime/random.js';
import { N_CLASSES, N_HLF, N_PARTICLE_FEATURES } from '../../data/particles/schema.js';

type Inputs = 'both' | 'hlf' | 'particles';
export type Recurrent = 'gru' | 'lstm';

export interface NetSpec {
  inputs: Inputs;
  recurrent: Recurrent;
  units: number;
  dense: number[];
  dropout: number;
}

/** Feature standardization, part of the model (fitted on training events, applied inside forward). */
export interface Standardizer {
  hlfMean: Float32Array;
  hlfStd: Float32Array;
  particleMean: Float32Array;
  particleStd: Float32Array;
}

export interface ParamEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export function usesParticles(spec: NetSpec): boolean {
  return spec.inputs !== 'hlf';
}

export function usesHlf(spec: NetSpec): boolean {
  return spec.inputs !== 'particles';
}

/** The parameter layout of a spec, in a fixed order. */
function paramLayout(spec: NetSpec): ParamEntry[] {
  const shapes: [string, number[]][] = [];
  const gates = spec.recurrent === 'gru' ? 3 : 4;
  if (usesParticles(spec)) {
    shapes.push(
      ['rnn/kernel', [N_PARTICLE_FEATURES, gates * spec.units]],
      ['rnn/recurrent_kernel', [spec.units, gates * spec.units]],
      ['rnn/bias', [gates * spec.units]],
    );
    if (spec.recurrent === 'gru') shapes.push(['rnn/recurrent_bias', [gates * spec.units]]);
  }
  let width = (usesParticles(spec) ? spec.units : 0) + (usesHlf(spec) ? N_HLF : 0);
  spec.dense.forEach((w, i) => {
    shapes.push([`dense${i}/kernel`, [width, w]], [`dense${i}/bias`, [w]]);
    width = w;
  });
  shapes.push(['output/kernel', [width, N_CLASSES]], ['output/bias', [N_CLASSES]]);
  let offset = 0;
  return shapes.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const entry = { name, shape, offset, size };
    offset += size;
    return entry;
  });
}

export function paramCount(spec: NetSpec): number {
  const layout = paramLayout(spec);
  const last = layout[layout.length - 1];
  return last.offset + last.size;
}

/**
 * Keras' defaults, as the published model had them: Glorot-uniform kernels, an orthogonal recurrent
 * kernel (orthonormal rows; over hundreds of steps it keeps the state's gradient from vanishing or
 * exploding at the start), zero biases (LSTM forget-gate bias 1); seeded.
 */
export function initialParams(spec: NetSpec, seed: number): Float32Array {
  const rng = new Random(seed).fork('init');
  const params = new Float32Array(paramCount(spec));
  for (const e of paramLayout(spec)) {
    if (e.name === 'rnn/recurrent_kernel') {
      params.set(orthogonalRows(e.shape[0], e.shape[1], rng), e.offset);
    } else if (e.shape.length === 2) {
      // Keras takes the recurrent kernel [F, G*U] as one matrix: fan out G*U, not U per gate.
      const limit = Math.sqrt(6 / (e.shape[0] + e.shape[1]));
      for (let i = 0; i < e.size; i++) params[e.offset + i] = rng.uniform(-limit, limit);
    } else if (e.name === 'rnn/bias' && spec.recurrent === 'lstm') {
      for (let i = spec.units; i < 2 * spec.units; i++) params[e.offset + i] = 1;
    }
  }
  return params;
}

/**
 * A [rows, cols] matrix (rows <= cols) with orthonormal rows, as Keras' Orthogonal initializer
 * makes it: the Q of a QR decomposition of a standard normal matrix, signs fixed so R's diagonal is
 * positive (Gram-Schmidt gives that directly).
 */
function orthogonalRows(rows: number, cols: number, rng: Random): Float64Array {
  const q = new Float64Array(rows * cols);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let r = 0; r < rows; r++) {
    const row = q.subarray(r * cols, (r + 1) * cols);
    for (let pass = 0; pass < 2; pass++)
      for (let k = 0; k < r; k++) {
        const prev = q.subarray(k * cols, (k + 1) * cols);
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += row[j] * prev[j];
        for (let j = 0; j < cols; j++) row[j] -= dot * prev[j];
      }
    let norm = 0;
    for (let j = 0; j < cols; j++) norm += row[j] * row[j];
    norm = Math.sqrt(norm);
    for (let j = 0; j < cols; j++) row[j] /= norm;
  }
  return q;
}

/** A network's weights as tf.Variables over views of one flat parameter vector. */
export class Network {
  readonly layout: ParamEntry[];
  readonly vars: Map<string, tf.Variable>;
  /** The weights as one flat vector in layout order, kept equal to the variables (the direct training step reads it). */
  readonly params: Float32Array;

  constructor(
    readonly spec: NetSpec,
    readonly norm: Standardizer,
    params: Float32Array,
  ) {
    this.layout = paramLayout(spec);
    this.params = Float32Array.from(params);
    this.vars = new Map(
      this.layout.map((e) => [
        e.name,
        tf.variable(tf.tensor(params.subarray(e.offset, e.offset + e.size), e.shape), true, undefined, 'float32'),
      ]),
    );
  }

  get variables(): tf.Variable[] {
    return [...this.vars.values()];
  }

  setParams(params: Float32Array): void {
    this.params.set(params);
    for (const e of this.layout) {
      const v = this.vars.get(e.name)!;
      tf.tidy(() => v.assign(tf.tensor(params.subarray(e.offset, e.offset + e.size), e.shape)));
    }
  }

  getParams(): Float32Array {
    const out = new Float32Array(paramCount(this.spec));
    for (const e of this.layout) out.set(this.vars.get(e.name)!.dataSync() as Float32Array, e.offset);
    return out;
  }

  /** Flattens a gradient map in layout order. */
  flatGradients(grads: Record<string, tf.Tensor>): Float32Array {
    const out = new Float32Array(paramCount(this.spec));
    for (const e of this.layout) out.set(grads[this.vars.get(e.name)!.name].dataSync() as Float32Array, e.offset);
    return out;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
  }

  private w(name: string): tf.Tensor {
    return this.vars.get(name)!;
  }

  /**
   * Standardized inputs and the particle mask [B, T] (1 for a real particle, 0 for an all-zero
   * padding row), from a batch's arrays in one plain-JS pass: (x - mean) / std in float32, as the
   * tfjs ops would compute it (the same bits), zero on padding rows.
   */
  prepareArrays(
    hlf: Float32Array,
    particles: Float32Array | null,
    n: number,
    T: number,
  ): { hlf: tf.Tensor2D; particles: tf.Tensor3D | null; mask: tf.Tensor2D | null } {
    const s = this.standardize(hlf, particles, n, T);
    return {
      hlf: tf.tensor2d(s.hlf, [n, N_HLF]),
      particles: s.particles ? tf.tensor3d(s.particles, [n, T, N_PARTICLE_FEATURES]) : null,
      mask: s.mask ? tf.tensor2d(s.mask, [n, T]) : null,
    };
  }

  /** prepareArrays' arrays: HLF [n, 14], particles [n, T, 19] and mask [n, T] (particles and mask null without a recurrent branch). */
  standardize(
    hlf: Float32Array,
    particles: Float32Array | null,
    n: number,
    T: number,
  ): { hlf: Float32Array; particles: Float32Array | null; mask: Float32Array | null } {
    const { hlfMean, hlfStd, particleMean, particleStd } = this.norm;
    const h = new Float32Array(hlf.length);
    for (let i = 0; i < hlf.length; i++) h[i] = Math.fround(hlf[i] - hlfMean[i % N_HLF]) / hlfStd[i % N_HLF];
    if (!particles || !usesParticles(this.spec)) return { hlf: h, particles: null, mask: null };
    const F = N_PARTICLE_FEATURES;
    const x = new Float32Array(n * T * F);
    const mask = new Float32Array(n * T);
    for (let r = 0; r < n * T; r++) {
      let real = false;
      for (let f = 0; f < F; f++) if (particles[r * F + f] !== 0) real = true;
      if (!real) continue;
      mask[r] = 1;
      for (let f = 0; f < F; f++) x[r * F + f] = Math.fround(particles[r * F + f] - particleMean[f]) / particleStd[f];
    }
    return { hlf: h, particles: x, mask };
  }

  /** Logits [B, 3] from raw inputs (padding rows all zeros). Dropout only when `dropoutSeed` is given. */
  logits(hlf: tf.Tensor2D, particles: tf.Tensor3D | null, dropoutSeed?: number): tf.Tensor2D {
    const [n, T] = particles ? particles.shape : hlf.shape;
    const p = this.prepareArrays(
      hlf.dataSync() as Float32Array,
      particles ? (particles.dataSync() as Float32Array) : null,
      n,
      T,
    );
    return this.logitsPrepared(p.hlf, p.particles, p.mask, dropoutSeed);
  }

  /** Logits from standardized inputs and an explicit mask (integrated gradients vary the inputs along a path). */
  logitsPrepared(
    hlf: tf.Tensor2D,
    particles: tf.Tensor3D | null,
    mask: tf.Tensor2D | null,
    dropoutSeed?: number,
  ): tf.Tensor2D {
    const parts: tf.Tensor2D[] = [];
    const drop = (x: tf.Tensor2D, k: number) =>
      dropoutSeed !== undefined && this.spec.dropout > 0
        ? (tf.dropout(x, this.spec.dropout, undefined, dropoutSeed + k) as tf.Tensor2D)
        : x;
    if (usesParticles(this.spec)) {
      if (!particles || !mask) throw new Error('network: this model needs particles');
      const { recurrent: kind, units } = this.spec;
      const weights: RecurrentWeights = {
        kernel: this.w('rnn/kernel'),
        recurrentKernel: this.w('rnn/recurrent_kernel'),
        bias: this.w('rnn/bias'),
        recurrentBias: kind === 'gru' ? this.w('rnn/recurrent_bias') : undefined,
      };
      // On the native backend the whole sequence is one oneDNN call forward and one backward; elsewhere,
      // or for a mask with gaps, the step loop.
      const encoded =
        fusedRecurrentEncode(kind, particles, mask, units, weights) ??
        recurrentEncodeStepwise(kind, particles, mask, units, weights);
      parts.push(drop(encoded, 1));
    }
    if (usesHlf(this.spec)) parts.push(drop(hlf, 2));
    let x = parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D);
    this.spec.dense.forEach((_, i) => {
      x = tf.relu(tf.add(tf.matMul(x, this.w(`dense${i}/kernel`)), this.w(`dense${i}/bias`))) as tf.Tensor2D;
    });
    return tf.add(tf.matMul(x, this.w('output/kernel')), this.w('output/bias')) as tf.Tensor2D;
  }
}

/**
 * The recurrent branch one time step at a time in tfjs ops (any backend, any mask): the last state
 * of a masked GRU or LSTM over x [B, T, F] (standardized, padding rows zero), mask [B, T]. A masked
 * step keeps the previous state.
 */
export function recurrentEncodeStepwise(
  kind: Recurrent,
  x: tf.Tensor3D,
  mask: tf.Tensor2D,
  units: number,
  weights: RecurrentWeights,
): tf.Tensor2D {
  const { kernel, recurrentKernel, bias, recurrentBias } = weights;
  const [B, T, F] = x.shape;
  const gates = kind === 'gru' ? 3 : 4;
  const projected = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [B * T, F]), kernel), bias), [B, T, gates * units]);
  const steps = tf.unstack(projected, 1) as tf.Tensor2D[];
  const masks = tf.unstack(tf.expandDims(mask, -1), 1) as tf.Tensor2D[];
  let h = tf.zeros([B, units]) as tf.Tensor2D;
  let c = kind === 'lstm' ? (tf.zeros([B, units]) as tf.Tensor2D) : undefined;
  for (let t = 0; t < T; t++) {
    const m = masks[t];
    if (kind === 'gru') {
      const xs = tf.split(steps[t], 3, 1);
      const hs = tf.split(tf.add(tf.matMul(h, recurrentKernel), recurrentBias!), 3, 1);
      const z = tf.sigmoid(tf.add(xs[0], hs[0]));
      const r = tf.sigmoid(tf.add(xs[1], hs[1]));
      const n = tf.tanh(tf.add(xs[2], tf.mul(r, hs[2])));
      const next = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
      h = tf.add(tf.mul(m, next), tf.mul(tf.sub(1, m), h)) as tf.Tensor2D;
    } else {
      const g = tf.split(tf.add(steps[t], tf.matMul(h, recurrentKernel)), 4, 1);
      const i = tf.sigmoid(g[0]);
      const f = tf.sigmoid(g[1]);
      const cand = tf.tanh(g[2]);
      const o = tf.sigmoid(g[3]);
      const cNext = tf.add(tf.mul(f, c!), tf.mul(i, cand));
      const hNext = tf.mul(o, tf.tanh(cNext));
      c = tf.add(tf.mul(m, cNext), tf.mul(tf.sub(1, m), c!)) as tf.Tensor2D;
      h = tf.add(tf.mul(m, hNext), tf.mul(tf.sub(1, m), h)) as tf.Tensor2D;
    }
  }
  return h;
}
