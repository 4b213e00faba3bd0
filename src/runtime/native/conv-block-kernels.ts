/** Names, attributes and activation codes of the native convolution-block kernels (kernels.ts registers them, conv-block.ts calls them). */
export const CONV_BLOCK = 'SciConvBlock';
export const CONV_BLOCK_GRAD = 'SciConvBlockGrad';

/** Activations oneDNN applies inside the convolution; the codes are native/dnnl_addon.cc's `Activation`. */
export const BLOCK_ACTIVATIONS = { linear: 0, relu: 1, elu: 2, tanh: 3, sigmoid: 4 } as const;
export type BlockActivation = keyof typeof BLOCK_ACTIVATIONS;

export interface ConvBlockAttrs {
  strides: [number, number];
  pad: 'valid' | 'same';
  dilations: [number, number];
  activation: number;
  /** False when nothing upstream of the block is trained (it reads the data): dx is then not computed. */
  inputGradient: boolean;
}
