import * as tf from '@tensorflow/tfjs';

export type TensorInfo = tf.TensorInfo;
/** What tfjs passes a kernel function, with the backend typed. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: tf.KernelBackend;
  attrs: Record<string, unknown>;
}

/** A tfjs KernelFunc from a function over typed arguments. */
export function kernelFunc(fn: (args: KernelArgs) => TensorInfo): tf.KernelFunc {
  return (args) => fn(args as unknown as KernelArgs);
}

/**
 * Runs a backend's own kernels on TensorInfos inside a kernel we register, and frees every
 * intermediate it produced except the result. Kernels return TensorInfos that each hold one
 * reference on their data (Reshape shares its input's data and adds a reference), so releasing
 * one reference per intermediate is exact.
 */
export class KernelRunner {
  private readonly intermediates: TensorInfo[] = [];

  constructor(
    readonly backend: tf.KernelBackend,
    readonly backendName: string,
  ) {}

  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown> = {}): TensorInfo {
    const config = tf.getKernel(kernelName, this.backendName);
    if (!config)
      throw new Error(`sciml kernel composition: '${kernelName}' is not registered for backend '${this.backendName}'`);
    const out = config.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`sciml kernel composition: '${kernelName}' returned several outputs`);
    this.intermediates.push(out);
    return out;
  }

  /** Frees all intermediates except `result`, which is handed to the engine. */
  release(result?: TensorInfo): void {
    let kept = false;
    for (const info of this.intermediates) {
      if (!kept && result && info === result) {
        kept = true;
        continue;
      }
      this.backend.disposeData(info.dataId);
    }
    this.intermediates.length = 0;
  }

  /** Runs `body`, then frees the intermediates (all of them if `body` throws). */
  static compose(backend: tf.KernelBackend, backendName: string, body: (k: KernelRunner) => TensorInfo): TensorInfo {
    const runner = new KernelRunner(backend, backendName);
    let result: TensorInfo | undefined;
    try {
      result = body(runner);
      return result;
    } finally {
      runner.release(result);
    }
  }

  /** Crops (negative amounts) or zero-pads (positive amounts) each axis: [before, after] pairs. */
  padOrCrop(x: TensorInfo, amounts: [number, number][]): TensorInfo {
    let out = x;
    if (amounts.some(([a, b]) => a < 0 || b < 0)) {
      const begin = amounts.map(([a]) => Math.max(0, -a));
      const size = amounts.map(([a, b], i) => out.shape[i] - Math.max(0, -a) - Math.max(0, -b));
      if (size.some((s) => s <= 0))
        throw new Error(`sciml kernel composition: cropping ${JSON.stringify(amounts)} empties shape [${x.shape}]`);
      out = this.run('Slice', { x: out }, { begin, size });
    }
    if (amounts.some(([a, b]) => a > 0 || b > 0)) {
      const paddings = amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      out = this.run('PadV2', { x: out }, { paddings, constantValue: 0 });
    }
    return out;
  }

  /**
   * A stride-1 NHWC Conv2D of x whose H axis is padded by [top, bottom] and W axis by [left, right]:
   * positive amounts are the conv's own (explicit) padding, negative ones crop x first.
   */
  convSignedPad(
    x: TensorInfo,
    filter: TensorInfo,
    [top, bottom]: [number, number],
    [left, right]: [number, number],
    dilations: [number, number],
  ): TensorInfo {
    const amounts: [number, number][] = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const crops = amounts.map(([a, b]): [number, number] => [Math.min(a, 0), Math.min(b, 0)]);
    const cropped = this.padOrCrop(x, crops);
    const pad = amounts.map(([a, b]) => [Math.max(a, 0), Math.max(b, 0)]);
    const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined };
    return this.run('Conv2D', { x: cropped, filter }, attrs);
  }
}

/** The float32 values of a tensor (a copy on wasm; do not mutate: on cpu it is the stored array). */
export function readFloat32(backend: tf.KernelBackend, info: TensorInfo): Float32Array {
  const values = backend.readSync(info.dataId);
  if (values instanceof Float32Array) return values;
  return Float32Array.from(values as ArrayLike<number>);
}

/** A new float32 tensor holding `values`, owned by the caller (one reference). */
export function writeFloat32(backend: tf.KernelBackend, shape: number[], values: Float32Array): TensorInfo {
  return { dataId: backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
}

/** The attributes that size a tfjs 2-D convolution (Conv2D, its gradients, FusedConv2D). */
export interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The geometry of a channels-last convolution of x by filter (dilation 1 unless given); `kernelName` names it in errors. */
export function conv2dInfo(
  kernelName: string,
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  assertChannelsLast(kernelName, attrs.dataFormat);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

function assertChannelsLast(kernelName: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(
      `sciml ${kernelName}: only NHWC (channels last) is supported, got dataFormat ${String(dataFormat)}`,
    );
  }
}
