/** `sciml runs rm` and `sciml runs gc`: removing run directories, saying what went and the bytes freed. */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../runtime/errors.js';
import { bytesUnder } from '../runtime/disk.js';
import { formatBytes } from '../runtime/memory.js';
import { filterRuns, newestFirst, type RunFilter } from './list.js';
import { findRuns, isRunDir, readRun, type RunRecord } from './read.js';

export interface Removal {
  name: string;
  path: string;
  status: string;
  bytes: number;
}

/** The runs `rm` names: a path, or a name as `sciml runs` lists it under `dir`. Every one must be a run directory. */
export function resolveRunArgs(args: string[], dir: string): RunRecord[] {
  if (args.length === 0) throw new UserError('runs rm: expected at least one run directory');
  return args.map((arg) => {
    const path = existsSync(arg) ? arg : join(dir, arg);
    if (!existsSync(path))
      throw new UserError(`runs rm: ${arg}: no such run directory (neither a path nor a run under ${dir})`);
    if (!isRunDir(path))
      throw new UserError(
        `runs rm: ${arg}: not a run directory (no run.json, nor config.yaml and metrics.json); nothing removed`,
      );
    return readRun(path, arg);
  });
}

export interface GcRequest extends RunFilter {
  dir: string;
  /** Of the runs the filters select, the N most recently started stay. */
  keepLast?: number;
}

/**
 * What `runs gc` would remove: the runs matching the filters, minus the `keepLast` newest. Runs
 * still `running` stay unless `--status running` asks for them (a live process may be writing there).
 */
export function planGc(req: GcRequest): RunRecord[] {
  if (req.keepLast === undefined && req.status === undefined && req.task === undefined && !req.tags?.length) {
    throw new UserError(
      'runs gc: say what to remove: --status S, --keep-last N, --task T or --tag key=value (gc never removes every run by default)',
    );
  }
  const selected = filterRuns(findRuns(req.dir), { ...req, limit: undefined }).filter(
    (r) => req.status === 'running' || r.status !== 'running',
  );
  return newestFirst(selected).slice(req.keepLast ?? 0);
}

export function removeRuns(runs: RunRecord[]): Removal[] {
  return runs.map((r) => {
    const bytes = bytesUnder(r.path);
    rmSync(r.path, { recursive: true, force: true });
    return { name: r.name, path: resolve(r.path), status: r.status, bytes };
  });
}

export function sizeOf(runs: RunRecord[]): number {
  return runs.reduce((n, r) => n + bytesUnder(r.path), 0);
}

export function removalText(removed: Removal[], verb = 'removed'): string {
  const total = removed.reduce((n, r) => n + r.bytes, 0);
  const lines = removed.map((r) => `${verb} ${r.name} (${r.status}, ${formatBytes(r.bytes)})`);
  lines.push(
    `${verb} ${removed.length} run${removed.length === 1 ? '' : 's'}, ${formatBytes(total)} (${total} bytes)${verb === 'removed' ? ' freed' : ''}`,
  );
  return lines.join('\n') + '\n';
}

export function removalJson(removed: Removal[], dryRun = false): string {
  return (
    JSON.stringify({
      removed: dryRun ? [] : removed,
      ...(dryRun ? { would_remove: removed } : {}),
      bytes_freed: dryRun ? 0 : removed.reduce((n, r) => n + r.bytes, 0),
    }) + '\n'
  );
}
