import { parentPort } from 'node:worker_threads';
import { loadJobHandler, type JobTable } from './job.js';

export interface WorkerRequest {
  /** URL of the module exporting the job table as `jobs` (JobTable). */
  jobs: string;
  id: string;
  kind: string;
  payload: unknown;
  inputs: Record<string, Uint8Array>;
  /** Made and removed by the executor, which outlives a thread killed at its deadline. */
  scratchDir: string;
}

export type WorkerReply =
  | { type: 'progress'; event: unknown }
  | { type: 'done'; ok: true; result: unknown; artifacts?: Record<string, Uint8Array> }
  | { type: 'done'; ok: false; error: string };

// One job at a time per thread; the executor kills the thread at the deadline, so no abort is needed here.
if (parentPort) {
  const port = parentPort;
  port.on('message', async (request: WorkerRequest) => {
    const { scratchDir } = request;
    try {
      const { jobs } = (await import(request.jobs)) as { jobs: JobTable };
      const handler = await loadJobHandler(jobs, request.kind);
      const out = await handler(request.payload, request.inputs, {
        jobId: request.id,
        signal: new AbortController().signal,
        progress: (event) => port.postMessage({ type: 'progress', event } satisfies WorkerReply),
        scratchDir,
      });
      port.postMessage({ type: 'done', ok: true, result: out.result, artifacts: out.artifacts } satisfies WorkerReply);
    } catch (err) {
      port.postMessage({
        type: 'done',
        ok: false,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      } satisfies WorkerReply);
    }
  });
}
