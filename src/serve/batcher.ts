/**
 * Micro-batching: concurrent requests with the same options are merged into one model call.
 * While a worker is idle, requests wait at most `windowMs` for company; while every worker is
 * busy they queue, and the next free worker takes as many as fit in `maxBatch` rows. So a lone
 * request pays a few ms at most, and under load the batch grows with the queue.
 */
import { sliceRows, type Predictions } from '../data/predictions.js';
import { HttpProblem } from './problem.js';
import type { InferencePool } from './pool.js';
import type { ServeBatch, ServeColumn } from '../contracts/servable.js';

interface Pending {
  batch: ServeBatch;
  key: string;
  options: Record<string, string>;
  resolve(p: Predictions): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  done: boolean;
}

export interface BatcherOptions {
  maxBatch: number;
  windowMs: number;
  timeoutMs: number;
  /** Above this many queued rows new requests are refused (503) rather than queued. */
  maxQueueRows: number;
  onBatch(stats: { rows: number; requests: number; seconds: number }): void;
}

export function concatBatches(batches: ServeBatch[]): ServeBatch {
  if (batches.length === 1) return batches[0];
  const rows = batches.reduce((n, b) => n + b.rows, 0);
  const columns = batches[0].columns.map((first, j): ServeColumn => {
    if (first.kind === 'string')
      return {
        name: first.name,
        kind: 'string',
        values: batches.flatMap((b) => b.columns[j].values as (string | null)[]),
      };
    const length = first.kind === 'trace' ? first.length : 1;
    const values = first.kind === 'trace' ? new Float32Array(rows * length) : new Float64Array(rows);
    let at = 0;
    for (const b of batches) {
      const v = b.columns[j].values as Float32Array | Float64Array;
      values.set(v, at);
      at += v.length;
    }
    return first.kind === 'trace'
      ? { name: first.name, kind: 'trace', length, values: values as Float32Array }
      : { name: first.name, kind: 'number', values: values as Float64Array };
  });
  return { rows, columns };
}

export class MicroBatcher {
  private queue: Pending[] = [];
  private queuedRowCount = 0;
  private windowTimer: NodeJS.Timeout | undefined;
  private draining = false;

  constructor(
    private readonly pool: InferencePool,
    private readonly options: BatcherOptions,
  ) {}

  get queuedRows(): number {
    return this.queuedRowCount;
  }

  submit(batch: ServeBatch, options: Record<string, string>): Promise<Predictions> {
    if (this.queuedRowCount > 0 && this.queuedRowCount + batch.rows > this.options.maxQueueRows) {
      return Promise.reject(
        new HttpProblem(
          503,
          'Overloaded',
          `${this.queuedRowCount} rows are already waiting for the model; retry shortly`,
          [],
          { 'retry-after': '1' },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const item: Pending = {
        batch,
        key: JSON.stringify(options),
        options,
        resolve,
        reject,
        done: false,
        timer: setTimeout(() => {
          if (item.done) return;
          item.done = true;
          const queued = this.queue.indexOf(item);
          if (queued >= 0) {
            this.queue.splice(queued, 1);
            this.queuedRowCount -= item.batch.rows;
          }
          reject(
            new HttpProblem(
              503,
              'Timed out',
              `the prediction took longer than the server's limit of ${this.options.timeoutMs} ms (--timeout); retry, or send fewer rows per request`,
              [],
              { 'retry-after': '1' },
            ),
          );
        }, this.options.timeoutMs),
      };
      this.queue.push(item);
      this.queuedRowCount += batch.rows;
      this.schedule();
    });
  }

  /** Called when a worker becomes idle, and on drain: no more waiting for company. */
  flushNow(): void {
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.dispatch();
  }

  drain(): void {
    this.draining = true;
    this.flushNow();
  }

  private schedule(): void {
    if (this.pool.idleCount() === 0) return; // the next idle worker flushes
    if (this.draining || this.options.windowMs <= 0 || this.queuedRowCount >= this.options.maxBatch) {
      this.flushNow();
      return;
    }
    if (!this.windowTimer) this.windowTimer = setTimeout(() => this.flushNow(), this.options.windowMs);
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.pool.idleCount() > 0) {
      const key = this.queue[0].key;
      const taken: Pending[] = [];
      let rows = 0;
      for (let i = 0; i < this.queue.length; ) {
        const item = this.queue[i];
        if (item.key === key && (taken.length === 0 || rows + item.batch.rows <= this.options.maxBatch)) {
          taken.push(item);
          rows += item.batch.rows;
          this.queue.splice(i, 1);
          if (rows >= this.options.maxBatch) break;
        } else i++;
      }
      this.queuedRowCount -= rows;
      const merged = concatBatches(taken.map((t) => t.batch));
      this.pool.run(merged, taken[0].options).then(
        ({ predictions, seconds }) => {
          this.options.onBatch({ rows, requests: taken.length, seconds });
          let at = 0;
          for (const t of taken) {
            const part = sliceRows(predictions, at, at + t.batch.rows);
            at += t.batch.rows;
            this.settle(t, () => t.resolve(part));
          }
        },
        (err: Error) => {
          for (const t of taken) this.settle(t, () => t.reject(err));
        },
      );
    }
  }

  private settle(item: Pending, action: () => void): void {
    clearTimeout(item.timer);
    if (item.done) return;
    item.done = true;
    action();
  }
}
