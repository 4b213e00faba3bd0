import * as tf from '@tensorflow/tfjs';
import { conv2dInfo, kernelFunc, KernelRunner, type KernelArgs, type TensorInfo } from './compose.js';

/**
 * Conv2DBackpropInput composed from the backend's forward Conv2D (on wasm: XNNPACK, instead of
 * the stock scalar loop). Also the forward pass of conv2dTranspose.
 *
 * dx is the stride-1 convolution of dy dilated by the strides (sh-1 zeros after every row,
 * sw-1 after every column) with the filter flipped in space and its in/out channels swapped,
 * under 'full' padding adjusted for the forward padding: kh-1-top rows on top, and at the
 * bottom whatever makes the output H rows tall. Negative pads are crops.
 */
export function conv2dBackpropInputComposed(backendName: string): tf.KernelFunc {
  return kernelFunc((args) => backpropInput(backendName, args));
}

function backpropInput(backendName: string, args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { inputShape } = a;
  const info = conv2dInfo('Conv2DBackpropInput', inputShape, filter.shape, a);
  const {
    batchSize: B,
    inHeight: H,
    inWidth: W,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const [, oh, ow, cout] = dy.shape;
  if (oh !== info.outHeight || ow !== info.outWidth || dy.shape[0] !== B) {
    throw new Error(
      `sciml Conv2DBackpropInput: dy shape [${dy.shape}] does not match the conv output [${info.outShape}]`,
    );
  }
  return KernelRunner.compose(backend, backendName, (k) => {
    let dilated = dy;
    if (sh > 1 || sw > 1) {
      // Zeros after each element along H and W: view dy as [B*oh, 1, ow, 1, C], pad the unit axes.
      const r5 = k.run('Reshape', { x: dy }, { shape: [B * oh, 1, ow, 1, cout] });
      const padded = k.run(
        'PadV2',
        { x: r5 },
        {
          paddings: [
            [0, 0],
            [0, sh - 1],
            [0, 0],
            [0, sw - 1],
            [0, 0],
          ],
          constantValue: 0,
        },
      );
      dilated = k.run('Reshape', { x: padded }, { shape: [B, oh * sh, ow * sw, cout] });
    }
    const dilatedH = dilated.shape[1];
    const dilatedW = dilated.shape[2];
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const bottom = H + info.padInfo.top - dilatedH;
    const right = W + info.padInfo.left - dilatedW;
    const flipped = k.run('Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = k.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
    const dx = k.convSignedPad(dilated, swapped, [top, bottom], [left, right], [1, 1]);
    if (dx.shape[1] !== H || dx.shape[2] !== W) {
      throw new Error(`sciml Conv2DBackpropInput: composed conv gave [${dx.shape}], expected [${inputShape}]`);
    }
    return dx;
  });
}
