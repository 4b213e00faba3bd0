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
import { loadNativeAddon, type NativeAddon, type RnnOperands } from './addon.js';
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

/**
 * A GRU's or LSTM's weights as Keras stores them: kernel [F, G*U], recurrentKernel [U, G*U], bias
 * [G*U], and for the reset-after GRU a recurrentBias [G*U].
 */
export interface RecurrentWeights {
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  bias: tf.Tensor;
  recurrentBias?: tf.Tensor;
}

/** Whether fusedRecurrentEncode will run: the native backend is active. */
export function fusedRecurrentAvailable(): boolean {
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
  weights: RecurrentWeights,
): tf.Tensor2D | null {
  if (!fusedRecurrentAvailable()) return null;
  const [B, T] = x.shape;
  const lengths = trailingLengths(mask.dataSync(), B, T);
  if (!lengths) return null;
  return recurrentLastState(kind, x, lengths, units, weights);
}

/** As fusedRecurrentEncode with the real lengths given (each sequence's steps first, then padding). */
export function recurrentLastState(
  kind: RecurrentKind,
  x: tf.Tensor3D,
  lengths: Int32Array,
  units: number,
  weights: RecurrentWeights,
): tf.Tensor2D {
  const { addon, error } = loadNativeAddon();
  if (!addon) throw new Error(`sciml native recurrent op: engine ${error}`);
  const { kernel, recurrentKernel, bias, recurrentBias } = weights;
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
      kind,
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

/**
 * gruBias over plain arrays (LSTM biases are stored in oneDNN's rows already): the bias rows the
 * sequence op takes, from the stored bias [G*U] and, for the GRU, the recurrent bias [3U].
 */
export function biasRows(
  kind: RecurrentKind,
  bias: Float32Array,
  recurrentBias: Float32Array | null,
  U: number,
): Float32Array {
  if (kind === 'lstm') return bias.slice(0, 4 * U);
  const rows = new Float32Array(4 * U);
  for (let k = 0; k < 2 * U; k++) rows[k] = Math.fround(bias[k] + recurrentBias![k]);
  rows.set(bias.subarray(2 * U, 3 * U), 2 * U);
  rows.set(recurrentBias!.subarray(2 * U, 3 * U), 3 * U);
  return rows;
}

/** biasRows' adjoint: the gradients of the stored biases from those of the rows (a GRU's summed rows feed both). */
export function storedBiasGradients(
  kind: RecurrentKind,
  dRows: Float32Array,
  U: number,
): { bias: Float32Array; recurrentBias: Float32Array | null } {
  if (kind === 'lstm') return { bias: dRows, recurrentBias: null };
  const recurrentBias = new Float32Array(3 * U);
  recurrentBias.set(dRows.subarray(0, 2 * U));
  recurrentBias.set(dRows.subarray(3 * U, 4 * U), 2 * U);
  return { bias: dRows.subarray(0, 3 * U), recurrentBias };
}

/** Gradients of one sequence pass: in x (when asked) and in the weights (bias in oneDNN's [4, U] rows). */
export interface SequenceGradients {
  dx: Float32Array | null;
  dKernel: Float32Array;
  dRecurrentKernel: Float32Array;
  dBias4: Float32Array;
}

/** One forward pass of the native sequence op over plain arrays: the last real state of every sequence. */
export interface SequencePass {
  /** [B, U]: each sequence's state after its last real step (zeros for an empty sequence). */
  last: Float32Array;
  /** The gradients given d loss / d last; frees the pass. Call at most once. */
  backward(dLast: Float32Array, wantDx: boolean): SequenceGradients;
  /** Frees the pass without a backward. */
  release(): void;
}

/**
 * The masked sequence over plain arrays (x [B, T, F] standardized, padding after each sequence's
 * `lengths[b]` real steps), through oneDNN; the tfjs op below and the particle network's
 * hand-derived training step (src/models/particles/direct-step.ts) both run it.
 */
export function sequencePass(
  addon: NativeAddon,
  kind: RecurrentKind,
  x: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  bias4: Float32Array,
  lengths: Int32Array,
  [B, T, F, U]: readonly number[],
): SequencePass {
  const code = kind === 'gru' ? 0 : 1;
  const params = Int32Array.of(B, T, F, U);
  const buffers = takeBuffers(B * T * U);
  const y = buffers.y.subarray(0, B * T * U);
  const dyFull = buffers.dyFull.subarray(0, B * T * U);
  const operands: RnnOperands = [code, x, kernel, recurrentKernel, bias4, y];
  buffers.workspace = addon.rnnForward(...operands, params, buffers.workspace);
  const last = new Float32Array(B * U);
  for (let b = 0; b < B; b++)
    if (lengths[b] > 0) last.set(y.subarray((b * T + lengths[b] - 1) * U, (b * T + lengths[b]) * U), b * U);
  let open = true;
  const release = () => {
    if (open) giveBack(buffers);
    open = false;
  };
  return {
    last,
    release,
    backward(dLast, wantDx) {
      if (!open) throw new Error('sciml native recurrent op: backward of a released pass');
      for (let b = 0; b < B; b++)
        if (lengths[b] > 0) dyFull.set(dLast.subarray(b * U, (b + 1) * U), (b * T + lengths[b] - 1) * U);
      const dx = wantDx ? new Float32Array(x.length) : scratch(x.length);
      const grads = {
        dKernel: new Float32Array(kernel.length),
        dRecurrentKernel: new Float32Array(recurrentKernel.length),
        dBias4: new Float32Array(bias4.length),
      };
      const { dKernel, dRecurrentKernel, dBias4 } = grads;
      addon.rnnBackward(...operands, dyFull, buffers.workspace!, dx, dKernel, dRecurrentKernel, dBias4, params);
      for (let b = 0; b < B; b++)
        if (lengths[b] > 0) dyFull.fill(0, (b * T + lengths[b] - 1) * U, (b * T + lengths[b]) * U);
      release();
      return { dx: wantDx ? dx : null, ...grads };
    },
  };
}

/** A reused buffer for the input gradient oneDNN writes but nobody reads. */
let scratchBuffer = new Float32Array(0);
function scratch(length: number): Float32Array {
  if (scratchBuffer.length < length) scratchBuffer = new Float32Array(length);
  return scratchBuffer.subarray(0, length);
}

function sequenceOp(
  addon: NativeAddon,
  kind: RecurrentKind,
  lengths: Int32Array,
  dims: readonly number[],
  willDifferentiate: boolean,
) {
  return tf.customGrad((...args: unknown[]) => {
    const [x, kernel, recurrentKernel, bias4] = args as tf.Tensor[];
    const pass = sequencePass(
      addon,
      kind,
      x.dataSync() as Float32Array,
      kernel.dataSync() as Float32Array,
      recurrentKernel.dataSync() as Float32Array,
      bias4.dataSync() as Float32Array,
      lengths,
      dims,
    );
    if (!willDifferentiate) pass.release();
    return {
      value: tf.tensor2d(pass.last, [dims[0], dims[3]]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        const g = pass.backward((Array.isArray(dy) ? dy[0] : dy).dataSync() as Float32Array, true);
        return [
          tf.tensor(g.dx!, x.shape),
          tf.tensor(g.dKernel, kernel.shape),
          tf.tensor(g.dRecurrentKernel, recurrentKernel.shape),
          tf.tensor(g.dBias4, bias4.shape),
        ];
      },
    };
  });
}
