/**
 * The training rows a tune trial needs (the encoded features, the target, the clamp), cached on
 * disk by the content of the table files and the data and feature settings. A tune run starts
 * hundreds of trial jobs, each in a fresh worker thread, on the same table: reading and planning
 * a CSV costs more than a short trial, decoding the cached matrix a few milliseconds. The cache
 * lives in `$SCIML_CACHE_DIR` (default: <tmpdir>/sciml-cache), is written atomically, and every
 * call returns the decoded cache bytes, so warm and cold calls see identical arrays.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskContext } from '../../contracts/task.js';
import { decodeStateFile, encodeStateFile, readStateFile, type DecodedState } from '../../runtime/state-file.js';
import { writeFileAtomic } from '../../runtime/atomic.js';
import { resolveDataPath } from '../../tabular/prepare.js';
import type { Matrix } from '../../learners/learner.js';
import type { TabularConfig } from './config.js';
import { prepareTabular } from './data.js';
import { modelInputsOf, type ModelInputs } from './model-io.js';

export interface TrialTable {
  X: Matrix;
  y: Float64Array;
  clampMin: number | null;
  /** What a saved model of the trial needs besides the learner. */
  model: Omit<ModelInputs, 'rows'>;
}

interface Header {
  names: string[];
  categorical: boolean[];
  categories: number[];
  rows: number;
  clampMin: number | null;
  model: Omit<ModelInputs, 'rows'>;
}

const FORMAT = 'sciml-tabular-cache/2';

function cacheDir(): string {
  return process.env.SCIML_CACHE_DIR || join(tmpdir(), 'sciml-cache');
}

/** What the prepared rows depend on; undefined when a table comes from stdin. */
function keyOf(ctx: TaskContext, config: TabularConfig): string | undefined {
  const h = createHash('sha256');
  const { log_target: _transform, ...features } = config.features;
  h.update(JSON.stringify({ format: FORMAT, seed: config.seed, data: config.data, features }));
  for (const path of [config.data.path, config.data.test_path]) {
    if (!path) continue;
    const full = resolveDataPath(path, ctx.configFile);
    if (full === '-') return undefined;
    try {
      h.update(readFileSync(full));
    } catch {
      return undefined; // let the reader report the missing file
    }
  }
  return h.digest('hex').slice(0, 40);
}

function decode(file: DecodedState<Header>): TrialTable {
  const { names, categorical, categories, rows, clampMin, model } = file.state;
  return {
    X: { rows, names, categorical, categories, columns: names.map((_, j) => file.array<Float64Array>(`x${j}`)) },
    y: file.array<Float64Array>('y'),
    clampMin,
    model,
  };
}

let last: { key: string; table: TrialTable } | undefined;

/** Forgets the in-process copy (the next call reads the disk cache). */
export function forgetTrialTable(): void {
  last = undefined;
}

export async function trialTable(ctx: TaskContext, config: TabularConfig): Promise<TrialTable> {
  const key = keyOf(ctx, config);
  if (key === undefined) {
    const prep = await prepareTabular(ctx, config);
    const { rows: _rows, ...model } = modelInputsOf(prep);
    return { X: prep.X, y: prep.y, clampMin: prep.clampMin, model };
  }
  if (last?.key === key) return last.table;
  const path = join(cacheDir(), `tabular-${key}.bin`);
  let file: DecodedState<Header> | undefined;
  try {
    file = readStateFile<Header>(path, 'sciml-tabular-cache/');
  } catch {
    file = undefined; // unreadable: rebuilt below
  }
  if (!file) {
    const prep = await prepareTabular(ctx, config);
    const arrays: Record<string, Float64Array> = { y: prep.y };
    prep.X.columns.forEach((c, j) => (arrays[`x${j}`] = Float64Array.from(c)));
    const header: Header = {
      names: prep.X.names,
      categorical: prep.X.categorical ?? prep.X.names.map(() => false),
      categories: prep.X.categories ?? prep.X.names.map(() => 0),
      rows: prep.X.rows,
      clampMin: prep.clampMin,
      model: (({ rows: _rows, ...model }) => model)(modelInputsOf(prep)),
    };
    const bytes = encodeStateFile(FORMAT, header, arrays);
    try {
      writeFileAtomic(path, bytes);
    } catch (err) {
      ctx.log.warn(`${path}: could not write the trial data cache (${(err as Error).message}); continuing without it`);
    }
    file = decodeStateFile<Header>(bytes, path, 'sciml-tabular-cache/');
  }
  const table = decode(file);
  last = { key, table };
  return table;
}
