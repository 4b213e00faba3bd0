/**
 * Inference worker threads. Each loads the model once and runs one batch at a time, so the HTTP
 * thread stays free for /healthz, parsing and validation. A worker that dies, or hangs past the
 * watchdog, is replaced; its batch fails with an internal error (never silently).
 */
import { Worker } from 'node:worker_threads';
import type { Predictions } from '../data/predictions.js';
import type { FromWorker, OutputSpec, ToWorker, WorkerInit } from './worker.js';
import type { ServeBatch } from '../contracts/servable.js';

export class InferenceError extends Error {
  constructor(
    message: string,
    readonly user: boolean,
  ) {
    super(message);
  }
}

interface Job {
  id: number;
  resolve(p: { predictions: Predictions; seconds: number }): void;
  reject(err: Error): void;
  watchdog: NodeJS.Timeout;
}

class Slot {
  worker!: Worker;
  job: Job | undefined;
  ready = false;
  constructor(readonly index: number) {}
}

export interface PoolOptions {
  size: number;
  init: WorkerInit;
  /** A batch running longer than this is taken as hung: the worker is replaced. */
  watchdogMs: number;
  onIdle(): void;
  onEvent(event: Record<string, unknown>): void;
}

export class InferencePool {
  private readonly slots: Slot[];
  private nextId = 1;
  private closing = false;
  /** The output columns, from the first worker's warm-up prediction. */
  outputs: OutputSpec[] = [];
  private readyWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private everReady = false;

  constructor(private readonly options: PoolOptions) {
    this.slots = Array.from({ length: options.size }, (_, i) => new Slot(i));
    for (const slot of this.slots) this.spawn(slot);
  }

  /** Resolves when the first worker has loaded the model; rejects if loading fails. */
  ready(): Promise<void> {
    if (this.everReady) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  get isReady(): boolean {
    return this.slots.some((s) => s.ready);
  }

  idleCount(): number {
    return this.slots.filter((s) => s.ready && !s.job).length;
  }

  private spawn(slot: Slot): void {
    slot.ready = false;
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: this.options.init });
    slot.worker = worker;
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        slot.ready = true;
        this.outputs = m.outputs;
        if (!this.everReady) {
          this.everReady = true;
          for (const w of this.readyWaiters.splice(0)) w.resolve();
        }
        this.options.onIdle();
      } else if (m.type === 'failed') {
        this.closing = true;
        for (const w of this.readyWaiters.splice(0)) w.reject(new InferenceError(m.message, true));
        void worker.terminate();
      } else if (m.type === 'result' || m.type === 'error') {
        const job = slot.job;
        if (!job || job.id !== m.id) return;
        clearTimeout(job.watchdog);
        slot.job = undefined;
        if (m.type === 'result') job.resolve({ predictions: m.predictions, seconds: m.seconds });
        else job.reject(new InferenceError(m.message, m.user));
        this.options.onIdle();
      }
    });
    worker.on('error', (err) =>
      this.options.onEvent({ event: 'worker_error', worker: slot.index, message: String(err?.message ?? err) }),
    );
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      slot.ready = false;
      const job = slot.job;
      slot.job = undefined;
      if (job) {
        clearTimeout(job.watchdog);
        job.reject(
          new InferenceError(`the inference worker stopped (exit code ${code}) while predicting this batch`, false),
        );
      }
      if (!this.closing) {
        this.options.onEvent({ event: 'worker_restart', worker: slot.index, exit_code: code });
        this.spawn(slot);
      }
    });
  }

  /** Runs a batch on an idle worker; call only when idleCount() > 0. */
  run(batch: ServeBatch, options: Record<string, string>): Promise<{ predictions: Predictions; seconds: number }> {
    const slot = this.slots.find((s) => s.ready && !s.job);
    if (!slot) return Promise.reject(new InferenceError('no idle inference worker', false));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const watchdog = setTimeout(() => {
        this.options.onEvent({ event: 'worker_hung', worker: slot.index, after_ms: this.options.watchdogMs });
        void slot.worker.terminate();
      }, this.options.watchdogMs);
      slot.job = { id, resolve, reject, watchdog };
      slot.worker.postMessage({ type: 'predict', id, batch, options } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
