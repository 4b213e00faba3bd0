/**
 * The 1-D convolutional denoising autoencoder. Encoder: one block per entry of `filters` (Conv1D
 * layers, then 2x pooling, lengths rounding down: 500 -> 250 -> 125 -> 62 -> 31), so four blocks
 * with 16 filters last give the published 16 x 31 bottleneck. Decoder: the mirror image, each
 * block Conv1D layers then 2x nearest-neighbour upsampling, zero-padded by one sample where the
 * encoder rounded down, and a final Conv1D to one channel at the input length.
 *
 * tfjs-layers 4.22 has no upSampling1d or zeroPadding1d. Upsampling is concatenate([x, x]) on the
 * channel axis then a reshape [L, 2C] -> [2L, C] (row-major: sample i lands at 2i and 2i+1), which
 * needs no resize kernel and has an exact gradient on every backend; padding is zeroPadding2d
 * between reshapes to [L, 1, C]. With `normalize`, each trace is standardised on the way in and
 * restored on the way out (trace-norm.ts).
 */
import { tf } from '../../runtime/backend.js';
import { TraceRestore, TraceStandardize } from './trace-norm.js';
import { conv1d } from '../../runtime/native/conv-block.js';

export const ACTIVATIONS = ['relu', 'elu', 'tanh', 'selu', 'softplus'] as const;
type Activation = (typeof ACTIVATIONS)[number];

export interface Architecture {
  length: number;
  /** Encoder filters per block; the last is the bottleneck's channel count. */
  filters: number[];
  kernelSize: number;
  convsPerBlock: number;
  activation: Activation;
  pooling: 'max' | 'average';
  outputActivation: 'linear' | 'sigmoid';
  /** Standardise each trace before the encoder and undo it after the decoder (trace-norm.ts). */
  normalize: boolean;
}

/** Lengths after each encoder block: [L, L/2, L/4, ...] rounding down. */
export function encoderLengths(length: number, depth: number): number[] {
  const lengths = [length];
  for (let i = 0; i < depth; i++) lengths.push(Math.floor(lengths[i] / 2));
  return lengths;
}

/** Shape of the bottleneck [length, channels]. */
export function bottleneckShape(arch: Architecture): [number, number] {
  const lengths = encoderLengths(arch.length, arch.filters.length);
  return [lengths[lengths.length - 1], arch.filters[arch.filters.length - 1]];
}

/** Problems with an architecture (e.g. too many blocks for the trace length), as messages. */
export function architectureProblems(arch: Architecture): string[] {
  const lengths = encoderLengths(arch.length, arch.filters.length);
  const smallest = lengths[lengths.length - 1];
  if (smallest < 1)
    return [
      `model.filters: ${arch.filters.length} pooling blocks shrink ${arch.length} samples to nothing; expected at most ${Math.floor(Math.log2(arch.length))} blocks`,
    ];
  return [];
}

/** Builds the model with seeded initializers (seed, seed+1, ... per layer). Input and output [batch, L, 1]. */
export function buildDenoiser(arch: Architecture, seed: number): tf.LayersModel {
  let layerSeed = seed;
  const conv = (filters: number, activation: string, name: string, inputGradient = true) =>
    conv1d({
      inputGradient,
      filters,
      kernelSize: arch.kernelSize,
      padding: 'same',
      activation: activation as 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed++ }),
      biasInitializer: 'zeros',
      name,
    });
  const depth = arch.filters.length;
  const lengths = encoderLengths(arch.length, depth);
  const input = tf.input({ shape: [arch.length, 1], name: 'noisy' });
  let x: tf.SymbolicTensor = arch.normalize
    ? (new TraceStandardize({ name: 'standardize' }).apply(input) as tf.SymbolicTensor)
    : input;
  for (let b = 0; b < depth; b++) {
    // The first convolution reads the (standardised) traces: no gradient flows into them.
    for (let c = 0; c < arch.convsPerBlock; c++)
      x = conv(arch.filters[b], arch.activation, `enc${b}_conv${c}`, b + c > 0).apply(x) as tf.SymbolicTensor;
    const pool = arch.pooling === 'max' ? tf.layers.maxPooling1d : tf.layers.averagePooling1d;
    x = pool({ poolSize: 2, strides: 2, padding: 'valid', name: `enc${b}_pool` }).apply(x) as tf.SymbolicTensor;
  }
  for (let b = depth - 1; b >= 0; b--) {
    for (let c = 0; c < arch.convsPerBlock; c++)
      x = conv(arch.filters[b], arch.activation, `dec${b}_conv${c}`).apply(x) as tf.SymbolicTensor;
    const inLength = lengths[b + 1];
    const channels = arch.filters[b];
    x = tf.layers.concatenate({ axis: -1, name: `dec${b}_repeat` }).apply([x, x]) as tf.SymbolicTensor;
    x = tf.layers
      .reshape({ targetShape: [2 * inLength, channels], name: `dec${b}_upsample` })
      .apply(x) as tf.SymbolicTensor;
    const missing = lengths[b] - 2 * inLength;
    if (missing > 0) {
      x = tf.layers
        .reshape({ targetShape: [2 * inLength, 1, channels], name: `dec${b}_to2d` })
        .apply(x) as tf.SymbolicTensor;
      x = tf.layers
        .zeroPadding2d({
          padding: [
            [0, missing],
            [0, 0],
          ],
          name: `dec${b}_pad`,
        })
        .apply(x) as tf.SymbolicTensor;
      x = tf.layers
        .reshape({ targetShape: [lengths[b], channels], name: `dec${b}_to1d` })
        .apply(x) as tf.SymbolicTensor;
    }
  }
  let output = conv(1, arch.outputActivation, 'output').apply(x) as tf.SymbolicTensor;
  if (arch.normalize) output = new TraceRestore({ name: 'restore' }).apply([output, input]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'denoiser' });
}
