import * as tf from '@tensorflow/tfjs';
import { UserError } from './errors.js';

export const BACKEND_CHOICES = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  /** The tfjs backend in use: tensorflow (node / node-gpu), wasm or cpu. */
  name: string;
  /** Which package provides it: node-gpu, node, wasm, cpu. */
  provider: Exclude<BackendChoice, 'auto'>;
  requested: BackendChoice;
  tfjsVersion: string;
  /** Kernels sciml registered or replaced on this backend. */
  patches: string[];
  /** Known defects of this backend that sciml guards against. */
  knownDefects: string[];
  threads: number;
  /** Backends tried before this one and why they were skipped. */
  skipped: { provider: string; reason: string }[];
}

let current: BackendInfo | undefined;

export function currentBackend(): BackendInfo | undefined {
  return current;
}

export { tf };

/** Loads the fastest available backend (node-gpu, node, wasm, cpu) or the one requested. */
export async function initBackend(requested: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current && (requested === 'auto' || requested === current.provider)) return current;
  if (!BACKEND_CHOICES.includes(requested)) throw new UserError(`--backend: expected one of ${BACKEND_CHOICES.join(', ')}, got ${requested}`);
  const order: Exclude<BackendChoice, 'auto'>[] = requested === 'auto' ? ['node-gpu', 'node', 'wasm', 'cpu'] : [requested];
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
  throw new UserError(`--backend ${requested}: not available here (${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')})`);
}

async function tryProvider(provider: Exclude<BackendChoice, 'auto'>): Promise<Omit<BackendInfo, 'requested' | 'skipped'>> {
  const base = { tfjsVersion: tf.version.tfjs, patches: [] as string[], knownDefects: [] as string[], threads: 1 };
  switch (provider) {
    case 'node-gpu':
    case 'node': {
      const pkg = provider === 'node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      await import(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its backend failed to start`);
      await tf.ready();
      return { ...base, name: 'tensorflow', provider };
    }
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to start');
      await tf.ready();
      return { ...base, name: 'wasm', provider };
    }
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to start');
      await tf.ready();
      return { ...base, name: 'cpu', provider, knownDefects: ['ResizeNearestNeighborGrad wrong for batch > 1'] };
    }
  }
}
