/**
 * A whole masked GRU or LSTM sequence as one oneDNN call forward and one backward (tf.customGrad),
 * instead of T steps of a dozen tfjs ops each. Semantics are Keras' with Masking: the state starts
 * at zero, a masked step keeps the previous state, and the result is the last state [B, U]. The
 * GRU is the reset-after form (Keras reset_after=True, PyTorch): oneDNN's linear-before-reset GRU.
 *
 * Weights as Keras stores them: kernel [F, G*U], recurrentKernel [U, G*U] (gates z, r, h for the
 * GRU; i, f, c, o for the LSTM), bias [G*U], and for the GRU a recurrentBias [G*U].
 * Every step of the padded length T is computed; padded steps after a sequence's last real one
 * cannot change its result, so they only cost time.
 */
import { tf } from '../backend.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { NATIVE_BACKEND } from './backend.js';

export type RecurrentKind = 'gru' | 'lstm';

/**
 * Real steps per sequence when every row of `mask` [B, T] is ones then zeros (trailing padding,
 * the usual layout); undefined when some row has a masked step before a real one.
 */
export function trailingLengths(mask: ArrayLike<number>, batch: number, steps: number): Int32Array | undefined {
  const lengths = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let n = 0;
    while (n < steps && mask[b * steps + n] !== 0) n++;
    for (let t = n; t < steps; t++) if (mask[b * steps + t] !== 0) return undefined;
    lengths[b] = n;
  }
  return lengths;
}

/** Whether fusedRecurrentEncode will run: the native backend is active. */
function fusedRecurrentAvailable(): boolean {
  return tf.getBackend() === NATIVE_BACKEND && !loadNativeAddon().error;
}

/**
 * The last state [B, U] of a masked GRU/LSTM over x [B, T, F] with mask [B, T] (1 real, 0 padding),
 * through oneDNN; differentiable in x and the weights. Returns null (the caller runs its step loop)
 * when the native backend is not active or a row has a masked step before a real one.
 */
export function fusedRecurrentEncode(
  kind: RecurrentKind,
  x: tf.Tensor3D,
  mask: tf.Tensor2D,
  units: number,
  kernel: tf.Tensor,
  recurrentKernel: tf.Tensor,
  bias: tf.Tensor,
  recurrentBias?: tf.Tensor,
): tf.Tensor2D | null {
  if (!fusedRecurrentAvailable()) return null;
  const [B, T] = x.shape;
  const lengths = trailingLengths(mask.dataSync(), B, T);
  if (!lengths) return null;
  return recurrentLastState(kind, x, lengths, units, kernel, recurrentKernel, bias, recurrentBias);
}

/** As fusedRecurrentEncode with the real lengths given (each sequence's steps first, then padding). */
export function recurrentLastState(
  kind: RecurrentKind,
  x: tf.Tensor3D,
  lengths: Int32Array,
  units: number,
  kernel: tf.Tensor,
  recurrentKernel: tf.Tensor,
  bias: tf.Tensor,
  recurrentBias?: tf.Tensor,
): tf.Tensor2D {
  const { addon, error } = loadNativeAddon();
  if (!addon) throw new Error(`sciml native recurrent op: engine ${error}`);
  const [B, T, F] = x.shape;
  const U = units;
  const gates = kind === 'gru' ? 3 : 4;
  if (lengths.length !== B) throw new Error(`sciml native recurrent op: ${lengths.length} lengths for a batch of ${B}`);
  for (const [name, t, shape] of [
    ['kernel', kernel, [F, gates * U]],
    ['recurrentKernel', recurrentKernel, [U, gates * U]],
  ] as const) {
    if (t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1])
      throw new Error(`sciml native recurrent op: ${name} has shape [${t.shape}], expected [${shape}]`);
  }
  if (kind === 'gru' && !recurrentBias)
    throw new Error('sciml native recurrent op: the reset-after GRU needs a recurrentBias');
  const willDifferentiate = tf.engine().state.gradientDepth > 0;
  return tf.tidy(() => {
    const bias4 = kind === 'gru' ? gruBias(bias, recurrentBias!, U) : tf.reshape(bias, [4, U]);
    return sequenceOp(
      addon,
      kind === 'gru' ? 0 : 1,
      lengths,
      [B, T, F, U],
      willDifferentiate,
    )(x, kernel, recurrentKernel, bias4) as tf.Tensor2D;
  });
}

/**
 * Buffers of one forward pass kept for its backward pass, then reused by the next forward pass:
 * the workspace of 801 steps is hundreds of MB, and the pages of a fresh one cost the kernel as much
 * time to zero as the GRU takes to run. One idle set is kept, grown to the largest shape seen (a
 * smaller shape uses views of it), so memory stays that of one pass whatever lengths batches have.
 * dyFull is all zeros while idle.
 */
interface SequenceBuffers {
  workspace: ArrayBuffer | null;
  y: Float32Array;
  dyFull: Float32Array;
}

let idle: SequenceBuffers | undefined;

function takeBuffers(yLength: number): SequenceBuffers {
  const mine = idle && idle.y.length >= yLength ? idle : undefined;
  if (mine) idle = undefined;
  return mine ?? { workspace: null, y: new Float32Array(yLength), dyFull: new Float32Array(yLength) };
}

function giveBack(buffers: SequenceBuffers): void {
  if (!idle || buffers.y.length >= idle.y.length) idle = buffers;
}

/** Keras reset-after GRU biases (input b_i, recurrent b_r; gates z, r, h) in oneDNN's [u, r, o, o'] rows. */
function gruBias(bi: tf.Tensor, br: tf.Tensor, U: number): tf.Tensor2D {
  const [iz, ir, ih] = tf.split(tf.reshape(bi, [3, U]), 3, 0);
  const [rz, rr, rh] = tf.split(tf.reshape(br, [3, U]), 3, 0);
  return tf.concat([tf.add(iz, rz), tf.add(ir, rr), ih, rh], 0) as tf.Tensor2D;
}

function sequenceOp(
  addon: NativeAddon,
  kind: 0 | 1,
  lengths: Int32Array,
  [B, T, F, U]: number[],
  willDifferentiate: boolean,
) {
  const params = Int32Array.of(B, T, F, U);
  return tf.customGrad((...args: unknown[]) => {
    const [x, kernel, recurrentKernel, bias4] = args as tf.Tensor[];
    const xs = x.dataSync() as Float32Array;
    const ks = kernel.dataSync() as Float32Array;
    const rks = recurrentKernel.dataSync() as Float32Array;
    const bs = bias4.dataSync() as Float32Array;
    const buffers = takeBuffers(B * T * U);
    const y = buffers.y.subarray(0, B * T * U);
    const dyFull = buffers.dyFull.subarray(0, B * T * U);
    buffers.workspace = addon.rnnForward(kind, xs, ks, rks, bs, y, params, buffers.workspace);
    const last = new Float32Array(B * U);
    for (let b = 0; b < B; b++)
      if (lengths[b] > 0) last.set(y.subarray((b * T + lengths[b] - 1) * U, (b * T + lengths[b]) * U), b * U);
    if (!willDifferentiate) giveBack(buffers);
    return {
      value: tf.tensor2d(last, [B, U]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        const dLast = (Array.isArray(dy) ? dy[0] : dy).dataSync() as Float32Array;
        for (let b = 0; b < B; b++)
          if (lengths[b] > 0) dyFull.set(dLast.subarray(b * U, (b + 1) * U), (b * T + lengths[b] - 1) * U);
        const dx = new Float32Array(xs.length);
        const dk = new Float32Array(ks.length);
        const drk = new Float32Array(rks.length);
        const db = new Float32Array(bs.length);
        addon.rnnBackward(kind, xs, ks, rks, bs, y, dyFull, buffers.workspace!, dx, dk, drk, db, params);
        for (let b = 0; b < B; b++)
          if (lengths[b] > 0) dyFull.fill(0, (b * T + lengths[b] - 1) * U, (b * T + lengths[b]) * U);
        giveBack(buffers);
        return [
          tf.tensor(dx, x.shape),
          tf.tensor(dk, kernel.shape),
          tf.tensor(drk, recurrentKernel.shape),
          tf.tensor(db, bias4.shape),
        ];
      },
    };
  });
}
