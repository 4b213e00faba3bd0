/**
 * A distributed training as the dashboard shows it, from its rounds file (src/distributed writes
 * `{label, replicas, executor, rounds: [...]}` after every round): rounds done, replicas that
 * reported in the last round and those lost, throughput, bytes moved, and every replica job as a
 * bar of the worker timeline. Fields it does not know are left to the generic curves.
 */
import type { RoundsFile } from './curves.js';

interface WorkerJob {
  round: number;
  replica: number;
  worker: string;
  attempts: number;
  start: number;
  end: number;
}

export interface DistributedView {
  label: string;
  file: string;
  rounds: number;
  replicas?: number;
  lost: number;
  examples_per_s?: number;
  bytes_moved: number;
  overhead_share?: number;
  jobs: WorkerJob[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function distributedView(f: RoundsFile): DistributedView {
  const last = f.records[f.records.length - 1] ?? {};
  const jobs: WorkerJob[] = [];
  let bytes = 0;
  let overhead = 0;
  let seconds = 0;
  for (const r of f.records) {
    bytes += num(r.bytes_moved) ?? 0;
    overhead += num(r.overhead_s) ?? 0;
    seconds += num(r.seconds) ?? 0;
    for (const j of Array.isArray(r.jobs) ? (r.jobs as Record<string, unknown>[]) : []) {
      const start = num(j.started_ms);
      const end = num(j.ended_ms);
      if (start === undefined || end === undefined) continue;
      jobs.push({
        round: num(r.round) ?? 0,
        replica: num(j.replica) ?? 0,
        worker: String(j.worker ?? '?'),
        attempts: num(j.attempts) ?? 1,
        start,
        end,
      });
    }
  }
  return {
    label: f.label,
    file: f.file,
    rounds: f.records.length,
    replicas: num(last.replicas),
    lost: Array.isArray(last.lost) ? last.lost.length : 0,
    examples_per_s: num(last.examples_per_s),
    bytes_moved: bytes,
    overhead_share: seconds > 0 ? overhead / seconds : undefined,
    jobs,
  };
}
