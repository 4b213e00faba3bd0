/**
 * trials.jsonl: one JSON event per line, appended and flushed to disk (fsync) as it happens, so a
 * killed tune loses at most the event being written. Reading ignores a torn last line.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

/** What every event about one trial carries: when, in which segment, which config and run. */
type TrialEvent = { t: number; seg: string; config_index: number; run: number };

export type JournalEvent =
  | {
      ev: 'start';
      t: number;
      seed: number;
      segments: string[];
      scheduler: string;
      sampler: string;
      resumed?: boolean;
      /** The run's id on a remote engine's queue, kept so a resumed driver reattaches to its jobs. */
      executor_run?: string;
    }
  | (TrialEvent & {
      ev: 'ask' | 'promote';
      rung: number;
      budget: number;
      promoted_from: number | null;
      params: Record<string, unknown>;
    })
  | (TrialEvent & { ev: 'epoch'; epoch: number; metrics: Record<string, number> })
  | (TrialEvent & { ev: 'checkpoint' | 'resume'; epoch: number })
  | (TrialEvent & {
      ev: 'tell';
      score: number | null;
      metric: number | null;
      epochs: number;
      /** Who ran it: `local`, or a remote worker's name; attempts > 1 after a lost worker. */
      worker?: string;
      attempts?: number;
    })
  | (TrialEvent & { ev: 'fail'; error: string })
  | (TrialEvent & { ev: 'cut'; epochs: number })
  | {
      ev: 'cv';
      t: number;
      seg: string;
      config_index: number;
      fold: number;
      folds: number;
      epochs: number;
      /** The fold's trial metrics, or the error that failed it. */
      metrics?: Record<string, number>;
      rows?: number;
      error?: string;
      worker?: string;
    }
  | { ev: 'end'; t: number; reason: string };

export class Journal {
  private fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  append(event: JournalEvent): void {
    writeSync(this.fd, JSON.stringify(event) + '\n');
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export function readJournal(path: string): JournalEvent[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const events: JournalEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      events.push(JSON.parse(line));
    } catch (err) {
      // Only the last line can be torn by a kill; anything else is a damaged journal.
      if (lines.slice(i + 1).some((l) => l.trim())) throw new Error(`${path}:${i + 1}: unreadable journal line`);
    }
  }
  return events;
}
