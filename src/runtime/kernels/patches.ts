import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterComposed } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputComposed } from './conv2d-backprop-input.js';
import { maxPool3DGradExact, maxPoolGradExact } from './max-pool-grad.js';
import { resizeBilinearGradShapeFixed, resizeNearestNeighborGradExact } from './resize-grad.js';

/** A kernel sciml registers on a tfjs backend in place of a missing, slow or wrong one. */
export interface KernelPatch {
  backend: 'wasm' | 'cpu';
  kernel: string;
  /** What `sciml info` lists, e.g. "wasm:Conv2DBackpropFilter (composed)". */
  label: string;
  /** The stock kernel's defect. */
  fixes: string;
  /** Builds the replacement; `stock` is the kernel it replaces, if there was one. */
  make(stock: tf.KernelFunc | undefined): tf.KernelFunc;
}

export const KERNEL_PATCHES: readonly KernelPatch[] = [
  {
    backend: 'wasm',
    kernel: 'Conv2DBackpropFilter',
    label: 'wasm:Conv2DBackpropFilter (composed)',
    fixes: 'missing in tfjs 4.22: no convolution could train',
    make: () => conv2dBackpropFilterComposed('wasm'),
  },
  {
    backend: 'wasm',
    kernel: 'Conv2DBackpropInput',
    label: 'wasm:Conv2DBackpropInput (XNNPACK Conv2D)',
    fixes: "the stock kernel is a scalar loop, most of a conv net's training time",
    make: () => conv2dBackpropInputComposed('wasm'),
  },
  {
    backend: 'wasm',
    kernel: 'MaxPoolGrad',
    label: 'wasm:MaxPoolGrad (exact)',
    fixes: "wrong when a pooling window's maximum is <= 0",
    make: () => maxPoolGradExact,
  },
  {
    backend: 'wasm',
    kernel: 'MaxPool3DGrad',
    label: 'wasm:MaxPool3DGrad (exact)',
    fixes: "wrong when a pooling window's maximum is <= 0",
    make: () => maxPool3DGradExact,
  },
  {
    backend: 'wasm',
    kernel: 'ResizeNearestNeighborGrad',
    label: 'wasm:ResizeNearestNeighborGrad (exact)',
    fixes: 'ignores halfPixelCenters',
    make: () => resizeNearestNeighborGradExact('wasm'),
  },
  {
    backend: 'cpu',
    kernel: 'ResizeNearestNeighborGrad',
    label: 'cpu:ResizeNearestNeighborGrad (exact)',
    fixes: "wrong for batch > 1 (reads dy with the input's batch stride); ignores halfPixelCenters",
    make: () => resizeNearestNeighborGradExact('cpu'),
  },
  {
    backend: 'cpu',
    kernel: 'ResizeBilinearGrad',
    label: 'cpu:ResizeBilinearGrad (shape fixed)',
    fixes: 'returns shape [b, w, h, c]: training fails when h != w',
    make: (stock) => {
      if (!stock) throw new Error('cpu ResizeBilinearGrad is not registered');
      return resizeBilinearGradShapeFixed(stock);
    },
  },
];

// tfjs-core 4.22 sizes a conv with a numeric pad using the height's stride and kernel for both
// axes: wrong output silently on cpu, out-of-bounds writes (abort) on wasm. Layers never do this.
const NUMERIC_PAD =
  'conv with a numeric pad and unequal strides or kernel sides gets a wrong output size (tfjs-core): use same/valid/explicit pads';

/** Defects that remain after patching, by backend name. */
export const KNOWN_DEFECTS: Readonly<Record<string, readonly string[]>> = {
  wasm: [
    'no DepthwiseConv2dNative gradients: depthwise/separable convolutions cannot train (tfjs throws)',
    NUMERIC_PAD,
  ],
  cpu: [NUMERIC_PAD],
};

const stockKernels = new Map<string, tf.KernelConfig | null>();
const keyOf = (backend: string, kernel: string) => `${backend}/${kernel}`;

/** Registers every patch for `backendName` (idempotent) and returns their labels. */
export function applyKernelPatches(backendName: string): string[] {
  const labels: string[] = [];
  for (const patch of KERNEL_PATCHES) {
    if (patch.backend !== backendName) continue;
    setKernelPatch(backendName, patch.kernel, true);
    labels.push(patch.label);
  }
  return labels;
}

/**
 * Switches one kernel between sciml's patch (true) and tfjs's stock kernel (false; unregistered
 * if tfjs has none). For tests that demonstrate a defect and for benchmarks.
 */
export function setKernelPatch(backendName: string, kernelName: string, patched: boolean): void {
  const patch = KERNEL_PATCHES.find((p) => p.backend === backendName && p.kernel === kernelName);
  if (!patch) throw new Error(`no sciml patch for ${backendName}:${kernelName}`);
  // tfjs runs kernels' setup functions when a backend starts; a stock kernel registered later
  // would never be set up, so only patch a running backend.
  if (!tf.engine().registry[backendName])
    throw new Error(`start the ${backendName} backend (initBackend) before patching its kernels`);
  const key = keyOf(backendName, kernelName);
  const current = tf.getKernel(kernelName, backendName);
  if (!stockKernels.has(key)) stockKernels.set(key, current ?? null);
  const stock = stockKernels.get(key) ?? null;
  if (current) tf.unregisterKernel(kernelName, backendName);
  if (patched) {
    tf.registerKernel({ kernelName, backendName, kernelFunc: patch.make(stock?.kernelFunc) });
  } else if (stock) {
    tf.registerKernel(stock);
  }
}

/** Whether `kernelName` on `backendName` is currently sciml's patch. */
export function isKernelPatched(backendName: string, kernelName: string): boolean {
  const key = keyOf(backendName, kernelName);
  if (!stockKernels.has(key)) return false;
  const current = tf.getKernel(kernelName, backendName);
  return current != null && current !== stockKernels.get(key);
}
