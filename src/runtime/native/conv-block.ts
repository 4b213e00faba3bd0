/**
 * A 1-D convolution block, y = act(conv1d(x, w) + bias), as one oneDNN call forward (the bias and
 * activation applied while the output is in cache) and one call backward for every gradient
 * (tf.customGrad), instead of conv + bias add + activation and their four gradient kernels, each
 * a tfjs dispatch and a pass over memory.
 *
 * `conv1d` builds a layer that is tfjs-layers' Conv1D in every respect (class name, config,
 * weights, serialization: saved models are unchanged and load anywhere), whose call takes this
 * path on the native backend and tfjs's own otherwise.
 */
import { tf } from '../backend.js';
import { NATIVE_BACKEND } from './backend.js';
import {
  BLOCK_ACTIVATIONS,
  CONV_BLOCK,
  CONV_BLOCK_GRAD,
  type BlockActivation,
  type ConvBlockAttrs,
} from './conv-block-kernels.js';

interface ConvBlockOptions {
  activation: BlockActivation;
  padding: 'same' | 'valid';
  stride: number;
  dilation: number;
  /**
   * False when x does not depend on anything trained (the block reads the data): x is then not an
   * input of the gradient, and its gradient (a whole backward-data convolution) is not computed.
   */
  inputGradient: boolean;
}

/** y [B, L', O] = act(conv1d(x [B, L, C], kernel [K, C, O]) + bias [O]) through the native kernels. */
function convBlock1d(x: tf.Tensor3D, kernel: tf.Tensor3D, bias: tf.Tensor1D, o: ConvBlockOptions): tf.Tensor3D {
  const attrs: ConvBlockAttrs = {
    strides: [1, o.stride],
    pad: o.padding,
    dilations: [1, o.dilation],
    activation: BLOCK_ACTIVATIONS[o.activation],
    inputGradient: o.inputGradient,
  };
  const named = attrs as unknown as tf.NamedAttrMap;
  const engine = tf.engine();
  const [B, L, C] = x.shape;
  const [K, , O] = kernel.shape;
  return tf.tidy(() => {
    const x4 = tf.reshape(x, [B, 1, L, C]);
    const forward = (filter: tf.Tensor, b: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
      const y = engine.runKernel(CONV_BLOCK, { x: x4, filter, bias: b }, named) as tf.Tensor4D;
      save([filter, y]);
      const gradFunc = (dy: tf.Tensor | tf.Tensor[], [sf, sy]: tf.Tensor[]) =>
        engine.runKernel(
          CONV_BLOCK_GRAD,
          { x: x4, filter: sf, y: sy, dy: Array.isArray(dy) ? dy[0] : dy },
          named,
        ) as tf.Tensor[];
      return { value: y, gradFunc };
    };
    // customGrad differentiates with respect to its arguments only: x4 joins them when its gradient is wanted.
    const block = o.inputGradient
      ? tf.customGrad((...a: unknown[]) =>
          forward(a[1] as tf.Tensor, a[2] as tf.Tensor, a[3] as (t: tf.Tensor[]) => void),
        )
      : tf.customGrad((...a: unknown[]) =>
          forward(a[0] as tf.Tensor, a[1] as tf.Tensor, a[2] as (t: tf.Tensor[]) => void),
        );
    const filter = tf.reshape(kernel, [1, K, C, O]);
    const y = (o.inputGradient ? block(x4, filter, bias) : block(filter, bias)) as tf.Tensor4D;
    return tf.reshape(y, [B, y.shape[2], O]) as tf.Tensor3D;
  });
}

type StockConv1DArgs = Parameters<typeof tf.layers.conv1d>[0];
type Conv1DArgs = StockConv1DArgs & {
  /** False for a layer whose input is the data (see ConvBlockOptions.inputGradient); not saved with the model. */
  inputGradient?: boolean;
};

/** The members of tfjs-layers' Conv1D the native path reads (protected in its typings). */
interface Conv1DInternals {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  activation: { getClassName(): string };
  padding: string;
  strides: number[];
  dilationRate: number[];
  dataFormat: string;
}

type LayerClass = new (args: Conv1DArgs) => tf.layers.Layer;
let nativeConv1D: LayerClass | undefined;

/** tfjs-layers' Conv1D with a call that runs convBlock1d on the native backend when it can. */
function nativeConv1DClass(): LayerClass {
  if (nativeConv1D) return nativeConv1D;
  // tfjs exports the layer factories, not the classes; the class is the prototype of one.
  const Stock = tf.layers.conv1d({ filters: 1, kernelSize: 1 }).constructor as LayerClass;
  nativeConv1D = class extends Stock {
    private readonly inputGradient: boolean;

    constructor(args: Conv1DArgs) {
      const { inputGradient, ...stock } = args;
      super(stock);
      this.inputGradient = inputGradient ?? true;
    }

    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      const self = this as unknown as Conv1DInternals;
      const activation = self.activation.getClassName() as BlockActivation;
      const usable =
        tf.getBackend() === NATIVE_BACKEND &&
        self.bias !== null &&
        activation in BLOCK_ACTIVATIONS &&
        (self.padding === 'same' || self.padding === 'valid') &&
        self.dataFormat === 'channelsLast';
      if (!usable) return super.call(inputs, kwargs);
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const options = {
        activation,
        padding: self.padding as 'same' | 'valid',
        stride: self.strides[0],
        dilation: self.dilationRate[0],
        inputGradient: this.inputGradient,
      };
      return convBlock1d(x, self.kernel.read() as tf.Tensor3D, self.bias!.read() as tf.Tensor1D, options);
    }
  };
  return nativeConv1D;
}

/** As tf.layers.conv1d (same class name, config and weights), fused into one native call per direction on the native backend. */
export function conv1d(args: Conv1DArgs): tf.layers.Layer {
  return new (nativeConv1DClass())(args);
}
