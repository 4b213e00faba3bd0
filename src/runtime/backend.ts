import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { UserError } from './errors.js';
import { applyKernelPatches, KNOWN_DEFECTS } from './kernels/patches.js';
import { nativeEngine, registerNativeBackend, NATIVE_BACKEND, type NativeEngine } from './native/backend.js';

import { BACKEND_CHOICES, type BackendChoice } from './backend-choices.js';

export { BACKEND_CHOICES, type BackendChoice };

export interface BackendInfo {
  /** The tfjs backend in use: tensorflow (node / node-gpu), native, wasm or cpu. */
  name: string;
  /** Which package provides it: node-gpu, node, native (oneDNN over wasm), wasm, cpu. */
  provider: Exclude<BackendChoice, 'auto'>;
  requested: BackendChoice;
  tfjsVersion: string;
  /** Kernels sciml registered or replaced on this backend. */
  patches: string[];
  /** Known defects of this backend that sciml guards against. */
  knownDefects: string[];
  threads: number;
  /** wasm and native: whether the SIMD wasm binary was loaded. */
  simd?: boolean;
  /** native only: the oneDNN engine beneath it (version, ISA dispatched, threads). */
  engine?: NativeEngine;
  /** Backends tried before this one and why they were skipped. */
  skipped: { provider: string; reason: string }[];
}

let current: BackendInfo | undefined;

export function currentBackend(): BackendInfo | undefined {
  return current;
}

export { tf };

/**
 * Loads the fastest available backend (node-gpu, node, native, wasm, cpu) or the one requested, and
 * registers sciml's kernel patches for it (see kernels/patches.ts).
 */
export async function initBackend(requested: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current && (requested === 'auto' || requested === current.provider)) return current;
  if (!BACKEND_CHOICES.includes(requested))
    throw new UserError(`--backend: expected one of ${BACKEND_CHOICES.join(', ')}, got ${requested}`);
  const order: Exclude<BackendChoice, 'auto'>[] =
    requested === 'auto' ? ['node-gpu', 'node', 'native', 'wasm', 'cpu'] : [requested];
  const skipped: { provider: string; reason: string }[] = [];
  for (const provider of order) {
    try {
      const info = await tryProvider(provider);
      current = { ...info, requested, skipped };
      return current;
    } catch (err: any) {
      skipped.push({ provider, reason: String(err?.message ?? err).split('\n')[0] });
    }
  }
  throw new UserError(
    `--backend ${requested}: not available here (${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')})`,
  );
}

type ProviderInfo = Omit<BackendInfo, 'requested' | 'skipped'>;

async function tryProvider(provider: Exclude<BackendChoice, 'auto'>): Promise<ProviderInfo> {
  switch (provider) {
    case 'node-gpu':
    case 'node':
      return startTensorflow(provider);
    case 'native':
      return startNative();
    case 'wasm':
      return startWasm();
    case 'cpu': {
      await activate('cpu');
      // tfjs's cpu backend prints an install-tfjs-node banner to stderr on its first write;
      // sciml reports the backend itself (sciml info), so mark the banner as shown.
      const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
      if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
      return withPatches('cpu', provider, { threads: 1 });
    }
  }
}

async function activate(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to start`);
  await tf.ready();
}

function withPatches(
  name: string,
  provider: ProviderInfo['provider'],
  extra: Partial<ProviderInfo> & { threads: number },
): ProviderInfo {
  // Patches are registered after the backend started, so tfjs has already run the stock
  // kernels' setup functions (needed if a stock kernel is switched back on).
  const patches = applyKernelPatches(name);
  return {
    name,
    provider,
    tfjsVersion: tf.version.tfjs,
    patches,
    knownDefects: [...(KNOWN_DEFECTS[name] ?? [])],
    ...extra,
  };
}

/** tfjs-node(-gpu) must register its 'tensorflow' backend in the tfjs-core instance we use. */
async function startTensorflow(provider: 'node' | 'node-gpu'): Promise<ProviderInfo> {
  const pkg = provider === 'node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
  const mod: any = await import(pkg);
  const nodeVersion: string | undefined = mod?.version?.['tfjs-node'] ?? mod?.default?.version?.['tfjs-node'];
  if (nodeVersion && nodeVersion !== tf.version.tfjs) {
    throw new Error(`${pkg} ${nodeVersion} does not match @tensorflow/tfjs ${tf.version.tfjs}`);
  }
  if (!tf.findBackendFactory('tensorflow'))
    throw new Error(`${pkg} loaded but registered no 'tensorflow' backend with @tensorflow/tfjs ${tf.version.tfjs}`);
  await activate('tensorflow');
  return withPatches('tensorflow', provider, { threads: availableParallelism() });
}

let wasmPathsSet = false;

async function startWasm(): Promise<ProviderInfo> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) {
    // The .wasm binaries ship next to the package's Node entry point (dist/); name that folder
    // explicitly so loading does not depend on the cwd or on how sciml was installed.
    const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${dirname(entry)}/`);
    wasmPathsSet = true;
  }
  await activate('wasm');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  // tfjs disables wasm threads under Node (tfjs issue 3830), so this is 1 here.
  return withPatches('wasm', 'wasm', { threads: wasm.getThreadsCount(), simd });
}

/** The wasm backend with oneDNN kernels for convolutions and pooling (runtime/native/). */
async function startNative(): Promise<ProviderInfo> {
  const wasm = await startWasm();
  registerNativeBackend();
  await activate(NATIVE_BACKEND);
  const engine = nativeEngine()!;
  const inherited = wasm.patches.filter(
    (label) => !engine.kernels.some((k) => label === `wasm:${k}` || label.startsWith(`wasm:${k} `)),
  );
  const patches = [...engine.kernels.map((k) => `native:${k} (oneDNN)`), ...inherited];
  return { ...wasm, name: NATIVE_BACKEND, provider: 'native', patches, threads: engine.threads, engine };
}
