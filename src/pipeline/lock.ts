/**
 * `<name>.lock` beside the pipeline file (pipeline.yaml -> pipeline.lock): per completed stage the
 * expanded command, SHA-256 and size of every dep and out, and the tracked params' values.
 * Human-readable YAML, rewritten atomically after every stage, so a killed run leaves a valid lock
 * that lists exactly the stages that finished.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { UserError } from '../runtime/errors.js';
import { writeFileAtomic } from '../runtime/atomic.js';

export interface LockedPath {
  path: string;
  sha256: string;
  size: number;
  files?: number;
}

export type ParamValues = Record<string, Record<string, unknown>>;

export interface LockEntry {
  cmd: string;
  /** Hash of command, dep hashes, params and out paths: the run-cache key. */
  signature: string;
  deps: LockedPath[];
  params: ParamValues;
  outs: LockedPath[];
  started_at: string;
  ended_at: string;
  duration_s: number;
  /** Outs restored from the run-cache instead of running. */
  restored?: boolean;
}

export interface Lock {
  schema: string;
  stages: Record<string, LockEntry>;
}

export const LOCK_SCHEMA = 'sciml-pipeline-lock/1';

function emptyLock(): Lock {
  return { schema: LOCK_SCHEMA, stages: {} };
}

export function readLock(file: string): Lock {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyLock();
    throw new UserError(`${file}: cannot read the lock: ${(err as Error).message}`);
  }
  let raw: any;
  try {
    raw = parse(text);
  } catch (err) {
    throw new UserError(
      `${file}: not a readable pipeline lock (${(err as Error).message.split('\n')[0]}); delete it to re-run every stage`,
    );
  }
  if (raw === null || raw === undefined) return emptyLock();
  if (typeof raw !== 'object' || raw.schema !== LOCK_SCHEMA || typeof raw.stages !== 'object') {
    throw new UserError(
      `${file}: schema: expected '${LOCK_SCHEMA}', got ${JSON.stringify(raw?.schema)}; delete the lock to re-run every stage`,
    );
  }
  return { schema: LOCK_SCHEMA, stages: raw.stages ?? {} };
}

/** Writes the lock with stages in pipeline order. */
export function writeLock(file: string, lock: Lock, order: string[]): void {
  const stages: Record<string, LockEntry> = {};
  for (const name of order) if (lock.stages[name]) stages[name] = lock.stages[name];
  const header = '# Written by `sciml pipeline run`: what each completed stage ran on and made. Do not edit.\n';
  writeFileAtomic(file, header + stringify({ schema: LOCK_SCHEMA, stages }, { lineWidth: 0 }));
}
