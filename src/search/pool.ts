import { Worker, parentPort, workerData as threadData } from 'node:worker_threads';

export type PoolOutcome<R> = { status: 'ok'; result: R } | { status: 'failed'; error: string } | { status: 'killed' };

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Reply<R> {
  ok: boolean;
  result?: R;
  error?: string;
}

/**
 * A pool of worker threads, each running one task at a time. A task still running at its hard
 * deadline is stopped by terminating its worker (V8 interrupts even a tight loop), and a fresh
 * worker replaces it on demand. Workers get `data` once, at start.
 */
export class WorkerPool<T, R> {
  private readonly slots: Slot[] = [];
  private readonly queue: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly script: URL,
    private readonly data: unknown,
    readonly size: number,
    private readonly memoryMb?: number,
  ) {}

  private spawn(): Slot {
    const worker = new Worker(this.script, {
      workerData: this.data,
      resourceLimits: this.memoryMb ? { maxOldGenerationSizeMb: this.memoryMb } : undefined,
      stdout: false,
      stderr: false,
    });
    const slot = { worker, busy: false };
    this.slots.push(slot);
    return slot;
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new Error('worker pool is closed');
      // Marked busy here, synchronously, so two callers in the same tick never share a worker.
      const slot = this.slots.find((s) => !s.busy) ?? (this.slots.length < this.size ? this.spawn() : undefined);
      if (slot) {
        slot.busy = true;
        return slot;
      }
      await new Promise<void>((resolve) => this.queue.push(resolve));
    }
  }

  private release(slot: Slot, dead: boolean): void {
    slot.busy = false;
    if (dead) {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      void slot.worker.terminate();
    }
    this.queue.shift()?.();
  }

  /** Runs `task` on a free worker; at `hardDeadlineMs` (Date.now() clock) the worker is killed. */
  async run(task: T, hardDeadlineMs?: number): Promise<PoolOutcome<R>> {
    const slot = await this.acquire();
    const { worker } = slot;
    return new Promise<PoolOutcome<R>>((resolve) => {
      let settled = false;
      const finish = (outcome: PoolOutcome<R>, dead: boolean) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        this.release(slot, dead);
        resolve(outcome);
      };
      const onMessage = (reply: Reply<R>) => finish(reply.ok ? { status: 'ok', result: reply.result as R } : { status: 'failed', error: reply.error ?? 'unknown error' }, false);
      const onError = (err: Error) => finish({ status: 'failed', error: err.message }, true);
      const onExit = (code: number) => finish({ status: 'failed', error: `worker exited with code ${code}` }, true);
      const wait = hardDeadlineMs === undefined ? undefined : Math.max(0, hardDeadlineMs - Date.now());
      const timer = wait === undefined ? undefined : setTimeout(() => finish({ status: 'killed' }, true), wait);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const resolve of this.queue.splice(0)) resolve();
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}

/** Inside a worker script: answers each task message with `handle(task, workerData)`. */
export function serveTasks<T, R>(handle: (task: T, data: any) => Promise<R> | R): void {
  if (!parentPort) throw new Error('serveTasks must run inside a worker thread');
  const port = parentPort;
  port.on('message', async (task: T) => {
    try {
      port.postMessage({ ok: true, result: await handle(task, threadData) });
    } catch (err) {
      port.postMessage({ ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
  });
}
