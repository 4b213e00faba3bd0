import { createHash } from 'node:crypto';
import { isShardSet, listShards } from '../data/shards.js';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from './atomic.js';
import { scimlVersion } from './version.js';
import { redactSecrets } from './redact.js';
import { claimNewDirectory, userPathError } from './user-paths.js';

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

/** One command's share of a run: the first, and each `--resume`. */
interface RunSession {
  command: string[];
  started_at: string;
  ended_at: string;
  duration_s: number;
  status: RunStatus;
}

interface PreviousRun {
  command?: string[];
  started_at?: string;
  ended_at?: string;
  duration_s?: number;
  status?: RunStatus;
  sessions?: RunSession[];
  error?: string;
  inputs?: InputRecord[];
  [extra: string]: unknown;
}

/** run.json's status: `interrupted` when Ctrl-C or SIGTERM stopped the command. */
export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

/** `runs/<task>-<UTC timestamp>` with a numeric suffix on a clash. */
export function defaultRunPath(task: string, now = new Date(), root = 'runs'): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return join(root, `${task}-${stamp}`);
}

/** Picks a directory name that does not exist yet: DIR, DIR-1, DIR-2, ... */
function freshDirectory(path: string): string {
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
  private readonly temporaries = new Set<string>();
  private previous: PreviousRun | undefined;
  /** Called as each phase starts and ends (plain progress prints a line for each). */
  onPhase?: (name: string, event: 'start' | 'end', seconds: number) => void;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Creates the directory. The default `runs/<task>-<stamp>` gets a suffix on a clash; an explicit
   * `out` (the `--out` flag) that holds anything is refused, never renamed nor written over.
   */
  static create(options: { task: string; out?: string; flag?: string }): RunDir {
    if (options.out !== undefined) return new RunDir(claimNewDirectory(options.flag ?? '--out', options.out));
    const path = resolve(freshDirectory(defaultRunPath(options.task)));
    try {
      mkdirSync(path, { recursive: true });
    } catch (err) {
      throw userPathError('run directory', path, err, 'create it');
    }
    return new RunDir(path);
  }

  /**
   * Opens an existing run directory (for `report` on a run, or `--resume`). Its run.json, if any, is
   * kept: its tags stay, and a resumed run's `finish` keeps the first command and start time and
   * appends this session.
   */
  static open(path: string): RunDir {
    const dir = new RunDir(resolve(path));
    mkdirSync(dir.path, { recursive: true });
    try {
      dir.previous = JSON.parse(readFileSync(dir.file('run.json'), 'utf8')) as PreviousRun;
      const tags = dir.previous.tags;
      if (tags && typeof tags === 'object') dir.extra.tags = tags;
    } catch {
      dir.previous = undefined;
    }
    return dir;
  }

  /** Labels (`--tag key=value`), kept in run.json under `tags`; later values win. */
  addTags(tags: Record<string, string> | undefined): void {
    if (tags && Object.keys(tags).length)
      this.extra.tags = { ...((this.extra.tags as Record<string, string>) ?? {}), ...tags };
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

  /** A scratch folder inside the run (`.candidates`), removed when the run is interrupted. */
  temporaryFolder(relative: string): string {
    const p = this.file(relative);
    mkdirSync(p, { recursive: true });
    this.temporaries.add(p);
    return p;
  }

  /** Removes the scratch folders and this process's half-written atomic temporaries (an interrupted run). */
  removeTemporaries(): void {
    for (const p of this.temporaries) rmSync(p, { recursive: true, force: true });
    this.temporaries.clear();
    const marker = `.tmp-${process.pid}-`;
    const walk = (dir: string): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.name.startsWith('.') && e.name.includes(marker)) rmSync(p, { recursive: true, force: true });
        else if (e.isDirectory()) walk(p);
      }
    };
    walk(this.path);
  }

  /**
   * Writes run.json. A resumed run (opened with a run.json) keeps its first `command` and
   * `started_at`; `sessions` lists every session (command, times, status), `duration_s` sums them.
   */
  finish(info: { command: string[]; backend: string; seed: number; status?: RunStatus; error?: string }): string {
    const endedAt = new Date();
    const status = info.status ?? 'completed';
    const command = info.command.map(redactSecrets);
    const session: RunSession = {
      command,
      started_at: this.startedAt.toISOString(),
      ended_at: endedAt.toISOString(),
      duration_s: (endedAt.getTime() - this.startedAt.getTime()) / 1000,
      status,
    };
    const prev = this.previous;
    const earlier: RunSession[] = !prev
      ? []
      : Array.isArray(prev.sessions)
        ? prev.sessions
        : [
            {
              command: prev.command ?? [],
              started_at: prev.started_at ?? '',
              ended_at: prev.ended_at ?? '',
              duration_s: prev.duration_s ?? 0,
              status: prev.status ?? 'running',
            },
          ];
    const sessions = [...earlier, session];
    // What an earlier session recorded (its inputs, config_file) stays unless this one says otherwise.
    const { error: _error, sessions: _sessions, ...carried } = prev ?? {};
    return this.writeJson('run.json', {
      ...carried,
      sciml_version: scimlVersion(),
      command: sessions[0].command,
      backend: info.backend,
      seed: info.seed,
      status,
      ...(info.error !== undefined ? { error: redactSecrets(info.error) } : {}),
      started_at: sessions[0].started_at,
      ended_at: endedAt.toISOString(),
      duration_s: sessions.reduce((t, s) => t + s.duration_s, 0),
      ...(sessions.length > 1 ? { sessions } : {}),
      phases_s: this.phaseDurations(),
      inputs: this.inputs.length > 0 || !prev ? this.inputs : (prev.inputs ?? []),
      node_version: process.version,
      platform: `${process.platform}-${process.arch}`,
      ...this.extra,
    });
  }
}
