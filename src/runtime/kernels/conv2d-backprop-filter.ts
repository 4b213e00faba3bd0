import * as tf from '@tensorflow/tfjs';
import { conv2dInfo, kernelFunc, KernelRunner, type KernelArgs, type TensorInfo } from './compose.js';

/**
 * Conv2DBackpropFilter composed from the backend's forward Conv2D (wasm 4.22 has none).
 *
 * For y = conv(x, w) with strides (sh, sw) and top/left padding (t, l):
 *   dw[p, q, ci, co] = sum_{b, i, j} x[b, i*sh + p - t, j*sw + q - l, ci] * dy[b, i, j, co]
 * which is a stride-1 convolution of x^T = [Cin, H, W, B] ("batch" Cin, "channels" B) with
 * dy^T = [oh, ow, B, Cout] as the filter, dilated by (sh, sw), padded by t on top and
 * kh - H - t + (oh-1)*sh at the bottom (likewise for columns). A negative pad means rows of x the
 * forward conv never reached: they are cropped. The [Cin, kh, kw, Cout] result is transposed
 * to [kh, kw, Cin, Cout].
 */
export function conv2dBackpropFilterComposed(backendName: string): tf.KernelFunc {
  return kernelFunc((args) => backpropFilter(backendName, args));
}

function backpropFilter(backendName: string, args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = conv2dInfo('Conv2DBackpropFilter', x.shape, a.filterShape, a);
  const { inHeight: H, inWidth: W, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const [, oh, ow] = dy.shape;
  if (oh !== info.outHeight || ow !== info.outWidth) {
    throw new Error(
      `sciml Conv2DBackpropFilter: dy shape [${dy.shape}] does not match the conv output ${info.outHeight}x${info.outWidth}`,
    );
  }
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const bottom = kh - H - top + (oh - 1) * sh;
  const right = kw - W - left + (ow - 1) * sw;
  return KernelRunner.compose(backend, backendName, (k) => {
    // The transpose keeps H and W in place: negative pads crop them after it.
    const xT = k.run('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const dyT = k.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const dwT = k.convSignedPad(xT, dyT, [top, bottom], [left, right], [sh, sw]);
    if (dwT.shape[1] !== kh || dwT.shape[2] !== kw) {
      throw new Error(`sciml Conv2DBackpropFilter: composed conv gave [${dwT.shape}], expected spatial ${kh}x${kw}`);
    }
    return k.run('Transpose', { x: dwT }, { perm: [1, 2, 0, 3] });
  });
}
