import * as tf from '@tensorflow/tfjs';
import { kernelFunc, readFloat32, writeFloat32, type KernelArgs, type TensorInfo } from './compose.js';

/**
 * Max-pooling gradients computed directly: each window's dy goes to the window's maximum
 * (padding excluded). wasm 4.22 seeds its search with FLT_MIN instead of -infinity, so a window
 * whose maximum is <= 0 sends its gradient to the wrong place. Ties follow the cpu backend:
 * the first maximum in scan order for 2-D pooling, the last for 3-D.
 */
export const maxPoolGradExact = kernelFunc((args) => {
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const [b, h, w, c] = input.shape;
  const info = tf.backend_util.computePool2DInfo([b, h, w, c], filterSize, strides, 1, pad, dimRoundingMode);
  return poolGrad(args, dy, input, {
    batch: b,
    inDims: [1, h, w],
    outDims: [1, info.outHeight, info.outWidth],
    channels: c,
    strides: [1, info.strideHeight, info.strideWidth],
    dilations: [1, info.dilationHeight, info.dilationWidth],
    filter: [1, info.filterHeight, info.filterWidth],
    padBefore: [0, info.padInfo.top, info.padInfo.left],
    lastOnTie: false,
  });
});

export const maxPool3DGradExact = kernelFunc((args) => {
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPool3DGradAttrs;
  const [b, d, h, w, c] = input.shape;
  const info = tf.backend_util.computePool3DInfo([b, d, h, w, c], filterSize, strides, 1, pad, dimRoundingMode);
  return poolGrad(args, dy, input, {
    batch: b,
    inDims: [d, h, w],
    outDims: [info.outDepth, info.outHeight, info.outWidth],
    channels: c,
    strides: [info.strideDepth, info.strideHeight, info.strideWidth],
    dilations: [info.dilationDepth, info.dilationHeight, info.dilationWidth],
    filter: [info.filterDepth, info.filterHeight, info.filterWidth],
    padBefore: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
    lastOnTie: true,
  });
});

interface PoolGeometry {
  batch: number;
  inDims: [number, number, number];
  outDims: [number, number, number];
  channels: number;
  strides: [number, number, number];
  dilations: [number, number, number];
  filter: [number, number, number];
  padBefore: [number, number, number];
  lastOnTie: boolean;
}

function poolGrad(args: KernelArgs, dy: TensorInfo, input: TensorInfo, g: PoolGeometry): TensorInfo {
  const { backend } = args;
  const x = readFloat32(backend, input);
  const dyValues = readFloat32(backend, dy);
  const dx = new Float32Array(x.length);
  const [D, H, W] = g.inDims;
  const [OD, OH, OW] = g.outDims;
  const [sd, sh, sw] = g.strides;
  const [dd, dh, dw] = g.dilations;
  const [kd, kh, kw] = g.filter;
  const [pd, ph, pw] = g.padBefore;
  const C = g.channels;
  const lastOnTie = g.lastOnTie;
  // Per window, scan its pixels once with the channels innermost (contiguous in NHWC).
  const best = new Float32Array(C);
  const bestAt = new Int32Array(C);
  let dyBase = 0;
  for (let b = 0; b < g.batch; b++) {
    const xBatch = b * D * H * W * C;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, dyBase += C) {
          best.fill(Number.NEGATIVE_INFINITY);
          bestAt.fill(-1);
          for (let fd = 0; fd < kd; fd++) {
            const id = od * sd - pd + fd * dd;
            if (id < 0 || id >= D) continue;
            for (let fh = 0; fh < kh; fh++) {
              const ih = oh * sh - ph + fh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let fw = 0; fw < kw; fw++) {
                const iw = ow * sw - pw + fw * dw;
                if (iw < 0 || iw >= W) continue;
                const base = xBatch + ((id * H + ih) * W + iw) * C;
                for (let c = 0; c < C; c++) {
                  const v = x[base + c];
                  if (v > best[c] || (lastOnTie && v === best[c])) {
                    best[c] = v;
                    bestAt[c] = base + c;
                  }
                }
              }
            }
          }
          for (let c = 0; c < C; c++) if (bestAt[c] >= 0) dx[bestAt[c]] += dyValues[dyBase + c];
        }
      }
    }
  }
  return writeFloat32(backend, input.shape, dx);
}
