import type { Scheduler, Trial } from './scheduler.js';

type TrialStatus = 'ok' | 'failed' | 'killed' | 'skipped';

export interface TrialOutcome<R = unknown> {
  status: TrialStatus;
  /** Lower is better; Infinity unless status is 'ok'. */
  score: number;
  result?: R;
  error?: string;
}

export interface SearchRecord<R = unknown> {
  trial: Trial;
  outcome: TrialOutcome<R>;
  startedMs: number;
  endedMs: number;
}

export interface SearchLoopOptions<R> {
  scheduler: Scheduler;
  /** Runs one trial; must settle (for a hard deadline: kill the trial and resolve 'killed'). */
  run: (trial: Trial) => Promise<TrialOutcome<R>>;
  /** Trials running at once (a function: re-read before each start, e.g. remote workers joining). */
  parallel: number | (() => number);
  /** No trial starts after this (Date.now() milliseconds); a function is re-read before each start (a deadline that moves). */
  deadlineMs: number | (() => number);
  onRecord?: (record: SearchRecord<R>) => void;
  now?: () => number;
  /** Errors of `run` that end the whole search (rethrown) instead of failing one trial. */
  isFatal?: (err: unknown) => boolean;
}

/**
 * Drives an ask-and-tell scheduler with `parallel` trials in flight until it is done or the
 * deadline passes, telling results back as they arrive. Returns every trial in order of id.
 */
export async function runSearch<R>(options: SearchLoopOptions<R>): Promise<SearchRecord<R>[]> {
  const now = options.now ?? Date.now;
  const records: SearchRecord<R>[] = [];
  const running = new Map<number, Promise<void>>();
  let finished = false;
  const parallel = typeof options.parallel === 'function' ? options.parallel : () => options.parallel as number;
  const deadline = typeof options.deadlineMs === 'function' ? options.deadlineMs : () => options.deadlineMs as number;
  while (true) {
    while (!finished && running.size < parallel() && now() < deadline()) {
      const next = options.scheduler.ask();
      if (next === 'done') {
        finished = true;
        break;
      }
      if (next === 'wait') break;
      const trial = next;
      const startedMs = now();
      const task = options
        .run(trial)
        .catch((err): TrialOutcome<R> => {
          if (options.isFatal?.(err)) throw err;
          return { status: 'failed', score: Infinity, error: err instanceof Error ? err.message : String(err) };
        })
        .then((outcome) => {
          const score = outcome.status === 'ok' && Number.isFinite(outcome.score) ? outcome.score : Infinity;
          options.scheduler.tell(trial.id, score);
          const record = { trial, outcome: { ...outcome, score }, startedMs, endedMs: now() };
          records.push(record);
          options.onRecord?.(record);
          running.delete(trial.id);
        });
      running.set(trial.id, task);
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
    if (now() >= deadline() && running.size === 0) break;
  }
  return records.sort((a, b) => a.trial.id - b.trial.id);
}
