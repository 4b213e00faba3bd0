/**
 * Local SGD, the arithmetic both sides share. A replica takes Adam steps on its own shard, in an
 * order that is a function of (seed, replica, epoch) only; the driver combines the replicas'
 * states in replica order (float64 sums), then applies the outer optimizer. So the result depends
 * on the replica count and seed, never on which worker ran which replica or when.
 */
import { Random } from '../runtime/random.js';
import { adamStep, type AdamSettings, type AdamState } from '../models/denoiser/adam.js';
import type { OuterOptimizer } from './config.js';
import type { ReplicaTrainer } from './family.js';

/**
 * The order of a replica's shard in an epoch. One replica uses the seed's plain per-epoch stream,
 * so single-process training is this mechanism with one replica.
 */
export function replicaOrder(
  examples: number,
  seed: number,
  replica: number,
  replicas: number,
  epoch: number,
): Int32Array {
  const stream = replicas === 1 ? `epoch-${epoch}` : `epoch-${epoch}-replica-${replica}-of-${replicas}`;
  return new Random(seed).fork(stream).permutation(examples);
}

/** Which shard examples go to which replica: position j of `rows` to replica j mod replicas. */
export function shardRows(rows: Int32Array, replica: number, replicas: number): Int32Array {
  const out = new Int32Array(Math.ceil((rows.length - replica) / replicas));
  for (let j = replica, k = 0; j < rows.length; j += replicas, k++) out[k] = rows[j];
  return out;
}

/** Steps of a replica's epoch, and the step range of chunk `chunk` of `chunks` (one round's share). */
export function stepRange(
  examples: number,
  batchSize: number,
  chunk: number,
  chunks: number,
): { from: number; to: number; perEpoch: number } {
  const perEpoch = Math.ceil(examples / batchSize);
  return { from: Math.floor((chunk * perEpoch) / chunks), to: Math.floor(((chunk + 1) * perEpoch) / chunks), perEpoch };
}

/** Steps `from..to` of the epoch's order with Adam, in place; returns the summed per-example loss and the examples seen. */
export function localSteps(
  trainer: Required<Pick<ReplicaTrainer, 'gradients'>>,
  params: Float32Array,
  adam: AdamState,
  settings: AdamSettings,
  order: Int32Array,
  batchSize: number,
  from: number,
  to: number,
  signal?: AbortSignal,
): { lossSum: number; examples: number } {
  const grads = new Float32Array(params.length);
  let lossSum = 0;
  let examples = 0;
  for (let step = from; step < to; step++) {
    if (signal?.aborted) throw new Error('aborted');
    const batch = order.subarray(step * batchSize, Math.min(order.length, (step + 1) * batchSize));
    if (batch.length === 0) continue;
    lossSum += trainer.gradients(params, batch, grads) * batch.length;
    examples += batch.length;
    adamStep(params, grads, adam, settings);
  }
  return { lossSum, examples };
}

/** One replica's state after its round. */
export interface ReplicaState {
  params: Float32Array;
  adam: AdamState;
}

export interface OuterState {
  kind: OuterOptimizer;
  learningRate: number;
  momentum: number;
  /** Nesterov's momentum buffer (float64; empty for average). */
  velocity: Float64Array;
}

/**
 * Combines the replicas' states (in replica order) into the next global state: Adam's moments
 * and the weights are averaged; with `nesterov` the averaged update is the outer gradient of a
 * Nesterov step (DiLoCo). `params` (the round's starting weights) and `adam` are updated in place.
 */
export function combine(params: Float32Array, adam: AdamState, outer: OuterState, replicas: ReplicaState[]): void {
  const n = params.length;
  const k = replicas.length;
  const mean = new Float64Array(n);
  for (const r of replicas) for (let i = 0; i < n; i++) mean[i] += r.params[i];
  for (let i = 0; i < n; i++) mean[i] /= k;
  for (const [key, target] of [
    ['m', adam.m],
    ['v', adam.v],
  ] as const) {
    target.fill(0);
    for (const r of replicas) {
      const source = r.adam[key];
      for (let i = 0; i < n; i++) target[i] += source[i];
    }
    for (let i = 0; i < n; i++) target[i] /= k;
  }
  adam.step = Math.max(...replicas.map((r) => r.adam.step));
  if (outer.kind === 'average') {
    for (let i = 0; i < n; i++) params[i] = mean[i];
    return;
  }
  const { learningRate: lr, momentum: mu, velocity: u } = outer;
  for (let i = 0; i < n; i++) {
    const g = params[i] - mean[i];
    u[i] = mu * u[i] + g;
    params[i] = params[i] - lr * (g + mu * u[i]);
  }
}
