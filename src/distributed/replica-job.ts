/**
 * The `train-replica` job: one replica's share of one round. Inputs: `shard` (the replica's
 * examples, the same blob every round, so a remote worker fetches it once by content hash) and
 * `state` (the round's starting weights and Adam moments). Artifact: `state` after the round.
 * The result depends on payload and inputs only: a redelivered job gives the same bytes.
 * The handler is given how to find a family's replica hook by name (the registry's families).
 */
import type { JobHandler } from '../execution/job.js';
import { initBackend, type BackendChoice } from '../runtime/backend.js';
import { shareCoresAmong } from '../runtime/native/backend.js';
import { ADAM_DEFAULTS, adamStep, type AdamSettings } from '../models/denoiser/adam.js';
import type { ReplicaFamily, ReplicaTrainer, StepPlan } from './family.js';
import { localSteps, replicaOrder, type ReplicaState } from './local-sgd.js';
import { packReplicaState, unpackReplicaState } from './state-blob.js';

export interface ReplicaPayload {
  family: string;
  /** The family's model spec (architecture, seed, loss settings). */
  spec: unknown;
  /** Content hash of the shard: with the spec, the key of this thread's cached trainer. */
  shardKey: string;
  backend?: BackendChoice;
  seed: number;
  replica: number;
  replicas: number;
  round: number;
  epoch: number;
  /** Steps [fromStep, toStep) of the replica's epoch order. */
  fromStep: number;
  toStep: number;
  batchSize: number;
  learningRate: number;
}

export interface ReplicaResult {
  lossSum: number;
  examples: number;
  steps: number;
  /** Starting this replica's backend and building its trainer (the first job a worker thread runs; 0 after). */
  setupMs: number;
  /** The round's steps. */
  computeMs: number;
}

/** Trainers of this thread by (family, spec, shard): a worker thread runs the same replica round after round. */
const cached: { key: string; trainer: ReplicaTrainer }[] = [];
const CACHE_SIZE = 2;

export type ReplicaFamilyLoader = (name: string) => Promise<ReplicaFamily>;

async function trainerFor(
  payload: ReplicaPayload,
  shard: Uint8Array,
  loadFamily: ReplicaFamilyLoader,
): Promise<ReplicaTrainer> {
  const key = `${payload.family}\n${JSON.stringify(payload.spec)}\n${payload.shardKey}`;
  const hit = cached.find((c) => c.key === key);
  if (hit) return hit.trainer;
  const family = await loadFamily(payload.family);
  const trainer = await family.open(payload.spec, shard);
  cached.unshift({ key, trainer });
  for (const old of cached.splice(CACHE_SIZE)) old.trainer.dispose?.();
  return trainer;
}

/** The round's steps: a streaming trainer reads its own data; otherwise its shard in the replica's order. */
async function replicaSteps(
  trainer: ReplicaTrainer,
  state: ReplicaState,
  adam: AdamSettings,
  plan: StepPlan,
  signal: AbortSignal,
): Promise<{ lossSum: number; examples: number }> {
  if (trainer.train)
    return trainer.train(state.params, (grads) => adamStep(state.params, grads, state.adam, adam), plan, signal);
  const { gradients } = trainer;
  if (!gradients) throw new Error('train-replica: the replica trainer has neither gradients nor train');
  const order = replicaOrder(trainer.examples, plan.seed, plan.replica, plan.replicas, plan.epoch);
  return localSteps(
    { gradients: gradients.bind(trainer) },
    state.params,
    state.adam,
    adam,
    order,
    plan.batchSize,
    plan.fromStep,
    plan.toStep,
    signal,
  );
}

export const trainReplicaHandler =
  (loadFamily: ReplicaFamilyLoader): JobHandler<ReplicaPayload, ReplicaResult> =>
  async (payload, inputs, ctx) => {
    if (!inputs.shard || !inputs.state) throw new Error('train-replica: expected inputs shard and state');
    const setupStarted = performance.now();
    await initBackend(payload.backend ?? 'auto');
    // The replicas of a round compute side by side (local threads): each takes its share of the
    // cores as native engine threads (one replica, inline in the driver's thread, takes them all).
    shareCoresAmong(payload.replicas);
    const trainer = await trainerFor(payload, inputs.shard, loadFamily);
    const started = performance.now();
    const state = unpackReplicaState(inputs.state);
    const adam = { learningRate: payload.learningRate, ...ADAM_DEFAULTS };
    const { seed, replica, replicas, epoch, fromStep, toStep, batchSize } = payload;
    const { lossSum, examples } = await replicaSteps(
      trainer,
      state,
      adam,
      { seed, replica, replicas, epoch, fromStep, toStep, batchSize },
      ctx.signal,
    );
    const computeMs = performance.now() - started;
    return {
      result: {
        lossSum,
        examples,
        steps: payload.toStep - payload.fromStep,
        setupMs: started - setupStarted,
        computeMs,
      },
      artifacts: { state: packReplicaState(state) },
    };
  };
