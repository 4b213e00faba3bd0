/**
 * Data-parallel gradients. tfjs-wasm runs one thread per instance in Node, so to use more cores
 * each extra worker thread holds its own tfjs + backend and a model replica. Every step the batch
 * is cut into contiguous shards, one per replica (replica 0 runs in this thread); each computes
 * the gradient of its share of the batch-mean loss and the shards are summed in a fixed order.
 * The trainer then applies one Adam update to the one parameter vector all replicas read, so the
 * result equals single-replica training up to float rounding. Traces, parameters and gradients
 * sit in SharedArrayBuffers: messages carry only batch indices.
 */
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../../runtime/backend.js';
import { restoreAllCores, shareCoresAmong } from '../../runtime/native/backend.js';
import type { Architecture } from './architecture.js';
import { Replica, readParams, type TraceArrays } from './replica.js';

export interface WorkerInit {
  arch: Architecture;
  seed: number;
  backend: Exclude<BackendChoice, 'auto'>;
  length: number;
  noisy: SharedArrayBuffer;
  signal: SharedArrayBuffer;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  /** Native engine threads for this replica (the cores shared among the replicas). */
  engineThreads: number;
}

export type WorkerRequest =
  | { type: 'grad'; id: number; version: number; indices: Int32Array; denominator: number }
  | { type: 'validate'; id: number; version: number; indices: Int32Array; batchSize: number; tolerance: number };

export type WorkerReply = { type: 'ready' } | { type: 'result'; id: number; value: number; hits?: number } | { type: 'error'; id?: number; message: string; stack?: string };

export function sharedCopy(data: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(data.byteLength));
  out.set(data);
  return out;
}

interface RemoteReplica {
  worker: Worker;
  grads: Float32Array;
  pending: Map<number, { resolve: (v: { value: number; hits?: number }) => void; reject: (e: Error) => void }>;
  failure?: Error;
}

/** Runs the in-thread share; if it throws, lets the workers' requests settle first (no stray rejections). */
async function settledOnError(pending: Promise<unknown>[], work: () => void): Promise<void> {
  try {
    work();
  } catch (err) {
    await Promise.allSettled(pending);
    throw err;
  }
}

export class ReplicaPool {
  /** The parameter vector every replica reads; the trainer updates it in place, then bumps `version`. */
  readonly params: Float32Array;
  private version = 0;
  private nextId = 1;
  private readonly localGrads: Float32Array;

  private constructor(
    readonly local: Replica,
    private readonly remotes: RemoteReplica[],
    params: Float32Array,
  ) {
    this.params = params;
    this.localGrads = new Float32Array(params.length);
  }

  get size(): number {
    return 1 + this.remotes.length;
  }

  /**
   * Starts `workers - 1` worker threads besides the in-process replica. `data` should already be on
   * SharedArrayBuffers (sharedCopy) when workers > 1. `initial` gives the starting parameters.
   */
  static async create(options: { arch: Architecture; seed: number; backend: Exclude<BackendChoice, 'auto'>; workers: number; data: TraceArrays; initial?: Float32Array }): Promise<ReplicaPool> {
    const { arch, seed, data } = options;
    const local = new Replica(arch, seed, data);
    const total = local.layout.total;
    const params = new Float32Array(new SharedArrayBuffer(total * 4));
    if (options.initial) {
      if (options.initial.length !== total) throw new Error(`ReplicaPool: initial parameters have ${options.initial.length} values, the model ${total}`);
      params.set(options.initial);
    } else {
      params.set(readParams(local.model));
    }
    const remotes: RemoteReplica[] = [];
    const pool = new ReplicaPool(local, remotes, params);
    const engineThreads = shareCoresAmong(options.workers);
    try {
      for (let w = 1; w < options.workers; w++) {
        if (!(data.noisy.buffer instanceof SharedArrayBuffer) || !(data.signal.buffer instanceof SharedArrayBuffer)) throw new Error('ReplicaPool: with workers > 1 the traces must be on SharedArrayBuffers (sharedCopy)');
        const grads = new Float32Array(new SharedArrayBuffer(total * 4));
        const init: WorkerInit = { arch, seed, backend: options.backend, length: data.length, noisy: data.noisy.buffer, signal: data.signal.buffer, params: params.buffer as SharedArrayBuffer, grads: grads.buffer as SharedArrayBuffer, engineThreads };
        const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
        const remote: RemoteReplica = { worker, grads, pending: new Map() };
        remotes.push(remote);
        await pool.attach(remote);
      }
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private attach(remote: RemoteReplica): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        remote.failure = err;
        for (const p of remote.pending.values()) p.reject(err);
        remote.pending.clear();
        reject(err);
      };
      remote.worker.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'result') {
          const p = remote.pending.get(msg.id);
          remote.pending.delete(msg.id);
          p?.resolve({ value: msg.value, hits: msg.hits });
        } else {
          const err = new Error(`denoiser worker: ${msg.message}`);
          if (msg.stack) err.stack = msg.stack;
          if (msg.id !== undefined && remote.pending.has(msg.id)) {
            remote.pending.get(msg.id)!.reject(err);
            remote.pending.delete(msg.id);
          } else fail(err);
        }
      });
      remote.worker.on('error', fail);
      remote.worker.on('exit', (code) => {
        if (remote.pending.size > 0 || code !== 0) fail(new Error(`denoiser worker exited with code ${code}`));
      });
    });
  }

  private request(remote: RemoteReplica, msg: WorkerRequest): Promise<{ value: number; hits?: number }> {
    if (remote.failure) return Promise.reject(remote.failure);
    return new Promise((resolve, reject) => {
      remote.pending.set(msg.id, { resolve, reject });
      remote.worker.postMessage(msg);
    });
  }

  /** Call after changing `params` in place. */
  paramsChanged(): void {
    this.version++;
  }

  private shards(indices: Int32Array): Int32Array[] {
    const n = indices.length;
    const k = this.size;
    return Array.from({ length: k }, (_, w) => indices.subarray(Math.floor((w * n) / k), Math.floor(((w + 1) * n) / k)));
  }

  /**
   * Gradient of the batch's mean squared error (over traces and samples) into `gradsOut`;
   * returns the batch's sum of squared errors.
   */
  async gradients(indices: Int32Array, gradsOut: Float32Array): Promise<number> {
    const denominator = Math.max(1, indices.length) * this.localLength();
    const shards = this.shards(indices);
    const remoteResults = this.remotes.map((r, w) =>
      shards[w + 1].length > 0 ? this.request(r, { type: 'grad', id: this.nextId++, version: this.version, indices: shards[w + 1].slice(), denominator }).then((r) => r.value) : Promise.resolve(NaN),
    );
    let sse = 0;
    await settledOnError(remoteResults, () => {
      this.local.load(this.params, this.version);
      if (shards[0].length > 0) sse += this.local.gradients(shards[0], denominator, this.localGrads);
      else this.localGrads.fill(0);
    });
    const values = await Promise.all(remoteResults);
    gradsOut.set(this.localGrads);
    for (let w = 0; w < this.remotes.length; w++) {
      if (Number.isNaN(values[w])) continue;
      sse += values[w];
      const g = this.remotes[w].grads;
      for (let i = 0; i < gradsOut.length; i++) gradsOut[i] += g[i];
    }
    return sse;
  }

  /** Validation sum of squared errors and peak hits within `tolerance` samples, split across replicas. */
  async validate(indices: Int32Array, batchSize: number, tolerance: number): Promise<{ sse: number; hits: number }> {
    const shards = this.shards(indices);
    const remoteResults = this.remotes.map((r, w) =>
      shards[w + 1].length > 0 ? this.request(r, { type: 'validate', id: this.nextId++, version: this.version, indices: shards[w + 1].slice(), batchSize, tolerance }) : Promise.resolve({ value: 0, hits: 0 }),
    );
    let total = { sse: 0, hits: 0 };
    await settledOnError(remoteResults, () => {
      this.local.load(this.params, this.version);
      if (shards[0].length > 0) total = this.local.validate(shards[0], batchSize, tolerance);
    });
    for (const r of await Promise.all(remoteResults)) {
      total.sse += r.value;
      total.hits += r.hits ?? 0;
    }
    return total;
  }

  private localLength(): number {
    return this.local.model.inputs[0].shape[1] as number;
  }

  async close(): Promise<void> {
    await Promise.all(this.remotes.map((r) => r.worker.terminate()));
    this.local.model.dispose();
    restoreAllCores();
  }
}
