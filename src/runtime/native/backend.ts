/**
 * The `native` tfjs backend: the wasm backend's instance registered under a second name, with
 * every wasm kernel copied over and the hot ones (convolutions, pooling and their gradients)
 * replaced by oneDNN kernels (kernels.ts). Element-wise ops stay on wasm's SIMD kernels and
 * tensors stay in the wasm heap, so both kinds of kernel share data without copies, and one model
 * definition runs unchanged on either backend.
 */
import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { loadNativeAddon, type NativeAddon, type NativeEngineFacts } from './addon.js';
import { nativeKernels } from './kernels.js';

export const NATIVE_BACKEND = 'native';

export interface NativeEngine {
  name: 'oneDNN';
  version: string;
  isa: string;
  threads: number;
  /** The kernels oneDNN runs, as `sciml info` lists them. */
  kernels: string[];
}

let registered: NativeAddon | undefined;

/**
 * Registers the native backend on top of the running wasm backend (idempotent). Throws with the
 * reason when the addon is unavailable.
 */
export function registerNativeBackend(): NativeAddon {
  if (registered) return registered;
  const { addon, error } = loadNativeAddon();
  if (!addon) throw new Error(`oneDNN engine ${error}`);
  const wasm = tf.findBackend('wasm');
  if (!wasm) throw new Error('the native backend needs the wasm backend started first');
  const overrides = nativeKernels(addon, NATIVE_BACKEND);
  for (const config of tf.getKernelsForBackend('wasm')) {
    if (overrides[config.kernelName]) continue;
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND });
  }
  for (const [kernelName, kernelFunc] of Object.entries(overrides))
    tf.registerKernel({ kernelName, backendName: NATIVE_BACKEND, kernelFunc });
  tf.registerBackend(NATIVE_BACKEND, () => wasm, -1);
  registered = addon;
  // The main thread may use every core; worker threads (data-parallel replicas, inference and trial
  // workers) run side by side, so each starts with one engine thread (a train-replica job takes its share, replica-job.ts).
  setNativeThreads(isMainThread ? engineCores() : 1);
  return addon;
}

/** The cores the engine may use: OMP_NUM_THREADS when the user (or Slurm, or a container) set it, else every core. */
export function engineCores(): number {
  const chosen = Number(process.env.OMP_NUM_THREADS);
  return Number.isInteger(chosen) && chosen >= 1 ? chosen : availableParallelism();
}

/** oneDNN threads for calls from this JS thread (worker threads each set their own). */
export function setNativeThreads(n: number): void {
  registered?.setThreads(Math.max(1, Math.floor(n)));
}

/**
 * Engine threads for each of `replicas` JS threads computing side by side (data-parallel
 * replicas), so that together they use the cores without oversubscribing them; sets this
 * thread's share and returns it for the others.
 */
export function shareCoresAmong(replicas: number): number {
  const threads = Math.max(1, Math.floor(engineCores() / Math.max(1, replicas)));
  setNativeThreads(threads);
  return threads;
}

export function nativeEngine(): NativeEngine | undefined {
  if (!registered) return undefined;
  const facts: NativeEngineFacts = registered.info();
  return {
    name: 'oneDNN',
    version: facts.version,
    isa: facts.isa,
    threads: facts.threads,
    kernels: Object.keys(nativeKernels(registered, NATIVE_BACKEND)),
  };
}
