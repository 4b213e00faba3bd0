/**
 * `sciml predict` for particles runs, and the function `sciml serve` calls: class probabilities
 * and the predicted class of events. Inputs: Parquet shards (a file, directory or glob; either
 * layout, labels not needed), streamed in batches; or an Arrow IPC file with the nested columns
 * HLF_input (list of 14) and GRU_input (list of particles, each a list of 19; zero rows are padding).
 */
import { join } from 'node:path';
import { extname } from 'node:path';
import type { Table } from 'apache-arrow';
import { UserError } from '../../runtime/errors.js';
import type { PredictToFile } from '../../contracts/family.js';
import { int32Column, readArrowFile } from '../../data/arrow.js';
import { writeTableFile } from '../../data/write-table.js';
import { predictionsToArrow, writeRowNumberedPredictions, type Predictions } from '../../data/predictions.js';
import { inGroups, openEventDataset, streamEvents, type ParticleEvent } from '../../data/particles/reader.js';
import {
  CLASS_NAMES,
  HLF_FEATURES,
  NESTED_COLUMNS,
  N_CLASSES,
  N_HLF,
  N_PARTICLE_FEATURES,
} from '../../data/particles/schema.js';
import { makeBatch } from './batch.js';
import { Network } from './network.js';
import { predictBatch, readTrainState, type ModelState } from './train.js';
import { MODEL_FILE } from './task.js';

export interface LoadedParticles {
  state: ModelState;
  net: Network;
}

/** The backend must be initialized (initBackend) before this is called. */
export function loadParticlesPredictor(modelDir: string): LoadedParticles {
  const state = readTrainState(join(modelDir, MODEL_FILE));
  if (!state) throw new UserError(`${modelDir}: expected ${MODEL_FILE} of a particles run`);
  return { state, net: new Network(state.spec, state.norm, state.params) };
}

/** An event for prediction: 14 HLF and `count` particle rows of 19 (all-zero rows are padding). */
export type EventInput = Pick<ParticleEvent, 'hlf' | 'particles' | 'count'>;

export function predictEvents(loaded: LoadedParticles, events: EventInput[]): Predictions {
  const n = events.length;
  const probs = new Float32Array(n * N_CLASSES);
  for (let start = 0; start < n; start += 256) {
    const group = events.slice(start, start + 256).map((e) => ({ ...e, label: 0, shard: 0, row: 0 }));
    probs.set(predictBatch(loaded.net, makeBatch(group, loaded.state.maxParticles)), start * N_CLASSES);
  }
  const columns: Predictions['columns'] = CLASS_NAMES.map((name, k) => ({
    name: `p_${name}`,
    kind: 'float64' as const,
    values: Float64Array.from({ length: n }, (_, i) => probs[i * N_CLASSES + k]),
  }));
  columns.push({
    name: 'predicted',
    kind: 'string',
    values: Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let k = 1; k < N_CLASSES; k++) if (probs[i * N_CLASSES + k] > probs[i * N_CLASSES + best]) best = k;
      return CLASS_NAMES[best];
    }),
  });
  return { rows: n, columns };
}

/** Events of an Arrow table with the nested columns (HLF_input, GRU_input); problems name row and column. */
function eventsFromArrow(table: Table, source: string): EventInput[] {
  for (const c of [NESTED_COLUMNS.hlf, NESTED_COLUMNS.particles]) {
    if (!table.getChild(c))
      throw new UserError(
        `${source}: column '${c}': missing (expected ${NESTED_COLUMNS.hlf}: list of ${N_HLF} (${HLF_FEATURES.join(', ')}), ${NESTED_COLUMNS.particles}: list of particles of ${N_PARTICLE_FEATURES})`,
      );
  }
  const hlfCol = table.getChild(NESTED_COLUMNS.hlf)!;
  const partCol = table.getChild(NESTED_COLUMNS.particles)!;
  const out: EventInput[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const h = hlfCol.get(i) as { length: number; get(j: number): unknown } | null;
    if (!h || h.length !== N_HLF)
      throw new UserError(
        `${source}: row ${i}: column '${NESTED_COLUMNS.hlf}': expected a list of ${N_HLF} numbers, got ${h ? h.length : 'null'}`,
      );
    const hlf = Float32Array.from({ length: N_HLF }, (_, k) => Number(h.get(k)));
    const list = partCol.get(i) as {
      length: number;
      get(j: number): { length: number; get(k: number): unknown } | null;
    } | null;
    if (!list)
      throw new UserError(
        `${source}: row ${i}: column '${NESTED_COLUMNS.particles}': expected a list of particles, got null`,
      );
    const particles = new Float32Array(list.length * N_PARTICLE_FEATURES);
    let count = 0;
    for (let p = 0; p < list.length; p++) {
      const v = list.get(p);
      if (!v || v.length !== N_PARTICLE_FEATURES)
        throw new UserError(
          `${source}: row ${i}: column '${NESTED_COLUMNS.particles}': expected ${N_PARTICLE_FEATURES} features per particle, particle ${p} has ${v ? v.length : 'null'}`,
        );
      let nonzero = false;
      for (let f = 0; f < N_PARTICLE_FEATURES; f++) {
        const x = Number(v.get(f));
        if (!Number.isFinite(x))
          throw new UserError(
            `${source}: row ${i}: column '${NESTED_COLUMNS.particles}': particle ${p} feature ${f}: expected a finite number, got ${String(v.get(f))}`,
          );
        particles[p * N_PARTICLE_FEATURES + f] = x;
        if (x !== 0) nonzero = true;
      }
      if (nonzero) count = p + 1;
    }
    out.push({ hlf, particles: particles.subarray(0, count * N_PARTICLE_FEATURES), count });
  }
  return out;
}

const ARROW_EXTENSIONS = new Set(['.arrow', '.feather', '.ipc', '.arrows']);

export const predictToFile: PredictToFile = async ({ where, input, output }) => {
  const { initBackend } = await import('../../runtime/backend.js');
  await initBackend('auto');
  const loaded = loadParticlesPredictor(where.modelDir);
  try {
    if (input !== '-' && ARROW_EXTENSIONS.has(extname(input).toLowerCase())) {
      const events = eventsFromArrow(readArrowFile(input), input);
      return await writeRowNumberedPredictions(predictEvents(loaded, events), output);
    }
    if (input === '-')
      throw new UserError("--input: particles runs read Parquet shards or an Arrow file, got '-' (stdin)");
    const ds = await openEventDataset(input, { labels: false });
    const shards: number[] = [],
      rows: number[] = [];
    const parts: Predictions[] = [];
    for await (const group of inGroups(streamEvents(ds, { seed: 0, epoch: 0, shuffleBuffer: 0 }), 1024)) {
      parts.push(predictEvents(loaded, group));
      for (const e of group) {
        shards.push(e.shard);
        rows.push(e.row);
      }
    }
    const p = concatPredictions(parts);
    await writeTableFile(
      predictionsToArrow(p, { shard: int32Column(Int32Array.from(shards)), row: int32Column(Int32Array.from(rows)) }),
      output,
    );
    return { rows: p.rows, output };
  } finally {
    loaded.net.dispose();
  }
};

function concatPredictions(parts: Predictions[]): Predictions {
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  if (parts.length === 0) return { rows: 0, columns: [] };
  const columns = parts[0].columns.map((c, j) => {
    if (c.kind === 'string') return { ...c, values: parts.flatMap((p) => p.columns[j].values as (string | null)[]) };
    const values = new Float64Array(rows);
    let at = 0;
    for (const p of parts) {
      values.set(p.columns[j].values as Float64Array, at);
      at += p.rows;
    }
    return { ...c, values } as Predictions['columns'][number];
  });
  return { rows, columns };
}
