/** Reads what `sciml runs` and `sciml diff` show of a run directory: run.json, config.yaml, metrics.json. */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { createRequire } from 'node:module';
import { UserError } from '../runtime/errors.js';
import { flatten } from '../runtime/flatten.js';

// yaml is some 60 CommonJS files: loaded at the first config read, so `sciml runs` on a folder without runs starts without it.
const requirePackage = createRequire(import.meta.url);
let yaml: typeof import('yaml') | undefined;
function parseYaml(text: string): unknown {
  yaml ??= requirePackage('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

export interface RunRecord {
  name: string;
  path: string;
  task: string;
  status: string;
  started?: string;
  duration_s?: number;
  /** metrics.json numbers, nested keys flattened (`metrics.mse`, `baseline.mse`). */
  numbers: Record<string, number>;
  /** The `metrics` block: the task's headline metrics. */
  headline: Record<string, number>;
  /** config.yaml flattened. */
  params: Record<string, unknown>;
  /** run.json `tags` (`--tag key=value`). */
  tags: Record<string, string>;
}

function readJson(file: string): any {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function isRunDir(dir: string): boolean {
  return (
    existsSync(join(dir, 'run.json')) || (existsSync(join(dir, 'config.yaml')) && existsSync(join(dir, 'metrics.json')))
  );
}

export function numbersOf(metrics: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (metrics === null || typeof metrics !== 'object') return out;
  for (const [k, v] of Object.entries(flatten(metrics as Record<string, unknown>)))
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

export function readRun(dir: string, name = dir): RunRecord {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: no such run directory`);
  if (!isRunDir(dir))
    throw new UserError(`${dir}: not a run directory (expected run.json or config.yaml and metrics.json)`);
  const info = readJson(join(dir, 'run.json')) ?? {};
  const metrics = readJson(join(dir, 'metrics.json'));
  let config: Record<string, unknown> = {};
  try {
    config = (parseYaml(readFileSync(join(dir, 'config.yaml'), 'utf8')) ?? {}) as Record<string, unknown>;
  } catch {
    config = {};
  }
  const headline = numbersOf(metrics?.metrics);
  const task = String(metrics?.task ?? config.task ?? 'unknown');
  const status = String(info.status ?? (metrics ? 'completed' : 'unknown'));
  const tags: Record<string, string> = {};
  if (info.tags && typeof info.tags === 'object') for (const [k, v] of Object.entries(info.tags)) tags[k] = String(v);
  return {
    name,
    path: dir,
    task,
    status,
    started: info.started_at,
    duration_s: info.duration_s,
    numbers: numbersOf(metrics),
    headline,
    params: flatten(config),
    tags,
  };
}

/** Run directories under `root` (folders of runs, like runs/pipeline/, are searched too, 4 levels deep). */
export function findRuns(root: string, depth = 4): RunRecord[] {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new UserError(`${root}: no such folder of runs (--dir)`);
  const out: RunRecord[] = [];
  const walk = (dir: string, level: number) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (isRunDir(path)) out.push(readRun(path, relative(root, path).split(sep).join('/')));
      else if (level < depth) walk(path, level + 1);
    }
  };
  walk(root, 1);
  return out;
}
