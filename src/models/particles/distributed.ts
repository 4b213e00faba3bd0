/**
 * The particles family's hook into distributed training (src/distributed/). Each replica streams
 * its own Parquet shards from a path every worker sees: its shard blob names the files (and their
 * row counts, checked on the worker), never carries events, and no replica opens another's files.
 * A replica reads through the same reader, shuffle buffer and dropout seeds as the single-process
 * loop (train.ts), seeded by (seed, replica, epoch), so one replica is that loop step for step.
 * The replicas train the Inclusive Classifier and the in-run HLF baseline side by side in one
 * parameter vector (Adam is elementwise: the same as two optimizers), so the paired comparison
 * and the report hold for distributed runs too.
 */
import { basename, resolve } from 'node:path';
import type { BackendChoice } from '../../runtime/backend.js';
import { UserError } from '../../runtime/errors.js';
import type { ReplicaFamily, ReplicaTrainer, StepPlan } from '../../distributed/family.js';
import type { DistributedSettings } from '../../distributed/config.js';
import { trainDistributed, type ExecutionTarget } from '../../distributed/driver.js';
import type { RoundRecord } from '../../distributed/rounds.js';
import {
  eventPart,
  inGroups,
  openEventDataset,
  partFilter,
  streamEvents,
  type ParticleEvent,
} from '../../data/particles/reader.js';
import { makeBatch } from './batch.js';
import { Network, paramCount, type NetSpec, type Standardizer } from './network.js';
import {
  batchGradients,
  dropoutSeedOf,
  fingerprintOf,
  freshModel,
  validationFigures,
  type EpochRecord,
  type ModelState,
  type Split,
  type TrainOptions,
  type TrainState,
} from './train.js';
import type { ParticlesConfig } from './config.js';
import { concatFloat32 } from '../../runtime/typed-arrays.js';

export interface ParticlesReplicaSpec {
  net: NetSpec;
  baseline?: NetSpec;
  norm: Record<keyof Standardizer, number[]>;
  maxParticles: number;
  shuffleBuffer: number;
  /** Decoded events a replica keeps for its epochs after the first (data.cache_mb), as the single-process loop does. */
  cacheBytes?: number;
  /** The split's seed and fractions: a replica keeps its shards' training events only. */
  splitSeed: number;
  fractions: { validation: number; test: number };
}

const SHARD_FORMAT = 'sciml-particles-shards/1';

interface ShardList {
  format: string;
  /** Absolute paths, in the dataset's order. */
  files: string[];
  rows: number[];
}

export interface ParticlesDistribution {
  settings: DistributedSettings;
  execution: ExecutionTarget;
  backend?: BackendChoice;
  runKey: string;
  /** The driver's per-round checkpoint (weights, Adam, outer velocity, history). */
  checkpointPath?: string;
  roundsFile?: string;
}

/** Shard i of the dataset goes to replica i mod replicas. */
export function replicaShards(shards: number, replica: number, replicas: number): number[] {
  return Array.from({ length: shards }, (_, i) => i).filter((i) => i % replicas === replica);
}

/** Training events of a shard: the split is a hash of (file name, row), so counting reads nothing. */
function trainEventsOf(
  name: string,
  rows: number,
  seed: number,
  fractions: { validation: number; test: number },
): number {
  let n = 0;
  for (let row = 0; row < rows; row++) if (eventPart(seed, name, row, fractions) === 'train') n++;
  return n;
}

function standardizerOf(n: ParticlesReplicaSpec['norm']): Standardizer {
  return {
    hlfMean: Float32Array.from(n.hlfMean),
    hlfStd: Float32Array.from(n.hlfStd),
    particleMean: Float32Array.from(n.particleMean),
    particleStd: Float32Array.from(n.particleStd),
  };
}

/** Where a replica's event stream stands, so the next round of the same epoch reads on instead of re-reading. */
interface Cursor {
  epoch: number;
  step: number;
  groups: AsyncGenerator<ParticleEvent[]>;
}

export const particlesReplicas: ReplicaFamily = {
  async open(spec: unknown, shard: Uint8Array): Promise<ReplicaTrainer> {
    const s = spec as ParticlesReplicaSpec;
    const list = JSON.parse(new TextDecoder().decode(shard)) as ShardList;
    if (list.format !== SHARD_FORMAT) throw new Error(`not a particles shard list (format ${String(list.format)})`);
    const ds = await openEventDataset(list.files, { cacheBytes: s.cacheBytes });
    ds.shards.forEach((sh, i) => {
      if (sh.rows !== list.rows[i])
        throw new UserError(
          `${sh.path}: expected ${list.rows[i]} events, as the driver saw, got ${sh.rows}: every worker must see the same files`,
        );
    });
    const filter = partFilter(ds, s.splitSeed, 'train', s.fractions);
    const norm = standardizerOf(s.norm);
    const sizes = [paramCount(s.net), s.baseline ? paramCount(s.baseline) : 0];
    const main = new Network(s.net, norm, new Float32Array(sizes[0]));
    const baseline = s.baseline ? new Network(s.baseline, norm, new Float32Array(sizes[1])) : undefined;
    const load = (params: Float32Array) => {
      main.setParams(params.subarray(0, sizes[0]));
      baseline?.setParams(params.subarray(sizes[0]));
    };
    let cursor: Cursor | undefined;
    const open = async (plan: StepPlan): Promise<Cursor> => {
      await cursor?.groups.return(undefined);
      const stream = streamEvents(ds, {
        seed: plan.seed,
        epoch: plan.epoch,
        replica: plan.replica,
        shuffleBuffer: s.shuffleBuffer,
        filter,
      });
      const c: Cursor = { epoch: plan.epoch, step: 0, groups: inGroups(stream, plan.batchSize) };
      // a job of a later round of this epoch, delivered to a fresh worker: read up to its first step
      for (; c.step < plan.fromStep; c.step++) if ((await c.groups.next()).done) break;
      return c;
    };
    return {
      examples: list.files.reduce(
        (n, f, i) => n + trainEventsOf(basename(f), list.rows[i], s.splitSeed, s.fractions),
        0,
      ),
      async train(params, step, plan, signal) {
        if (!cursor || cursor.epoch !== plan.epoch || cursor.step !== plan.fromStep) cursor = await open(plan);
        load(params);
        const grads = new Float32Array(params.length);
        let lossSum = 0,
          examples = 0;
        for (; cursor.step < plan.toStep; cursor.step++) {
          if (signal?.aborted) throw new Error('aborted');
          const next = await cursor.groups.next();
          if (next.done) break;
          const b = makeBatch(next.value, s.maxParticles);
          const dropoutSeed = dropoutSeedOf(plan.seed, plan.epoch, cursor.step, plan.replica);
          const m = batchGradients(main, b, dropoutSeed);
          grads.set(m.grads, 0);
          if (baseline) grads.set(batchGradients(baseline, b, dropoutSeed + 5).grads, sizes[0]);
          step(grads);
          load(params);
          lossSum += m.lossSum;
          examples += b.n;
        }
        return { lossSum, examples };
      },
      dispose() {
        void cursor?.groups.return(undefined);
        main.dispose();
        baseline?.dispose();
      },
    };
  },
};

/** A round's figures as the family's epoch record (fractional epochs with several rounds per epoch). */
function epochRecordOf(r: RoundRecord): EpochRecord {
  return {
    epoch: r.epoch,
    train_loss: r.train_loss,
    ...(r.metrics as Omit<EpochRecord, 'epoch' | 'train_loss' | 'seconds' | 'events_per_s'>),
    val_loss: r.val_loss,
    seconds: r.seconds,
    events_per_s: r.examples_per_s,
  };
}

export interface DistributedParticles {
  state: TrainState;
  rounds: RoundRecord[];
  replicas: number;
  executor: string;
}

/** What a replica trainer is built from (the job's spec): the networks, the standardizer, the reader's settings. */
export function replicaSpecOf(config: ParticlesConfig, split: Split, fresh: ModelState): ParticlesReplicaSpec {
  return {
    net: fresh.spec,
    baseline: fresh.baselineSpec,
    norm: {
      hlfMean: Array.from(fresh.norm.hlfMean),
      hlfStd: Array.from(fresh.norm.hlfStd),
      particleMean: Array.from(fresh.norm.particleMean),
      particleStd: Array.from(fresh.norm.particleStd),
    },
    maxParticles: fresh.maxParticles,
    shuffleBuffer: config.data.shuffle_buffer,
    cacheBytes: config.data.cache_mb * 2 ** 20,
    splitSeed: config.seed,
    fractions: split.fractions,
  };
}

/** A replica's shard input: its files (absolute paths) and their row counts, never events. */
export function shardListBlob(shards: { path: string; rows: number }[]): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      format: SHARD_FORMAT,
      files: shards.map((sh) => resolve(sh.path)),
      rows: shards.map((sh) => sh.rows),
    } satisfies ShardList),
  );
}

/** trainParticles on N replicas (local threads or `sciml worker` processes), each streaming its own shards. */
export async function trainParticlesDistributed(
  o: TrainOptions & { distribution: ParticlesDistribution },
): Promise<DistributedParticles> {
  const { config, split, log, distribution: how } = o;
  const replicas = how.settings.replicas;
  const shards = split.train.shards;
  if (shards.length < replicas) {
    throw new UserError(
      `training.distributed.replicas: ${replicas} replicas each stream their own shards, but ${split.train.source} ` +
        `has ${shards.length} shard${shards.length === 1 ? '' : 's'} (write more: sciml data generate particles ` +
        `--shards N, or data.simulate_shards)`,
    );
  }
  const seed = config.seed;
  const fresh = await freshModel(config, split);
  const spec = replicaSpecOf(config, split, fresh);
  const mine = Array.from({ length: replicas }, (_, r) =>
    replicaShards(shards.length, r, replicas).map((i) => shards[i]),
  );
  const blobs = mine.map(shardListBlob);
  const shardExamples = mine.map((list) =>
    list.reduce((n, sh) => n + trainEventsOf(basename(sh.path), sh.rows, seed, split.fractions), 0),
  );
  const nMain = fresh.params.length;
  const net = new Network(fresh.spec, fresh.norm, fresh.params);
  const baseline =
    fresh.baselineSpec && fresh.baselineParams
      ? new Network(fresh.baselineSpec, fresh.norm, fresh.baselineParams)
      : undefined;
  const validationFilter = partFilter(split.train, seed, 'validation', split.fractions);
  try {
    const outcome = await trainDistributed({
      family: 'particles',
      replicaFamily: particlesReplicas,
      spec,
      backend: how.backend,
      seed,
      shards: blobs,
      shardExamples,
      initial: concatFloat32(fresh.baselineParams ? [fresh.params, fresh.baselineParams] : [fresh.params]),
      schedule: {
        epochs: o.epochs ?? config.training.epochs,
        batchSize: config.training.batch_size,
        learningRate: config.training.learning_rate,
        learningRateDecay: 1,
        patience: 0,
        minDelta: 0,
      },
      distributed: how.settings,
      validate: async (params) => {
        net.setParams(params.subarray(0, nMain));
        baseline?.setParams(params.subarray(nMain));
        const { val_loss, ...metrics } = await validationFigures(
          split,
          seed,
          net,
          baseline,
          fresh.maxParticles,
          validationFilter,
        );
        return { loss: val_loss, metrics: metrics as Record<string, number> };
      },
      fingerprint: fingerprintOf(config, split),
      execution: how.execution,
      runKey: how.runKey,
      checkpointPath: how.checkpointPath,
      resume: o.resume,
      roundsFile: how.roundsFile,
      log,
      label: 'particles',
    });
    // the last weights, as the single-process loop keeps them (no early stopping here)
    const adam = outcome.adam;
    const history = outcome.history.map(epochRecordOf);
    const state: TrainState = {
      ...fresh,
      params: outcome.params.slice(0, nMain),
      baselineParams: fresh.baselineParams ? outcome.params.slice(nMain) : undefined,
      adam: { step: adam.step, m: adam.m.slice(0, nMain), v: adam.v.slice(0, nMain) },
      baselineAdam: fresh.baselineParams
        ? { step: adam.step, m: adam.m.slice(nMain), v: adam.v.slice(nMain) }
        : undefined,
      epochsDone: Math.floor(outcome.history.length / how.settings.roundsPerEpoch),
      history,
      fingerprint: fingerprintOf(config, split),
    };
    return { state, rounds: outcome.history, replicas, executor: outcome.executor };
  } finally {
    net.dispose();
    baseline?.dispose();
  }
}
