/** Report charts of a distributed training (rounds.json): throughput per round and a worker timeline. */
import { existsSync, readFileSync } from 'node:fs';
import { lineChart, timelineChart, type ChartItem } from '../report/index.js';
import type { RoundRecord } from './rounds.js';

export function readRounds(path: string): { replicas: number; executor: string; rounds: RoundRecord[] } | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** `prefix` keeps chart names apart when a run trained several models distributed. */
export function distributedCharts(
  file: { replicas: number; executor: string; rounds: RoundRecord[] },
  prefix = '',
): ChartItem[] {
  const { rounds } = file;
  if (rounds.length === 0) return [];
  const t0 = Math.min(...rounds.flatMap((r) => r.jobs.map((j) => j.started_ms)));
  const jobs = rounds.flatMap((r) =>
    r.jobs.map((j) => ({
      worker: j.worker,
      replica: `replica ${j.replica}`,
      round: r.round,
      start_s: (j.started_ms - t0) / 1000,
      end_s: (j.ended_ms - t0) / 1000,
    })),
  );
  return [
    {
      kind: 'chart',
      name: `${prefix}throughput`,
      caption:
        `Training examples per second of each round over all replicas (${file.replicas} replicas on ${file.executor}), ` +
        `and the share of the round spent neither setting up or computing on the slowest replica nor validating ` +
        `(queueing, shipping states, combining, checkpointing).`,
      spec: lineChart({
        title: 'Throughput per round',
        data: rounds.map((r) => ({
          round: r.round,
          'examples/s': r.examples_per_s,
          'overhead %': (100 * r.overhead_s) / r.seconds,
        })),
        x: 'round',
        y: ['examples/s'],
        xTitle: 'round',
        yTitle: 'examples / s',
        points: true,
        yZero: true,
      }),
    },
    {
      kind: 'chart',
      name: `${prefix}worker-timeline`,
      wide: true,
      caption:
        'Which worker ran which replica job when (seconds since the first job started). A job run twice after a lost worker shows on the worker that finished it.',
      spec: timelineChart({
        title: 'Worker timeline',
        data: jobs,
        start: 'start_s',
        end: 'end_s',
        lane: 'worker',
        color: 'replica',
        xTitle: 'seconds',
        laneTitle: 'worker',
        colorTitle: 'replica',
      }),
    },
  ];
}
