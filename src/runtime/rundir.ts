import { createHash } from 'node:crypto';
import { isShardSet, listShards } from '../data/shards.js';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from './atomic.js';
import { scimlVersion } from './version.js';
import { redactSecrets } from './redact.js';

export interface InputRecord {
  path: string;
  bytes: number;
  sha256: string;
}

export interface MetricsFile {
  task: string;
  metrics: Record<string, number>;
  baseline: Record<string, number>;
  [extra: string]: unknown;
}

/** `runs/<task>-<UTC timestamp>` with a numeric suffix on a clash. */
export function defaultRunPath(task: string, now = new Date(), root = 'runs'): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return join(root, `${task}-${stamp}`);
}

/** Picks a directory name that does not exist yet: DIR, DIR-1, DIR-2, ... */
export function freshDirectory(path: string): string {
  if (!existsSync(path)) return path;
  for (let i = 1; ; i++) {
    const candidate = `${path}-${i}`;
    if (!existsSync(candidate)) return candidate;
  }
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A run directory (see README "Run directory contract"). Every file is written atomically.
 * Phases are timed with `phase()`; `finish()` writes run.json.
 */
export class RunDir {
  readonly path: string;
  readonly startedAt = new Date();
  private readonly phases: Record<string, number> = {};
  private readonly inputs: InputRecord[] = [];
  readonly extra: Record<string, unknown> = {};
  /** Called as each phase starts and ends (plain progress prints a line for each). */
  onPhase?: (name: string, event: 'start' | 'end', seconds: number) => void;

  private constructor(path: string) {
    this.path = path;
  }

  /** Creates the directory. With an explicit `out` that already exists, a suffix is added: runs are never overwritten. */
  static create(options: { task: string; out?: string }): RunDir {
    const wanted = options.out ?? defaultRunPath(options.task);
    const path = resolve(freshDirectory(wanted));
    mkdirSync(path, { recursive: true });
    return new RunDir(path);
  }

  /** Opens an existing run directory (for `evaluate`/`report` on a run, or `--resume`); its tags stay. */
  static open(path: string): RunDir {
    const dir = new RunDir(resolve(path));
    mkdirSync(dir.path, { recursive: true });
    try {
      const tags = JSON.parse(readFileSync(dir.file('run.json'), 'utf8')).tags;
      if (tags && typeof tags === 'object') dir.extra.tags = tags;
    } catch {
      // no run.json yet
    }
    return dir;
  }

  /** Labels (`--tag key=value`), kept in run.json under `tags`; later values win. */
  addTags(tags: Record<string, string> | undefined): void {
    if (tags && Object.keys(tags).length) this.extra.tags = { ...((this.extra.tags as Record<string, string>) ?? {}), ...tags };
  }

  file(...parts: string[]): string {
    return join(this.path, ...parts);
  }

  writeText(relative: string, text: string): string {
    const p = this.file(relative);
    writeFileAtomic(p, text);
    return p;
  }

  writeBytes(relative: string, bytes: Uint8Array): string {
    const p = this.file(relative);
    writeFileAtomic(p, bytes);
    return p;
  }

  writeJson(relative: string, value: unknown): string {
    const p = this.file(relative);
    writeJsonAtomic(p, value);
    return p;
  }

  writeMetrics(metrics: MetricsFile): string {
    return this.writeJson('metrics.json', metrics);
  }

  async recordInput(path: string): Promise<InputRecord> {
    if (isShardSet(path)) {
      const records = [];
      for (const shard of listShards(path)) records.push(await this.recordInput(shard));
      return { path, bytes: records.reduce((n, r) => n + r.bytes, 0), sha256: records.map((r) => r.sha256).join(',') };
    }
    const record = { path, bytes: statSync(path).size, sha256: await sha256OfFile(path) };
    this.inputs.push(record);
    return record;
  }

  /** Times a phase of the run; durations (seconds) go to run.json. */
  async phase<T>(name: string, work: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    this.onPhase?.(name, 'start', 0);
    try {
      return await work();
    } finally {
      const seconds = (performance.now() - t0) / 1000;
      this.phases[name] = (this.phases[name] ?? 0) + seconds;
      this.onPhase?.(name, 'end', seconds);
    }
  }

  phaseDurations(): Record<string, number> {
    return { ...this.phases };
  }

  finish(info: { command: string[]; backend: string; seed: number; status?: 'running' | 'completed' | 'failed' }): string {
    const endedAt = new Date();
    return this.writeJson('run.json', {
      sciml_version: scimlVersion(),
      command: info.command.map(redactSecrets),
      backend: info.backend,
      seed: info.seed,
      status: info.status ?? 'completed',
      started_at: this.startedAt.toISOString(),
      ended_at: endedAt.toISOString(),
      duration_s: (endedAt.getTime() - this.startedAt.getTime()) / 1000,
      phases_s: this.phaseDurations(),
      inputs: this.inputs,
      node_version: process.version,
      platform: `${process.platform}-${process.arch}`,
      ...this.extra,
    });
  }
}
