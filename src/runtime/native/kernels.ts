/**
 * tfjs kernels that run on oneDNN through the native addon, registered on the `native` backend
 * (the wasm backend's instance under a second name, see backend.ts). Tensors stay in the wasm
 * heap: the addon reads and writes Float32Array views of it, so nothing is copied. Outputs are
 * allocated before any view is taken (an allocation may grow the heap and detach older views).
 */
import * as tf from '@tensorflow/tfjs';
import {
  conv2dInfo,
  kernelFunc,
  KernelRunner,
  type ConvAttrs,
  type KernelArgs,
  type TensorInfo,
} from '../kernels/compose.js';
import type { NativeAddon } from './addon.js';
import {
  BLOCK_ACTIVATIONS,
  CONV_BLOCK,
  CONV_BLOCK_GRAD,
  type BlockActivation,
  type ConvBlockAttrs,
} from './conv-block-kernels.js';

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmHeapBackend extends tf.KernelBackend {
  incRef(dataId: tf.DataId): void;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

function heap(backend: tf.KernelBackend, info: TensorInfo, what: string): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`sciml native: ${what} must be float32, got ${info.dtype}`);
  return (backend as WasmHeapBackend).typedArrayFromHeap(info);
}

function output(backend: tf.KernelBackend, shape: number[]): TensorInfo {
  return (backend as WasmHeapBackend).makeOutput(shape, 'float32');
}

/**
 * The addon's shape parameters of a convolution, N H W C KH KW O OH OW sh sw dh dw padTop padLeft
 * padBottom padRight, or of a pooling: the same without O, dh and dw (see addon.ts).
 */
function convParams(c: tf.backend_util.Conv2DInfo, op: 'conv' | 'pool' = 'conv'): Int32Array {
  const conv = op === 'conv';
  const input = [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth];
  const output = conv ? [c.outChannels, c.outHeight, c.outWidth] : [c.outHeight, c.outWidth];
  const steps = conv
    ? [c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth]
    : [c.strideHeight, c.strideWidth];
  const p = c.padInfo;
  return Int32Array.from([...input, ...output, ...steps, p.top, p.left, p.bottom, p.right]);
}

function conv2d(
  addon: NativeAddon,
  args: KernelArgs,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  kernel: string,
  activation: number = BLOCK_ACTIVATIONS.linear,
): TensorInfo {
  const info = conv2dInfo(kernel, x.shape, filter.shape, args.attrs as unknown as ConvAttrs);
  if (bias && bias.shape.length !== 1)
    throw new Error(`sciml native ${kernel}: only a per-channel bias is supported, got shape [${bias.shape}]`);
  const out = output(args.backend, [info.batchSize, info.outHeight, info.outWidth, info.outChannels]);
  const b = args.backend;
  addon.convForward(
    heap(b, x, 'x'),
    heap(b, filter, 'filter'),
    bias ? heap(b, bias, 'bias') : null,
    heap(b, out, 'y'),
    convParams(info),
    activation,
  );
  return out;
}

/** The kernels of conv-block.ts: a convolution, its bias and its activation forward in one oneDNN call, and every gradient in one. */
function convBlockKernels(addon: NativeAddon): Record<string, tf.KernelFunc> {
  return {
    [CONV_BLOCK]: kernelFunc((args) => {
      const { x, filter, bias } = args.inputs as { x: TensorInfo; filter: TensorInfo; bias: TensorInfo };
      return conv2d(addon, args, x, filter, bias, CONV_BLOCK, (args.attrs as unknown as ConvBlockAttrs).activation);
    }),
    [CONV_BLOCK_GRAD]: kernel((args) => {
      const { x, filter, y, dy } = args.inputs as { x: TensorInfo; filter: TensorInfo; y: TensorInfo; dy: TensorInfo };
      const a = args.attrs as unknown as ConvBlockAttrs;
      const info = conv2dInfo(CONV_BLOCK_GRAD, x.shape, filter.shape, a);
      const b = args.backend;
      const dx = a.inputGradient ? output(b, x.shape) : undefined;
      const dFilter = output(b, filter.shape);
      const dBias = output(b, [filter.shape[3]]);
      addon.convBlockBackward(
        heap(b, x, 'x'),
        heap(b, filter, 'filter'),
        heap(b, y, 'y'),
        heap(b, dy, 'dy'),
        dx ? heap(b, dx, 'dx') : null,
        heap(b, dFilter, 'dfilter'),
        heap(b, dBias, 'dbias'),
        convParams(info),
        a.activation,
      );
      return dx ? [dx, dFilter, dBias] : [dFilter, dBias];
    }),
  };
}

const ACTIVATION_KERNELS: Record<string, string> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

/** The kernels the native backend takes over from wasm, by tfjs kernel name. */
export function nativeKernels(addon: NativeAddon, backendName: string): Record<string, tf.KernelFunc> {
  const stock = (name: string): tf.KernelFunc => {
    const config = tf.getKernel(name, 'wasm');
    if (!config) throw new Error(`sciml native: wasm has no ${name} kernel to fall back to`);
    return config.kernelFunc;
  };
  return {
    ...movementKernels(addon, stock),
    ...convBlockKernels(addon),
    Conv2D: kernelFunc((args) => {
      const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
      return conv2d(addon, args, x, filter, undefined, 'Conv2D');
    }),
    FusedConv2D: kernelFunc((args) => {
      const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
      const { activation, leakyreluAlpha } = args.attrs as { activation?: string; leakyreluAlpha?: number };
      const fused = BLOCK_ACTIVATIONS[(activation ?? 'linear') as BlockActivation];
      if (fused !== undefined) return conv2d(addon, args, x!, filter!, bias, 'FusedConv2D', fused);
      return KernelRunner.compose(args.backend, backendName, (k) => {
        const y = conv2d(addon, args, x!, filter!, bias, 'FusedConv2D');
        const kernel = ACTIVATION_KERNELS[activation!];
        if (!kernel) {
          args.backend.disposeData(y.dataId);
          throw new Error(`sciml native FusedConv2D: activation ${activation} is not supported`);
        }
        const activated = k.run(
          kernel,
          activation === 'prelu' ? { x: y, alpha: preluActivationWeights! } : { x: y },
          activation === 'leakyrelu' ? { alpha: leakyreluAlpha } : {},
        );
        args.backend.disposeData(y.dataId);
        return activated;
      });
    }),
    Conv2DBackpropInput: kernelFunc((args) => {
      const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
      const a = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
      const info = conv2dInfo('Conv2DBackpropInput', a.inputShape, filter.shape, { ...a, dilations: 1 });
      const dx = output(args.backend, a.inputShape);
      const b = args.backend;
      addon.convBackwardData(heap(b, dy, 'dy'), heap(b, filter, 'filter'), heap(b, dx, 'dx'), convParams(info));
      return dx;
    }),
    Conv2DBackpropFilter: kernelFunc((args) => {
      const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
      const a = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
      const info = conv2dInfo('Conv2DBackpropFilter', x.shape, a.filterShape, { ...a, dilations: 1 });
      const dw = output(args.backend, a.filterShape);
      const b = args.backend;
      addon.convBackwardWeights(heap(b, x, 'x'), heap(b, dy, 'dy'), heap(b, dw, 'dfilter'), null, convParams(info));
      return dw;
    }),
    MaxPool: poolForward(addon, 0),
    AvgPool: poolForward(addon, 1),
    MaxPoolGrad: poolBackward(addon, 0),
    AvgPoolGrad: poolBackward(addon, 1),
  };
}

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function poolInfo(shape: number[], a: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
}

function poolForward(addon: NativeAddon, kind: 0 | 1): tf.KernelFunc {
  return kernelFunc((args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const info = poolInfo(x.shape, args.attrs as unknown as PoolAttrs);
    const y = output(args.backend, [info.batchSize, info.outHeight, info.outWidth, info.outChannels]);
    addon.pool(kind, heap(args.backend, x, 'x'), heap(args.backend, y, 'y'), convParams(info, 'pool'));
    return y;
  });
}

function poolBackward(addon: NativeAddon, kind: 0 | 1): tf.KernelFunc {
  return kernelFunc((args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const info = poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
    const dx = output(args.backend, input.shape);
    const b = args.backend;
    addon.poolBackward(kind, heap(b, input, 'x'), heap(b, dy, 'dy'), heap(b, dx, 'dx'), convParams(info, 'pool'));
    return dx;
  });
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const kernel = (fn: (args: KernelArgs) => TensorInfo | TensorInfo[]) => fn as unknown as tf.KernelFunc;

/**
 * Identity, Concat, SplitV, Slice, PadV2 and leading-axis Sum: data movement and reductions that wasm does chunk
 * by chunk from JS (the denoiser's upsampling and every bias gradient). Other dtypes and axis
 * patterns go to the stock wasm kernel.
 */
function movementKernels(addon: NativeAddon, stock: (name: string) => tf.KernelFunc): Record<string, tf.KernelFunc> {
  const asStock = (name: string) => {
    const f = stock(name);
    return (args: KernelArgs) => f(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo | TensorInfo[];
  };
  const stockConcat = asStock('Concat');
  const stockSplitV = asStock('SplitV');
  const stockSum = asStock('Sum');
  const stockIdentity = asStock('Identity');
  const stockSlice = asStock('Slice');
  const stockPad = asStock('PadV2');
  return {
    // Tensors are immutable: the output can share the input's data (as the cpu backend does).
    Identity: kernelFunc((args) => {
      const { x } = args.inputs as { x: TensorInfo };
      if (x.dtype === 'string') return stockIdentity(args) as TensorInfo;
      (args.backend as WasmHeapBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }),
    Concat: kernel((args) => {
      const inputs = Object.values(args.inputs) as TensorInfo[];
      const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0].shape)[0];
      const parts = inputs.filter((t) => size(t.shape) > 0);
      if (parts.length < 2 || parts.some((t) => t.dtype !== 'float32')) return stockConcat(args);
      const outShape = tf.backend_util.computeOutShape(
        inputs.map((t) => t.shape),
        axis,
      );
      const out = output(args.backend, outShape);
      const rows = size(outShape.slice(0, axis));
      const outWidth = size(outShape.slice(axis));
      const dst = heap(args.backend, out, 'concat output');
      let at = 0;
      for (const t of parts) {
        const width = size(t.shape.slice(axis));
        addon.copyRows(heap(args.backend, t, 'concat input'), dst, Int32Array.of(rows, width, width, 0, outWidth, at));
        at += width;
      }
      return out;
    }),
    SplitV: kernel((args) => {
      const { x } = args.inputs as { x: TensorInfo };
      if (x.dtype !== 'float32') return stockSplitV(args);
      const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
      const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, $axis);
      const outs = sizes.map((s) =>
        output(
          args.backend,
          x.shape.map((d, i) => (i === $axis ? s : d)),
        ),
      );
      const rows = size(x.shape.slice(0, $axis));
      const inWidth = size(x.shape.slice($axis));
      const inner = size(x.shape.slice($axis + 1));
      const src = heap(args.backend, x, 'split input');
      let at = 0;
      outs.forEach((o, i) => {
        const width = sizes[i] * inner;
        addon.copyRows(src, heap(args.backend, o, 'split output'), Int32Array.of(rows, width, inWidth, at, width, 0));
        at += width;
      });
      return outs;
    }),
    // A slice that cuts one axis (every axis after it whole) is a strided row copy; wasm's
    // slice4d is a JS loop (a millisecond per denoiser step for the zero-padding gradient).
    Slice: kernel((args) => {
      const { x } = args.inputs as { x: TensorInfo };
      const a = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [begin, sizes] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, a.begin, a.size);
      const cut = x.shape.findIndex((d, i) => begin[i] !== 0 || sizes[i] !== d);
      const wholeAfter = x.shape.every((d, i) => i <= cut || (begin[i] === 0 && sizes[i] === d));
      if (x.dtype !== 'float32' || cut < 0 || !wholeAfter || size(sizes) === 0) return stockSlice(args);
      const out = output(args.backend, sizes);
      const inner = size(x.shape.slice(cut + 1));
      const width = sizes[cut] * inner;
      addon.copyRows(
        heap(args.backend, x, 'slice input'),
        heap(args.backend, out, 'slice output'),
        Int32Array.of(size(x.shape.slice(0, cut)), width, x.shape[cut] * inner, begin[cut] * inner, width, 0),
      );
      return out;
    }),
    // Padding one axis (the denoiser's zero padding) is a fill and a strided row copy.
    PadV2: kernel((args) => {
      const { x } = args.inputs as { x: TensorInfo };
      const { paddings, constantValue } = args.attrs as unknown as {
        paddings: [number, number][];
        constantValue: number;
      };
      const padded = paddings.map((p, i) => (p[0] !== 0 || p[1] !== 0 ? i : -1)).filter((i) => i >= 0);
      if (x.dtype !== 'float32' || padded.length !== 1 || size(x.shape) === 0) return stockPad(args);
      const axis = padded[0];
      const outShape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
      const out = output(args.backend, outShape);
      const dst = heap(args.backend, out, 'pad output');
      dst.fill(constantValue);
      const inner = size(x.shape.slice(axis + 1));
      const width = x.shape[axis] * inner;
      addon.copyRows(
        heap(args.backend, x, 'pad input'),
        dst,
        Int32Array.of(size(x.shape.slice(0, axis)), width, width, 0, outShape[axis] * inner, paddings[axis][0] * inner),
      );
      return out;
    }),
    Sum: kernel((args) => {
      const { x } = args.inputs as { x: TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
      // Only a reduction over leading axes (a bias gradient), not all of them.
      const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
      if (x.dtype !== 'float32' || !leading) return stockSum(args);
      const kept = x.shape.slice(axes.length);
      const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
      const out = output(args.backend, outShape);
      addon.columnSums(
        heap(args.backend, x, 'sum input'),
        heap(args.backend, out, 'sum output'),
        Int32Array.of(size(x.shape.slice(0, axes.length)), size(kept)),
      );
      return out;
    }),
  };
}
