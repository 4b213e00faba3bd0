/**
 * What a model family supplies to train distributed (the per-family hook). Worker side: a
 * `ReplicaTrainer` built from a model spec (JSON) and the replica's shard (a blob), which computes
 * a minibatch's loss and gradient for a flat parameter vector. Driver side (driver.ts): the initial
 * parameters, one shard per replica, and a validation function. Everything else (orders, Adam,
 * averaging, checkpoints, jobs) is the shared mechanism's. A family offers its hook as the
 * `distributed` member of its manifest (contracts/family.ts); the registry resolves it by name for
 * the `train-replica` job, and the family hands its own to `trainDistributed` for inline replicas.
 */
export interface ReplicaTrainer {
  /** Examples in this replica's shard. */
  readonly examples: number;
  /** In-memory shards: mean loss over the batch (shard-local example indices); its gradient goes into `gradsOut`. */
  gradients?(params: Float32Array, batch: Int32Array, gradsOut: Float32Array): number;
  /**
   * Streaming shards: the trainer reads its own data and takes steps [fromStep, toStep) of the
   * replica's epoch itself (its order a function of seed, replica and epoch), stepping with `step`.
   */
  train?(
    params: Float32Array,
    step: (grads: Float32Array) => void,
    plan: StepPlan,
    signal?: AbortSignal,
  ): Promise<{ lossSum: number; examples: number }>;
  dispose?(): void;
}

/** One round's share of a replica's epoch. */
export interface StepPlan {
  seed: number;
  replica: number;
  replicas: number;
  epoch: number;
  fromStep: number;
  toStep: number;
  batchSize: number;
}

export interface ReplicaFamily {
  /** Builds the trainer of a model spec (JSON, as the driver's family sent it) on a shard blob. */
  open(spec: unknown, shard: Uint8Array): ReplicaTrainer | Promise<ReplicaTrainer>;
}
