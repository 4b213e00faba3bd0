/** What the driver records of each round: rounds.json, the checkpoint's history, reports and summaries read it. */
interface JobRecord {
  replica: number;
  worker: string;
  attempts: number;
  started_ms: number;
  ended_ms: number;
  /** Starting the replica's backend and building its trainer (a worker's first job of a run; absent in older files). */
  setup_s?: number;
  compute_s: number;
  /** Examples this replica trained on in the round. */
  examples: number;
}

export interface RoundRecord {
  /** 1-based. */
  round: number;
  /** Epochs completed after this round (fractional with several rounds per epoch). */
  epoch: number;
  train_loss: number;
  val_loss: number;
  metrics: Record<string, number>;
  learning_rate: number;
  seconds: number;
  /** Training examples over all replicas this round. */
  examples: number;
  examples_per_s: number;
  /** Replicas that reported (the rest failed for good; see `lost`). */
  replicas: number;
  lost: number[];
  /** Bytes shipped between driver and replicas this round (states both ways, shards the first time). */
  bytes_moved: number;
  /** The slowest replica's compute time (its steps). */
  compute_s: number;
  /** The slowest replica's setup: starting its backend and building its trainer, once per worker thread and run (absent in older files). */
  setup_s?: number;
  validation_s: number;
  /** Round time neither replica setup, compute nor validation: queueing, shipping, combining, checkpointing. */
  overhead_s: number;
  jobs: JobRecord[];
}
