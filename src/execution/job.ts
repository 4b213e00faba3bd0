/**
 * The unit of work every executor runs: an AutoML trial, a tune trial, a pipeline stage.
 * A job's result depends on its payload and inputs only (seeds travel in the payload), so the
 * same job gives the same outcome on a local thread or on a remote worker.
 */
export interface Job<P = unknown> {
  /** Handler name in the executor's job table (JobTable; the application's is `jobs` in src/registry.ts). */
  kind: string;
  /** Stable identity (`run/segment/trial/rung`, a stage signature): an at-least-once engine may deliver twice, the driver keeps the first outcome. */
  id: string;
  /** JSON-serialisable parameters. */
  payload: P;
  /** Named blobs the handler needs (a prepared table, traces, a checkpoint); remote executors ship each once per content hash. */
  inputs?: Record<string, Uint8Array>;
  /** Absolute deadline (Date.now() ms): the executor kills what overruns. */
  deadlineMs?: number;
  /** Cores the job occupies (a pipeline stage may declare 2); default 1. */
  cpus?: number;
}

export type JobStatus = 'ok' | 'failed' | 'killed';

export interface JobOutcome<R = unknown> {
  id: string;
  status: JobStatus;
  result?: R;
  /** Files the handler made (fold models, checkpoints, OOF predictions); the driver writes them where they belong. */
  artifacts?: Record<string, Uint8Array>;
  error?: string;
  /** Who ran it: `local:<thread>` or a remote worker's name. */
  worker?: string;
  /** How many times it was started (> 1 after a lost worker). */
  attempts: number;
  startedMs: number;
  endedMs: number;
}

/** What a handler sees besides its payload and inputs. */
interface JobContext {
  jobId: string;
  /** Aborted at the deadline or when the driver gives up; long handlers should check it. */
  signal: AbortSignal;
  /** Streams an event to the driver while the job runs (an epoch report, a log line). */
  progress(event: unknown): void;
  /** A private scratch folder for this job, removed afterwards. */
  scratchDir: string;
}

export interface JobResult<R = unknown> {
  result: R;
  artifacts?: Record<string, Uint8Array>;
}

export type JobHandler<P = any, R = unknown> = (
  payload: P,
  inputs: Record<string, Uint8Array>,
  ctx: JobContext,
) => Promise<JobResult<R>> | JobResult<R>;

export interface SubmitOptions {
  /** Called in the driver for each ctx.progress event, in order. */
  onProgress?: (event: unknown) => void;
}

export interface Executor {
  /** `local` or the redacted URL of a remote engine. */
  readonly name: string;
  /** Jobs that can run at once (threads, or connected worker slots as last seen). */
  readonly slots: number;
  submit<R = unknown>(job: Job, options?: SubmitOptions): Promise<JobOutcome<R>>;
  /** Jobs queued, running and done, for engines that queue (shown on progress lines). */
  stats?(): ExecutorStats;
  close(): Promise<void>;
}

export interface ExecutorStats {
  queued: number;
  running: number;
  done: number;
}

/** Who ran a job, for journals: `local` for any local thread (their numbers depend on timing), else the worker's name. */
export function ranOn(outcome: Pick<JobOutcome, 'worker'>): string | undefined {
  return outcome.worker?.startsWith('local:') ? 'local' : outcome.worker;
}

/**
 * Job kinds by name, each loaded lazily so a worker imports only what it runs. A kind's module is
 * imported inside the worker (thread, process or remote machine), never shipped as code: a worker
 * thread imports `module` and finds this table there as its export `jobs`.
 */
export interface JobTable {
  /** URL of the module exporting this table as `jobs`. */
  module: string;
  kinds: Record<string, () => Promise<JobHandler>>;
}

export async function loadJobHandler(table: JobTable, kind: string): Promise<JobHandler> {
  const load = table.kinds[kind];
  if (!load) throw new Error(`unknown job kind '${kind}' (known: ${Object.keys(table.kinds).join(', ')})`);
  return load();
}
