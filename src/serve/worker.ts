/**
 * An inference worker thread: loads the run's model once through its adapter, warms it up, then
 * predicts batches posted by the pool, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Predictions } from '../data/predictions.js';
import type { ModelLocation } from '../runtime/model-dir.js';
import { isUserError } from '../runtime/errors.js';
import type { ServeBatch } from '../contracts/servable.js';
import { SERVABLES } from '../registry.js';

export interface WorkerInit {
  where: ModelLocation;
  backend: string;
  tensorflow: boolean;
  warmup: ServeBatch;
}

export type ToWorker = { type: 'predict'; id: number; batch: ServeBatch; options: Record<string, string> };

export interface OutputSpec {
  name: string;
  kind: string;
  length?: number;
}

export type FromWorker =
  | { type: 'ready'; outputs: OutputSpec[] }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; predictions: Predictions; seconds: number }
  | { type: 'error'; id: number; message: string; user: boolean };

async function start(port: NonNullable<typeof parentPort>, init: WorkerInit): Promise<void> {
  if (init.tensorflow) {
    const { initBackend } = await import('../runtime/backend.js');
    await initBackend(init.backend as 'auto');
  }
  const adapter = await SERVABLES[init.where.task]();
  const predictor = await adapter.load(init.where);
  const warm = await predictor.predict(init.warmup, {});
  port.postMessage({
    type: 'ready',
    outputs: warm.columns.map((c) => ({
      name: c.name,
      kind: c.kind,
      ...(c.kind === 'vector' ? { length: c.length } : {}),
    })),
  } satisfies FromWorker);
  port.on('message', async (m: ToWorker) => {
    const t0 = performance.now();
    try {
      const predictions = await predictor.predict(m.batch, m.options);
      port.postMessage({
        type: 'result',
        id: m.id,
        predictions,
        seconds: (performance.now() - t0) / 1000,
      } satisfies FromWorker);
    } catch (err) {
      port.postMessage({
        type: 'error',
        id: m.id,
        message: isUserError(err) ? err.message : String((err as Error)?.stack ?? err),
        user: isUserError(err),
      } satisfies FromWorker);
    }
  });
}

if (parentPort) {
  const port = parentPort;
  start(port, workerData as WorkerInit).catch((err) =>
    port.postMessage({
      type: 'failed',
      message: isUserError(err) ? err.message : String((err as Error)?.stack ?? err),
    } satisfies FromWorker),
  );
}
