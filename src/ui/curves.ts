/**
 * Learning curves of a run, read generically from whatever history file it has: `history.jsonl`
 * (one record per line, appended while the run trains), `history.json` (a list of records, or
 * named lists such as knots' `{full: [...], top_k: [...]}`), `model/history.json`, or the `history`
 * list of metrics.json (particles), or, while a run trains and has written none of these yet, the
 * history kept in its checkpoints' headers (`model/*.bin`, rewritten every epoch); plus a
 * distributed training's round files (`rounds.json`, `rounds-<model>.json`: `{label, rounds: [...]}`,
 * rewritten after every round). A record's x is its epoch, round, step or iteration (else its
 * position); every other number in it, nested keys flattened, is a metric, so kinds this code has
 * never seen still plot.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { numbersOf } from '../compare/read.js';
import { readStateHeader } from '../runtime/state-file.js';
import type { RunsRoot } from './paths.js';

export interface CurveSeries {
  name: string;
  /** Name of the x field: epoch, round, step, iteration, or 'index'. */
  x: string;
  /** One entry per record: `x` and the record's numbers. */
  points: Record<string, number>[];
}

export interface Curves {
  /** The files read, relative to the run (comma-separated), or null when the run has no history yet. */
  source: string | null;
  /** mtimes and sizes of the sources: the response's ETag. */
  stamp: string;
  series: CurveSeries[];
}

/** A distributed training's rounds file: its label and the records of every round so far. */
export interface RoundsFile {
  file: string;
  label: string;
  records: Record<string, unknown>[];
}

const ROUNDS_FILE = /^rounds(-[A-Za-z0-9_.-]+)?\.json$/;

const HISTORY_FILES = ['history.jsonl', 'history.json', 'model/history.json'];
const X_FIELDS = ['epoch', 'round', 'step', 'iteration'];
const SERIES_FIELDS = ['series', 'phase', 'segment'];

function seriesOf(name: string, records: unknown[]): CurveSeries {
  const objects = records.filter(
    (r): r is Record<string, unknown> => r !== null && typeof r === 'object' && !Array.isArray(r),
  );
  const x = X_FIELDS.find((f) => objects.length > 0 && objects.every((r) => typeof r[f] === 'number')) ?? 'index';
  const points = objects.map((r, i) => ({ ...numbersOf(r), [x]: x === 'index' ? i + 1 : (r[x] as number) }));
  return { name, x, points };
}

/** Splits records on a string field such as `series` (or keeps them as one series). */
function grouped(records: unknown[], fallback: string): CurveSeries[] {
  const field = SERIES_FIELDS.find((f) =>
    records.some((r) => r && typeof (r as Record<string, unknown>)[f] === 'string'),
  );
  if (!field) return [seriesOf(fallback, records)];
  const groups = new Map<string, unknown[]>();
  for (const r of records) {
    const key = String((r as Record<string, unknown>)[field] ?? fallback);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  return [...groups].map(([name, rs]) => seriesOf(name, rs));
}

export function parseHistory(text: string, jsonLines: boolean): CurveSeries[] {
  if (jsonLines) {
    const records: unknown[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        // A line being appended right now: the next poll reads it whole.
      }
    }
    return records.length ? grouped(records, 'history') : [];
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (Array.isArray(value)) return value.length ? grouped(value, 'history') : [];
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => Array.isArray(v) && v.length > 0 && typeof v[0] === 'object')
      .flatMap(([k, v]) => grouped(v as unknown[], k));
  }
  return [];
}

function readSource(root: RunsRoot, run: string, file: string): { text: string; stamp: string } | undefined {
  const abs = root.resolve(`${run}/${file}`);
  if (!abs) return undefined;
  try {
    const st = statSync(abs);
    if (!st.isFile()) return undefined;
    return { text: readFileSync(abs, 'utf8'), stamp: `${st.mtimeMs}-${st.size}` };
  } catch {
    return undefined;
  }
}

export function readRoundsFiles(root: RunsRoot, run: string): { stamp: string; files: RoundsFile[] } {
  const abs = root.resolve(run);
  let names: string[] = [];
  try {
    names = abs
      ? readdirSync(abs)
          .filter((n) => ROUNDS_FILE.test(n))
          .sort()
      : [];
  } catch {
    names = [];
  }
  const stamps: string[] = [];
  const files: RoundsFile[] = [];
  for (const file of names) {
    const source = readSource(root, run, file);
    if (!source) continue;
    stamps.push(`${file}:${source.stamp}`);
    try {
      const value = JSON.parse(source.text) as { label?: unknown; rounds?: unknown };
      if (!Array.isArray(value.rounds)) continue;
      const label =
        typeof value.label === 'string' && value.label
          ? value.label
          : file.replace(/^rounds-?/, '').replace(/\.json$/, '') || 'rounds';
      files.push({
        file,
        label,
        records: value.rounds.filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object'),
      });
    } catch {
      // Rewritten atomically, so unreadable means damaged: left out, the rest still shows.
    }
  }
  return { stamp: stamps.join('|'), files };
}

/** The `history` list in the header of each checkpoint under model/ (checkpoint-full.bin -> series 'full'). */
function checkpointHistories(
  root: RunsRoot,
  run: string,
): { files: string[]; stamps: string[]; series: CurveSeries[] } {
  const out = { files: [] as string[], stamps: [] as string[], series: [] as CurveSeries[] };
  const folder = root.resolve(`${run}/model`);
  let names: string[] = [];
  try {
    names = folder
      ? readdirSync(folder)
          .filter((n) => n.endsWith('.bin'))
          .sort()
      : [];
  } catch {
    names = [];
  }
  for (const name of names) {
    const abs = root.resolve(`${run}/model/${name}`);
    if (!abs) continue;
    let stamp: string;
    try {
      const st = statSync(abs);
      stamp = `${st.mtimeMs}-${st.size}`;
    } catch {
      continue;
    }
    const history = (readStateHeader(abs)?.state as { history?: unknown } | undefined)?.history;
    if (!Array.isArray(history) || !history.length) continue;
    out.files.push(`model/${name}`);
    out.stamps.push(stamp);
    out.series.push(...grouped(history, name.replace(/\.bin$/, '').replace(/^checkpoint-?/, '') || 'history'));
  }
  return out;
}

export function readCurves(root: RunsRoot, run: string): Curves {
  const sources: string[] = [];
  const stamps: string[] = [];
  const series: CurveSeries[] = [];
  for (const file of HISTORY_FILES) {
    const source = readSource(root, run, file);
    if (!source) continue;
    sources.push(file);
    stamps.push(source.stamp);
    series.push(...parseHistory(source.text, file.endsWith('.jsonl')));
    break;
  }
  if (!sources.length) {
    const metrics = readSource(root, run, 'metrics.json');
    let history: unknown;
    try {
      history = metrics ? (JSON.parse(metrics.text) as { history?: unknown }).history : undefined;
    } catch {
      history = undefined;
    }
    if (Array.isArray(history) && history.length) {
      sources.push('metrics.json');
      stamps.push(metrics!.stamp);
      series.push(...grouped(history, 'history'));
    }
  }
  if (!sources.length) {
    const found = checkpointHistories(root, run);
    sources.push(...found.files);
    stamps.push(...found.stamps);
    series.push(...found.series);
  }
  const rounds = readRoundsFiles(root, run);
  for (const f of rounds.files) {
    sources.push(f.file);
    series.push({ ...seriesOf(`${f.label} (rounds)`, f.records) });
  }
  if (rounds.stamp) stamps.push(rounds.stamp);
  return { source: sources.length ? sources.join(', ') : null, stamp: stamps.join('|') || 'none', series };
}
