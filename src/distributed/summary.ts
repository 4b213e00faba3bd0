/** What run.json records about a distributed training: per-round figures in brief, who ran what. */
import type { RoundRecord } from './rounds.js';

export interface DistributedSummary {
  replicas: number;
  executor: string;
  rounds: number;
  /** Mean over rounds. */
  round_s: number;
  overhead_pct: number;
  bytes_per_round: number;
  examples_per_s: number;
  /** Rounds that closed with fewer replicas than asked for (min_replicas). */
  degraded_rounds: number;
  /** Replica jobs each worker ran. */
  workers: Record<string, number>;
  /** Per round: replicas alive, loss, validation, examples/s, bytes, and which worker ran which replica. */
  per_round: {
    round: number;
    replicas: number;
    train_loss: number;
    val_loss: number;
    examples_per_s: number;
    bytes_moved: number;
    overhead_s: number;
    ran: Record<string, string>;
  }[];
}

export function distributedSummary(rounds: RoundRecord[], replicas: number, executor: string): DistributedSummary {
  const n = Math.max(1, rounds.length);
  const sum = (f: (r: RoundRecord) => number) => rounds.reduce((a, r) => a + f(r), 0);
  const workers: Record<string, number> = {};
  for (const r of rounds) for (const j of r.jobs) workers[j.worker] = (workers[j.worker] ?? 0) + 1;
  const seconds = sum((r) => r.seconds);
  return {
    replicas,
    executor,
    rounds: rounds.length,
    round_s: seconds / n,
    overhead_pct: seconds > 0 ? (100 * sum((r) => r.overhead_s)) / seconds : 0,
    bytes_per_round: sum((r) => r.bytes_moved) / n,
    examples_per_s: seconds > 0 ? sum((r) => r.examples_per_s * r.seconds) / seconds : 0,
    degraded_rounds: rounds.filter((r) => r.replicas < replicas).length,
    workers,
    per_round: rounds.map((r) => ({
      round: r.round,
      replicas: r.replicas,
      train_loss: r.train_loss,
      val_loss: r.val_loss,
      examples_per_s: r.examples_per_s,
      bytes_moved: r.bytes_moved,
      overhead_s: r.overhead_s,
      ran: Object.fromEntries(r.jobs.map((j) => [String(j.replica), j.worker])),
    })),
  };
}
