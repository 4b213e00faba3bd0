import { availableParallelism } from 'node:os';
import { UserError } from '../runtime/errors.js';
import { redactSecrets } from '../runtime/redact.js';
import type { Executor, JobTable } from './job.js';
import { LocalExecutor } from './local.js';
import { isRedisUrl } from './redis-url.js';

export interface ExecutorRequest {
  /** The job kinds a local executor runs (remote engines leave that to their workers). */
  jobs?: JobTable;
  /** `local` (default) or an engine URL. */
  spec?: string;
  /** Local slots; default one per core. */
  slots?: number;
  isolation?: 'thread' | 'inline';
  memoryMb?: number;
  /** Where the spec came from, for error messages (`--executor`, `file.yaml:12: execution.executor`). */
  origin?: string;
  /** Remote engines: the queue name (default `sciml`). */
  queue?: string;
  /** Remote engines: a stable id for this run's jobs, so a resumed driver reattaches to them. */
  runId?: string;
  /** Remote engines: called with a warning line (e.g. no worker connected). */
  warn?: (message: string) => void;
}

/** The one place a command turns `--executor` into an Executor. */
export async function createExecutor(req: ExecutorRequest = {}): Promise<Executor> {
  const spec = req.spec ?? 'local';
  if (spec === 'local') {
    if (!req.jobs) throw new Error('createExecutor: a local executor needs the job table (ExecutorRequest.jobs)');
    return new LocalExecutor({
      jobs: req.jobs,
      slots: req.slots ?? Math.max(1, availableParallelism()),
      isolation: req.isolation,
      memoryMb: req.memoryMb,
    });
  }
  if (isRedisUrl(spec)) {
    // Loaded only when asked for: local runs never import BullMQ.
    const { RedisExecutor } = await import('./redis.js');
    return RedisExecutor.connect(spec, {
      origin: req.origin,
      queue: req.queue,
      runId: req.runId,
      onNoWorkers: req.warn,
    });
  }
  throw new UserError(
    `${req.origin ?? '--executor'}: expected 'local', redis://host:port or rediss://host:port, got '${redactSecrets(spec)}'`,
  );
}
