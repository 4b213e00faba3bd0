import * as tf from '@tensorflow/tfjs';
import { kernelFunc, KernelRunner, readFloat32, writeFloat32, type KernelArgs, type TensorInfo } from './compose.js';

/**
 * ResizeNearestNeighborGrad as the exact transpose of the backend's own forward kernel: the
 * forward kernel resizes an image holding each pixel's index, which tells, for every output
 * pixel, the input pixel it copied; dy is then summed into those pixels, per image and channel.
 * (cpu 4.22 reads dy with the input's batch stride, so batch > 1 trains silently wrong; both
 * cpu and wasm also ignore halfPixelCenters in the gradient.)
 */
export function resizeNearestNeighborGradExact(backendName: string): tf.KernelFunc {
  const sourceMaps = new Map<string, Int32Array>();
  return kernelFunc((args) => {
    const { images, dy } = args.inputs as { images: TensorInfo; dy: TensorInfo };
    const { alignCorners, halfPixelCenters } = args.attrs as { alignCorners?: boolean; halfPixelCenters?: boolean };
    const [batch, h, w, channels] = images.shape;
    const [, oh, ow] = dy.shape;
    const key = [h, w, oh, ow, Boolean(alignCorners), Boolean(halfPixelCenters)].join(',');
    let source = sourceMaps.get(key);
    if (!source) {
      source = sourcePixels(args, backendName, h, w, oh, ow, Boolean(alignCorners), Boolean(halfPixelCenters));
      if (sourceMaps.size >= 64) sourceMaps.delete(sourceMaps.keys().next().value as string);
      sourceMaps.set(key, source);
    }
    const dyValues = readFloat32(args.backend, dy);
    const dx = new Float32Array(batch * h * w * channels);
    for (let b = 0; b < batch; b++) {
      const dxBatch = b * h * w * channels;
      const dyBatch = b * oh * ow * channels;
      for (let p = 0; p < oh * ow; p++) {
        const to = dxBatch + source[p] * channels;
        const from = dyBatch + p * channels;
        for (let c = 0; c < channels; c++) dx[to + c] += dyValues[from + c];
      }
    }
    return writeFloat32(args.backend, images.shape, dx);
  });
}

/** For each output pixel of the forward resize, the flat index (row * w + col) of its source pixel. */
function sourcePixels(
  args: KernelArgs,
  backendName: string,
  h: number,
  w: number,
  oh: number,
  ow: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): Int32Array {
  if (h * w >= 2 ** 24)
    throw new Error(`sciml ResizeNearestNeighborGrad: ${h}x${w} images are too large to index in float32`);
  const indices = new Float32Array(h * w);
  for (let i = 0; i < indices.length; i++) indices[i] = i;
  const resized = KernelRunner.compose(args.backend, backendName, (k) => {
    const image = writeFloat32(args.backend, [1, h, w, 1], indices);
    try {
      return k.run('ResizeNearestNeighbor', { images: image }, { alignCorners, halfPixelCenters, size: [oh, ow] });
    } finally {
      args.backend.disposeData(image.dataId);
    }
  });
  try {
    return Int32Array.from(readFloat32(args.backend, resized));
  } finally {
    args.backend.disposeData(resized.dataId);
  }
}

/** cpu 4.22's ResizeBilinearGrad computes the right values but labels them [b, w, h, c]. */
export function resizeBilinearGradShapeFixed(stock: tf.KernelFunc): tf.KernelFunc {
  return kernelFunc((args) => {
    const { images } = args.inputs as { images: TensorInfo };
    const out = stock(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
    return { dataId: out.dataId, shape: images.shape.slice(), dtype: out.dtype };
  });
}
