/**
 * Writes simulated events as Parquet shards, row group by row group (memory stays at one row group
 * whatever the number of events), in either layout the reader accepts:
 * - flat (default): `label` (0 QCD, 1 tt, 2 W+jets), the 14 HLF as scalar columns, and the 19
 *   particle features as list<double> columns with one entry per particle (no padding stored; the
 *   reader pads to max_particles);
 * - nested, the published schema: `HLF_input` list<double>[14], `GRU_input` list<list<double>>
 *   [max_particles x 19] zero-padded, `encoded_label` list<double>[3] one-hot.
 * An event with more than max_particles particles keeps the max_particles closest to the lepton
 * (the end of the sorted list).
 */
import { renameSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { temporaryPathFor } from '../../runtime/atomic.js';
import {
  FLAT_LABEL,
  HLF_FEATURES,
  NESTED_COLUMNS,
  N_CLASSES,
  N_PARTICLE_FEATURES,
  PARTICLE_FEATURES,
} from './schema.js';
import { simulateEvent, type SimulatedEvent, type SimulationOptions } from './simulate.js';

export type EventLayout = 'flat' | 'nested';

export interface ShardWriteOptions {
  layout: EventLayout;
  maxParticles: number;
  rowGroupSize: number;
  simulation?: SimulationOptions;
  metadata?: Record<string, string>;
}

/** Shard file names: part-00000.parquet, ... */
function shardName(index: number): string {
  return `part-${String(index).padStart(5, '0')}.parquet`;
}

/** Writes events [first, first + count) of the seeded simulation as one Parquet file. */
export function writeSimulatedShard(
  path: string,
  seed: number,
  first: number,
  count: number,
  options: ShardWriteOptions,
): void {
  const events = function* () {
    for (let i = first; i < first + count; i++) yield simulateEvent(seed, i, options.simulation);
  };
  writeEventShard(path, events(), options);
}

/** Writes events (any iterable, consumed row group by row group) as one Parquet file, atomically. */
export function writeEventShard(path: string, events: Iterable<SimulatedEvent>, options: ShardWriteOptions): void {
  const tmp = temporaryPathFor(path);
  try {
    const writer = new ParquetWriter({
      writer: fileWriter(tmp),
      schema: schemaFor(options.layout) as never,
      kvMetadata: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      createdBy: 'sciml',
    });
    let group: SimulatedEvent[] = [];
    const flush = () => {
      if (group.length === 0) return;
      writer.write({ columnData: columnsFor(group, options) as never, rowGroupSize: group.length });
      group = [];
    };
    for (const e of events) {
      group.push(e);
      if (group.length >= options.rowGroupSize) flush();
    }
    flush();
    writer.finish();
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes n events in `shards` files part-*.parquet under dir (created). */
export function writeSimulatedDataset(
  dir: string,
  n: number,
  shards: number,
  seed: number,
  options: ShardWriteOptions,
): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let s = 0; s < shards; s++) {
    const first = Math.floor((s * n) / shards);
    const last = Math.floor(((s + 1) * n) / shards);
    const file = join(dir, shardName(s));
    writeSimulatedShard(file, seed, first, last - first, options);
    files.push(file);
  }
  return files;
}

function schemaFor(layout: EventLayout): Record<string, unknown>[] {
  const list = (name: string, depth: number) => {
    const out: Record<string, unknown>[] = [];
    let n = name;
    for (let d = 0; d < depth; d++) {
      out.push(
        { name: n, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      );
      n = 'element';
    }
    out.push({ name: 'element', type: 'DOUBLE', repetition_type: 'OPTIONAL' });
    return out;
  };
  if (layout === 'nested') {
    return [
      { name: 'root', num_children: 3 },
      ...list(NESTED_COLUMNS.hlf, 1),
      ...list(NESTED_COLUMNS.particles, 2),
      ...list(NESTED_COLUMNS.label, 1),
    ];
  }
  return [
    { name: 'root', num_children: 1 + HLF_FEATURES.length + PARTICLE_FEATURES.length },
    { name: FLAT_LABEL, type: 'INT32', repetition_type: 'REQUIRED' },
    ...HLF_FEATURES.map((name) => ({ name, type: 'DOUBLE', repetition_type: 'REQUIRED' })),
    ...PARTICLE_FEATURES.flatMap((name) => list(name, 1)),
  ];
}

/** The particle rows kept: the last `max` of the sorted list (closest to the lepton). */
function keptRows(e: SimulatedEvent, max: number): { from: number; n: number } {
  const n = Math.min(e.n, max);
  return { from: e.n - n, n };
}

function columnsFor(events: SimulatedEvent[], options: ShardWriteOptions): { name: string; data: unknown[] }[] {
  const F = N_PARTICLE_FEATURES;
  if (options.layout === 'nested') {
    const P = options.maxParticles;
    const zero = new Array<number>(F).fill(0);
    return [
      { name: NESTED_COLUMNS.hlf, data: events.map((e) => Array.from(e.hlf)) },
      {
        name: NESTED_COLUMNS.particles,
        data: events.map((e) => {
          const { from, n } = keptRows(e, P);
          const rows: number[][] = [];
          for (let r = 0; r < n; r++) rows.push(Array.from(e.particles.subarray((from + r) * F, (from + r + 1) * F)));
          for (let r = n; r < P; r++) rows.push(zero);
          return rows;
        }),
      },
      {
        name: NESTED_COLUMNS.label,
        data: events.map((e) => Array.from({ length: N_CLASSES }, (_, k) => (k === e.label ? 1 : 0))),
      },
    ];
  }
  const columns: { name: string; data: unknown[] }[] = [{ name: FLAT_LABEL, data: events.map((e) => e.label) }];
  HLF_FEATURES.forEach((name, k) => columns.push({ name, data: events.map((e) => e.hlf[k]) }));
  PARTICLE_FEATURES.forEach((name, f) =>
    columns.push({
      name,
      data: events.map((e) => {
        const { from, n } = keptRows(e, options.maxParticles);
        const out = new Array<number>(n);
        for (let r = 0; r < n; r++) out[r] = e.particles[(from + r) * F + f];
        return out;
      }),
    }),
  );
  return columns;
}
