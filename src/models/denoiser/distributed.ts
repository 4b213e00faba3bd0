/**
 * The denoiser's hook into distributed training (src/distributed/): a replica trains on a shard
 * of traces (noisy and clean, flat [n, L]) shipped as one blob; its spec is the architecture and
 * the seed the model is built with.
 */
import { float32Of, packRecord, unpackRecord } from '../../execution/codec.js';
import type { ReplicaFamily, ReplicaTrainer } from '../../distributed/family.js';
import type { Architecture } from './architecture.js';
import { Replica, type TraceArrays } from './replica.js';

export interface DenoiserReplicaSpec {
  arch: Architecture;
  seed: number;
}

const SHARD_FORMAT = 'sciml-denoiser-shard/1';

/** The traces of `rows` as a shard blob. */
export function packTraceShard(traces: TraceArrays, rows: Int32Array): Uint8Array {
  const L = traces.length;
  const noisy = new Float32Array(rows.length * L);
  const signal = new Float32Array(rows.length * L);
  rows.forEach((i, j) => {
    noisy.set(traces.noisy.subarray(i * L, (i + 1) * L), j * L);
    signal.set(traces.signal.subarray(i * L, (i + 1) * L), j * L);
  });
  return packRecord({ format: SHARD_FORMAT, count: rows.length, length: L }, { noisy, signal });
}

function unpackTraceShard(blob: Uint8Array): TraceArrays & { count: number } {
  const { meta, sections } = unpackRecord(blob);
  const m = meta as { format?: string; count: number; length: number };
  if (m.format !== SHARD_FORMAT) throw new Error(`not a denoiser shard (format ${String(m.format)})`);
  return { count: m.count, length: m.length, noisy: float32Of(sections.noisy), signal: float32Of(sections.signal) };
}

/** Versions are unique in the thread, so a replica reloads the weights before every step. */
let nextVersion = 1;

export const denoiserReplicas: ReplicaFamily = {
  open(spec: unknown, shard: Uint8Array): ReplicaTrainer {
    const { arch, seed } = spec as DenoiserReplicaSpec;
    const data = unpackTraceShard(shard);
    const replica = new Replica(arch, seed, data);
    return {
      examples: data.count,
      gradients(params, batch, gradsOut) {
        replica.load(params, nextVersion++);
        const denominator = batch.length * data.length;
        return replica.gradients(batch, denominator, gradsOut) / denominator;
      },
      dispose: () => replica.model.dispose(),
    };
  },
};
