/**
 * Loads sciml's native engine: the Node-API addon over oneDNN that `npm ci` compiles into
 * native/build/sciml_dnnl.node when g++ and Debian's libdnnl-dev are present
 * (scripts/build-native.mjs). Every function works on caller-owned Float32Arrays (views of the
 * wasm heap are fine) and an Int32Array of shape parameters; see native/dnnl_addon.cc.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectRoot } from '../version.js';

export interface NativeEngineFacts {
  version: string;
  /** The instruction set oneDNN dispatches to, e.g. avx512_core. */
  isa: string;
  /** OpenMP threads used by calls from the current JS thread. */
  threads: number;
  cpuRuntime: string;
}

export interface NativeAddon {
  info(): NativeEngineFacts;
  setThreads(n: number): void;
  /** params: N H W C KH KW O OH OW sh sw dh dw padTop padLeft padBottom padRight (NHWC, HWIO). */
  /** activation: a fused post-op (conv-block.ts's codes), linear when omitted. */
  convForward(
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    params: Int32Array,
    activation?: number,
  ): void;
  convBackwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, params: Int32Array): void;
  convBackwardWeights(
    x: Float32Array,
    dy: Float32Array,
    dFilter: Float32Array,
    dBias: Float32Array | null,
    params: Int32Array,
  ): void;
  /** Every gradient of y = act(conv(x, w) + bias) from y and dy in one call; dx skipped when null. */
  convBlockBackward(
    x: Float32Array,
    filter: Float32Array,
    y: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    dFilter: Float32Array,
    dBias: Float32Array,
    params: Int32Array,
    activation: number,
  ): void;
  /** kind 0 max, 1 average (padding excluded); params: N H W C KH KW OH OW sh sw padTop padLeft padBottom padRight. */
  pool(kind: 0 | 1, x: Float32Array, y: Float32Array, params: Int32Array): void;
  poolBackward(kind: 0 | 1, x: Float32Array, dy: Float32Array, dx: Float32Array, params: Int32Array): void;
  /** params: rows width srcStride srcOffset dstStride dstOffset (a strided block copy). */
  copyRows(src: Float32Array, dst: Float32Array, params: Int32Array): void;
  /** params: rows cols; out[j] = sum over rows of x[r, j]. */
  columnSums(x: Float32Array, out: Float32Array, params: Int32Array): void;
  /** C = alpha op(A) op(B) + beta C, row-major (op: transpose when the flag is 1); params: transA transB M N K. */
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, params: Int32Array, alpha: number, beta: number): void;
  /**
   * kind 0 GRU (linear before reset), 1 LSTM; x [N, T, F], kernel [F, G*U], recurrentKernel
   * [U, G*U], bias [4, U] in oneDNN's gate order; y [N, T, U] gets every step's state.
   * params: N T F U. Returns the workspace rnnBackward needs: `reuse` when it is large enough (a
   * workspace whose backward pass is done), else a new one.
   */
  rnnForward(...args: [...RnnOperands, params: Int32Array, reuse: ArrayBuffer | null]): ArrayBuffer;
  /** The gradients given dy, from the operands and workspace of the rnnForward call it follows. */
  rnnBackward(
    ...args: [
      ...RnnOperands,
      dy: Float32Array,
      workspace: ArrayBuffer,
      dx: Float32Array,
      dKernel: Float32Array,
      dRecurrentKernel: Float32Array,
      dBias: Float32Array,
      params: Int32Array,
    ]
  ): void;
}

/** What rnnForward reads and writes, passed again as is to its rnnBackward. */
export type RnnOperands = [
  kind: 0 | 1,
  x: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  bias: Float32Array,
  y: Float32Array,
];

const ADDON_FUNCTIONS: (keyof NativeAddon)[] = [
  'info',
  'setThreads',
  'convForward',
  'convBackwardData',
  'convBackwardWeights',
  'convBlockBackward',
  'pool',
  'poolBackward',
  'copyRows',
  'columnSums',
  'gemm',
  'rnnForward',
  'rnnBackward',
];

const ADDON_PATH = join(projectRoot, 'native', 'build', 'sciml_dnnl.node');

let loaded: { addon?: NativeAddon; error?: string } | undefined;

/** The addon, or why it is not available (not built, or libdnnl missing at run time). */
export function loadNativeAddon(): { addon?: NativeAddon; error?: string } {
  if (loaded) return loaded;
  if (!existsSync(ADDON_PATH)) {
    loaded = { error: 'not built (apt-get install -y libdnnl-dev g++, then npm run build:native)' };
  } else {
    // OpenMP threads that spin while waiting collapse when other processes share the cores (a
    // 2-thread GRU step ran 170x slower at load 30 here): wait passively unless the user chose a
    // policy. libgomp reads this once, when the addon loads it; child processes do not inherit it.
    const policy = process.env.OMP_WAIT_POLICY;
    const chosen = policy !== undefined || process.env.GOMP_SPINCOUNT !== undefined;
    if (!chosen) process.env.OMP_WAIT_POLICY = 'PASSIVE';
    try {
      const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
      // A build older than this code (sciml updated without `npm run build:native`) lacks some
      // functions, and its convForward would ignore a fused activation: refuse it rather than compute wrong.
      const missing = ADDON_FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
      loaded = missing.length
        ? {
            error: `${ADDON_PATH} is older than this sciml (it has no ${missing.join(', ')}): rebuild it with npm run build:native`,
          }
        : { addon };
    } catch (err: any) {
      loaded = { error: `${ADDON_PATH} failed to load: ${String(err?.message ?? err).split('\n')[0]}` };
    } finally {
      if (!chosen) delete process.env.OMP_WAIT_POLICY;
    }
  }
  return loaded;
}
