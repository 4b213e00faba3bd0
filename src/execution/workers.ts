/** What `sciml workers` reports: the live workers of a queue and the queue's counts. */
import { Queue } from 'bullmq';
import { BULL_PREFIX, connectTo, readTally, readWorkers, type QueueTally, type WorkerInfo } from './redis-wire.js';
import { textTable } from '../runtime/text-table.js';

export interface WorkersListing {
  redis: string;
  queue: string;
  /** BullMQ's job counts now (a driver removes its finished jobs when it ends). */
  counts: Record<string, number>;
  /** Jobs finished by any worker of the queue, gone ones included: the same count as the rows'. */
  finished: QueueTally;
  workers: WorkerInfo[];
}

export async function listWorkers(
  url: string,
  options: { queue?: string; origin?: string } = {},
): Promise<WorkersListing> {
  const origin = options.origin ?? 'sciml workers';
  const { target, client, queueName } = await connectTo(url, origin, options.queue);
  const queue = new Queue(queueName, { connection: client, prefix: BULL_PREFIX });
  try {
    const workers = await readWorkers(client, queueName);
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    const finished = await readTally(client, queueName);
    return { redis: target.redacted, queue: queueName, counts, finished, workers };
  } finally {
    await queue.close().catch(() => {});
    client.disconnect();
  }
}

function age(sinceMs: number, now: number): string {
  const s = Math.max(0, Math.round((now - sinceMs) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function workersText(listing: WorkersListing, now = Date.now()): string {
  const c = listing.counts;
  const f = listing.finished;
  const since = f.sinceMs === undefined ? '' : ` since the first worker came (${age(f.sinceMs, now)} ago)`;
  const lines = [
    `${listing.redis} queue '${listing.queue}': ${(c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0)} queued, ${c.active ?? 0} running; finished${since}: ${f.ok} ok, ${f.not} not (all workers, gone ones included)`,
  ];
  if (listing.workers.length === 0) {
    lines.push('no workers connected');
    return lines.join('\n') + '\n';
  }
  const rows = listing.workers.map((w) => [
    w.name,
    w.version,
    String(w.concurrency),
    `${age(w.startedMs, now)} ago`,
    `${w.done} ok, ${w.failed} not`,
    w.draining
      ? 'draining'
      : w.jobs.length === 0
        ? 'idle'
        : w.jobs
            .map((j) => `${j.kind} ${j.id} (${age(j.sinceMs, now)}${j.attempt > 1 ? `, attempt ${j.attempt}` : ''})`)
            .join('; '),
  ]);
  const header = ['worker', 'sciml', 'slots', 'since', 'jobs done', 'running'];
  return lines.join('\n') + '\n' + textTable([header, ...rows]);
}
