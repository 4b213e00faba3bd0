/**
 * Streams events from Parquet shards, row group by row group, never a whole shard in memory:
 * - `openEventDataset(path)`: a file, directory or glob of shards; reads only footers, detects the
 *   layout (nested HLF_input/GRU_input/encoded_label, or flat label + HLF columns + particle list
 *   columns) and checks every shard has its columns;
 * - `readShardEvents(shard)`: the events of one shard in file order, validated row by row (a wrong
 *   list length or label is a UserError naming shard, row and column);
 * - `streamEvents(dataset, options)`: tf.data's interleave + shuffle for one replica: the given
 *   shards in an order shuffled per epoch, through a shuffle buffer, both seeded by
 *   (seed, replica, epoch), optionally filtered (train / validation / test split by event key).
 * Events keep only their real particles (padding rows dropped); batches pad to max_particles.
 */
import { basename } from 'node:path';
import { UserError } from '../../runtime/errors.js';
import { Random } from '../../runtime/random.js';
import { openParquet, readParquetColumns, type ParquetFile } from '../parquet.js';
import { listShards } from '../shards.js';
import {
  FLAT_LABEL,
  HLF_FEATURES,
  NESTED_COLUMNS,
  N_CLASSES,
  N_HLF,
  N_PARTICLE_FEATURES,
  PARTICLE_FEATURES,
} from './schema.js';

export type Layout = 'nested' | 'flat';

export interface EventShard {
  path: string;
  /** Position in the dataset's sorted shard list. */
  index: number;
  rows: number;
  file: ParquetFile;
}

export interface EventDataset {
  source: string;
  layout: Layout;
  shards: EventShard[];
  events: number;
  /** Decoded row groups kept for the next pass (epochs after the first), within a byte budget. */
  cache?: EventCache;
}

/**
 * Row groups of a dataset already decoded, kept up to `budget` bytes (the first ones read): every
 * epoch after the first reads those from memory instead of decoding Parquet again, as
 * tf.data's cache() does. A dataset larger than the budget streams the rest from disk as before.
 */
export class EventCache {
  private readonly groups = new Map<string, ParticleEvent[]>();
  private used = 0;

  constructor(readonly budget: number) {}

  get(key: string): ParticleEvent[] | undefined {
    return this.groups.get(key);
  }

  offer(key: string, events: ParticleEvent[]): void {
    // typed arrays and the object around them
    const bytes = events.reduce((n, e) => n + e.hlf.byteLength + e.particles.byteLength + 160, 0);
    if (this.used + bytes > this.budget) return;
    this.groups.set(key, events);
    this.used += bytes;
  }

  get bytes(): number {
    return this.used;
  }
}

/** One event: its HLF, its real particles (count x 19, sorted as stored), label and a stable key. */
export interface ParticleEvent {
  hlf: Float32Array;
  particles: Float32Array;
  count: number;
  label: number;
  /** Shard index and row: a stable identity for splits and paired comparisons. */
  shard: number;
  row: number;
}

const NESTED = [NESTED_COLUMNS.hlf, NESTED_COLUMNS.particles, NESTED_COLUMNS.label];
const FLAT = [FLAT_LABEL, ...HLF_FEATURES, ...PARTICLE_FEATURES];

/** `path`: a file, directory or glob; or the shard files themselves (a replica's share, in dataset order). */
export async function openEventDataset(
  path: string | string[],
  options: { labels?: boolean; cacheBytes?: number } = {},
): Promise<EventDataset> {
  const files = typeof path === 'string' ? listShards(path) : path;
  const shards: EventShard[] = [];
  let layout: Layout | undefined;
  for (const [index, p] of files.entries()) {
    const file = await openParquet(p);
    const mine: Layout = file.columns.includes(NESTED_COLUMNS.particles) ? 'nested' : 'flat';
    const wanted = (mine === 'nested' ? NESTED : FLAT).filter(
      (c) => options.labels !== false || (c !== FLAT_LABEL && c !== NESTED_COLUMNS.label),
    );
    const missing = wanted.filter((c) => !file.columns.includes(c));
    if (missing.length) {
      throw new UserError(
        `${p}: column '${missing[0]}': missing (${mine} particle layout needs ${wanted.join(', ')}; the file has ${file.columns.join(', ')})`,
      );
    }
    if (layout && mine !== layout)
      throw new UserError(`${p}: expected the ${layout} layout of ${files[0]}, got the ${mine} layout`);
    layout = mine;
    shards.push({ path: p, index, rows: file.numRows, file });
  }
  const cache = options.cacheBytes ? new EventCache(options.cacheBytes) : undefined;
  return {
    source: typeof path === 'string' ? path : path.join(', '),
    layout: layout!,
    shards,
    events: shards.reduce((n, s) => n + s.rows, 0),
    cache,
  };
}

/** The events of one shard, in file order, one row group at a time. */
export async function* readShardEvents(
  ds: EventDataset,
  shard: EventShard,
  options: { labels?: boolean } = {},
): AsyncGenerator<ParticleEvent> {
  const labels = options.labels !== false;
  for (const group of shard.file.rowGroups) {
    const key = `${shard.index}:${group.start}:${labels}`;
    const cached = ds.cache?.get(key);
    if (cached) {
      yield* cached;
      continue;
    }
    const events =
      ds.layout === 'nested'
        ? await nestedGroup(shard, group.start, group.rows, labels)
        : await flatGroup(shard, group.start, group.rows, labels);
    ds.cache?.offer(key, events);
    yield* events;
  }
}

async function nestedGroup(shard: EventShard, start: number, rows: number, labels: boolean): Promise<ParticleEvent[]> {
  const names = labels ? NESTED : NESTED.slice(0, 2);
  const cols = await readParquetColumns(shard.file, names, start, start + rows);
  const hlfCol = cols[NESTED_COLUMNS.hlf] as ArrayLike<ArrayLike<number> | null>;
  const partCol = cols[NESTED_COLUMNS.particles] as ArrayLike<ArrayLike<ArrayLike<number> | null> | null>;
  const labCol = cols[NESTED_COLUMNS.label] as ArrayLike<ArrayLike<number> | null> | undefined;
  const out: ParticleEvent[] = [];
  for (let i = 0; i < rows; i++) {
    const row = start + i;
    const where = (column: string) => `${shard.path}: row ${row}: column '${column}'`;
    const hlf = numberList(hlfCol[i], N_HLF, where(NESTED_COLUMNS.hlf));
    const list = partCol[i];
    if (!list) throw new UserError(`${where(NESTED_COLUMNS.particles)}: expected a list of particles, got null`);
    // the real particles: all but trailing all-zero rows (padding); a zero row before a real one stays
    const P = list.length;
    const flat = new Float32Array(P * N_PARTICLE_FEATURES);
    let count = 0;
    for (let p = 0; p < P; p++) {
      const v = list[p];
      if (!v || v.length !== N_PARTICLE_FEATURES) {
        throw new UserError(
          `${where(NESTED_COLUMNS.particles)}: expected ${N_PARTICLE_FEATURES} features per particle, particle ${p} has ${v ? v.length : 'null'}`,
        );
      }
      let nonzero = false;
      for (let f = 0; f < N_PARTICLE_FEATURES; f++) {
        const x = Number(v[f]);
        if (!Number.isFinite(x))
          throw new UserError(
            `${where(NESTED_COLUMNS.particles)}: particle ${p} feature '${PARTICLE_FEATURES[f]}': expected a finite number, got ${v[f]}`,
          );
        flat[p * N_PARTICLE_FEATURES + f] = x;
        if (x !== 0) nonzero = true;
      }
      if (nonzero) count = p + 1;
    }
    let label = -1;
    if (labCol) {
      const onehot = numberList(labCol[i], N_CLASSES, where(NESTED_COLUMNS.label));
      label = onehot.findIndex((x) => x === 1);
      if (label < 0 || onehot.some((x, k) => k !== label && x !== 0))
        throw new UserError(
          `${where(NESTED_COLUMNS.label)}: expected a one-hot list of ${N_CLASSES}, got [${Array.from(onehot).join(', ')}]`,
        );
    }
    out.push({ hlf, particles: flat.slice(0, count * N_PARTICLE_FEATURES), count, label, shard: shard.index, row });
  }
  return out;
}

async function flatGroup(shard: EventShard, start: number, rows: number, labels: boolean): Promise<ParticleEvent[]> {
  const names = labels ? FLAT : FLAT.slice(1);
  const cols = await readParquetColumns(shard.file, names, start, start + rows);
  const out: ParticleEvent[] = [];
  for (let i = 0; i < rows; i++) {
    const row = start + i;
    const where = (column: string) => `${shard.path}: row ${row}: column '${column}'`;
    const hlf = new Float32Array(N_HLF);
    HLF_FEATURES.forEach((name, k) => {
      const x = Number((cols[name] as ArrayLike<unknown>)[i]);
      if (!Number.isFinite(x))
        throw new UserError(`${where(name)}: expected a finite number, got ${(cols[name] as ArrayLike<unknown>)[i]}`);
      hlf[k] = x;
    });
    const first = (cols[PARTICLE_FEATURES[0]] as ArrayLike<ArrayLike<number> | null>)[i];
    const count = first ? first.length : 0;
    const particles = new Float32Array(count * N_PARTICLE_FEATURES);
    PARTICLE_FEATURES.forEach((name, f) => {
      const list = (cols[name] as ArrayLike<ArrayLike<number> | null>)[i];
      if (!list || list.length !== count)
        throw new UserError(
          `${where(name)}: expected ${count} values (one per particle, as '${PARTICLE_FEATURES[0]}' has), got ${list ? list.length : 'null'}`,
        );
      for (let p = 0; p < count; p++) {
        const x = Number(list[p]);
        if (!Number.isFinite(x))
          throw new UserError(`${where(name)}: particle ${p}: expected a finite number, got ${list[p]}`);
        particles[p * N_PARTICLE_FEATURES + f] = x;
      }
    });
    let label = -1;
    if (labels) {
      label = Number((cols[FLAT_LABEL] as ArrayLike<unknown>)[i]);
      if (!Number.isInteger(label) || label < 0 || label >= N_CLASSES)
        throw new UserError(
          `${where(FLAT_LABEL)}: expected a class index 0..${N_CLASSES - 1} (0 QCD, 1 tt, 2 W+jets), got ${(cols[FLAT_LABEL] as ArrayLike<unknown>)[i]}`,
        );
    }
    out.push({ hlf, particles, count, label, shard: shard.index, row });
  }
  return out;
}

function numberList(v: ArrayLike<number> | null | undefined, length: number, where: string): Float32Array {
  if (!v || v.length !== length)
    throw new UserError(`${where}: expected a list of ${length} numbers, got ${v ? `${v.length}` : 'null'}`);
  const out = new Float32Array(length);
  for (let k = 0; k < length; k++) {
    const x = Number(v[k]);
    if (!Number.isFinite(x)) throw new UserError(`${where}: element ${k}: expected a finite number, got ${v[k]}`);
    out[k] = x;
  }
  return out;
}

// ---------------------------------------------------------------- splits and shuffled streams

export type Part = 'train' | 'validation' | 'test';

/** Which part an event belongs to: a seeded hash of (shard file name, row), stable under resharding of nothing else. */
export function eventPart(
  seed: number,
  shardName: string,
  row: number,
  fractions: { validation: number; test: number },
): Part {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < shardName.length; i++) h = Math.imul(h ^ shardName.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ row, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  const u = h / 4294967296;
  return u < fractions.test ? 'test' : u < fractions.test + fractions.validation ? 'validation' : 'train';
}

export function partFilter(
  ds: EventDataset,
  seed: number,
  part: Part,
  fractions: { validation: number; test: number },
): (e: ParticleEvent) => boolean {
  const names = ds.shards.map((s) => basename(s.path));
  return (e) => eventPart(seed, names[e.shard], e.row, fractions) === part;
}

export interface StreamOptions {
  seed: number;
  epoch: number;
  /** Replica number in data-parallel training (0 alone). */
  replica?: number;
  /** Shard indices this replica reads (default all). */
  shards?: number[];
  /** Events held in the shuffle buffer (0: no shuffling, shards in order). */
  shuffleBuffer: number;
  filter?: (e: ParticleEvent) => boolean;
  /** Stop after this many events (after filtering). */
  limit?: number;
}

/** Shard order for (seed, replica, epoch): a permutation of the replica's shards. */
export function shardOrder(shards: number[], seed: number, replica: number, epoch: number, shuffle: boolean): number[] {
  if (!shuffle) return [...shards];
  const order = [...shards];
  new Random(seed).fork(`shards/${replica}/${epoch}`).shuffle(order);
  return order;
}

/** Events of the replica's shards, shard order shuffled per epoch and events through a shuffle buffer. */
export async function* streamEvents(ds: EventDataset, o: StreamOptions): AsyncGenerator<ParticleEvent> {
  const replica = o.replica ?? 0;
  const shuffle = o.shuffleBuffer > 0;
  const order = shardOrder(o.shards ?? ds.shards.map((s) => s.index), o.seed, replica, o.epoch, shuffle);
  const rng = new Random(o.seed).fork(`buffer/${replica}/${o.epoch}`);
  const buffer: ParticleEvent[] = [];
  let emitted = 0;
  const limit = o.limit ?? Infinity;
  for (const s of order) {
    for await (const e of readShardEvents(ds, ds.shards[s])) {
      if (o.filter && !o.filter(e)) continue;
      if (!shuffle) {
        yield e;
        if (++emitted >= limit) return;
        continue;
      }
      if (buffer.length < o.shuffleBuffer) {
        buffer.push(e);
        continue;
      }
      const j = rng.int(0, buffer.length);
      const out = buffer[j];
      buffer[j] = e;
      yield out;
      if (++emitted >= limit) return;
    }
  }
  rng.shuffle(buffer);
  for (const e of buffer) {
    yield e;
    if (++emitted >= limit) return;
  }
}

/** Groups a stream of events into arrays of `size` (the last one may be shorter). */
export async function* inGroups<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let group: T[] = [];
  for await (const item of items) {
    group.push(item);
    if (group.length >= size) {
      yield group;
      group = [];
    }
  }
  if (group.length) yield group;
}
