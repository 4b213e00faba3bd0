import { availableParallelism } from 'node:os';
import { UserError } from '../runtime/errors.js';
import type { Executor } from './job.js';
import { LocalExecutor } from './local.js';

export interface ExecutorRequest {
  /** `local` (default) or an engine URL. */
  spec?: string;
  /** Local slots; default one per core. */
  slots?: number;
  isolation?: 'thread' | 'inline';
  memoryMb?: number;
  /** Where the spec came from, for error messages (`--executor`, `file.yaml:12: execution.executor`). */
  origin?: string;
}

/** The one place a command turns `--executor` into an Executor. */
export async function createExecutor(req: ExecutorRequest = {}): Promise<Executor> {
  const spec = req.spec ?? 'local';
  if (spec === 'local') return new LocalExecutor({ slots: req.slots ?? Math.max(1, availableParallelism()), isolation: req.isolation, memoryMb: req.memoryMb });
  throw new UserError(`${req.origin ?? '--executor'}: expected 'local', got '${spec}'`);
}
