/**
 * Streaming training: every epoch reads the training events shard by shard (shard order shuffled
 * per epoch, events through a shuffle buffer; memory holds one row group per open shard plus the
 * buffer, whatever the dataset's size), Adam steps on the categorical cross-entropy, then a
 * validation pass. The HLF baseline trains on the very same batches. A checkpoint after every epoch
 * holds parameters, Adam's moments and the history, so a resumed or continued run ends where an
 * uninterrupted one does (dropout seeds are a function of seed, epoch and step).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tf } from '../../runtime/backend.js';
import type { Logger } from '../../runtime/log.js';
import { UserError } from '../../runtime/errors.js';
import { readStateFile, writeStateFile } from '../../runtime/state-file.js';
import { concatFloat32 } from '../../runtime/typed-arrays.js';
import { ADAM_DEFAULTS, adamStep, createAdamState, type AdamState } from '../denoiser/adam.js';
import {
  inGroups,
  partFilter,
  streamEvents,
  type EventDataset,
  type Part,
  type ParticleEvent,
} from '../../data/particles/reader.js';
import { N_CLASSES } from '../../data/particles/schema.js';
import { fitStandardizer, makeBatch, type Batch } from './batch.js';
import { classifierMetrics } from './metrics.js';
import { directGradients, type BatchLoss } from './direct-step.js';
import { initialParams, Network, type NetSpec, type Standardizer } from './network.js';
import type { ParticlesConfig } from './config.js';

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  val_loss: number;
  val_accuracy: number;
  val_auc_macro: number;
  baseline_train_loss?: number;
  baseline_val_loss?: number;
  baseline_val_accuracy?: number;
  baseline_val_auc_macro?: number;
  seconds: number;
  /** Training events per second of the whole epoch: reading and shuffling the shards, batching, the optimizer steps. */
  events_per_s: number;
  /** Training events per second of the optimizer steps alone (forward, backward, Adam on both networks), as a peer with its data in memory measures. */
  step_events_per_s?: number;
}

export interface Split {
  train: EventDataset;
  /** Where validation and test events come from, and which part of it each is. */
  fractions: { validation: number; test: number };
  test: EventDataset;
  testPart: Part | undefined;
}

export interface ModelState {
  spec: NetSpec;
  baselineSpec?: NetSpec;
  norm: Standardizer;
  params: Float32Array;
  baselineParams?: Float32Array;
  maxParticles: number;
}

export interface TrainState extends ModelState {
  epochsDone: number;
  history: EpochRecord[];
  adam: AdamState;
  baselineAdam?: AdamState;
  fingerprint: string;
}

function specOf(config: ParticlesConfig): NetSpec {
  return {
    inputs: config.model.inputs,
    recurrent: config.model.recurrent,
    units: config.model.units,
    dense: config.model.dense,
    dropout: config.model.dropout,
  };
}

function baselineSpecOf(config: ParticlesConfig): NetSpec | undefined {
  if (!config.baseline.enabled || config.model.inputs === 'hlf') return undefined;
  return { inputs: 'hlf', recurrent: 'gru', units: 1, dense: config.baseline.dense, dropout: config.model.dropout };
}

export function fingerprintOf(config: ParticlesConfig, split: Split): string {
  // min_replicas may change on resume (a worker lost for good), cache_mb any time; the trajectory does not depend on them
  const {
    epochs: _e,
    checkpoint: _c,
    distributed: { min_replicas: _m, ...distributed },
    ...training
  } = config.training;
  const { cache_mb: _cache, ...data } = config.data;
  const shards = split.train.shards.map((s) => `${s.path}:${s.rows}`);
  return createHash('sha256')
    .update(
      JSON.stringify({
        seed: config.seed,
        model: config.model,
        baseline: config.baseline,
        data,
        training: { ...training, distributed },
        shards,
      }),
    )
    .digest('hex')
    .slice(0, 32);
}

const FORMAT = 'sciml-particles-checkpoint/1';

export function writeTrainState(path: string, s: TrainState): void {
  const arrays: Record<string, Float32Array | Float64Array> = {
    params: s.params,
    adam_m: s.adam.m,
    adam_v: s.adam.v,
    hlf_mean: s.norm.hlfMean,
    hlf_std: s.norm.hlfStd,
    particle_mean: s.norm.particleMean,
    particle_std: s.norm.particleStd,
  };
  if (s.baselineParams && s.baselineAdam)
    Object.assign(arrays, {
      baseline_params: s.baselineParams,
      baseline_adam_m: s.baselineAdam.m,
      baseline_adam_v: s.baselineAdam.v,
    });
  writeStateFile(
    path,
    FORMAT,
    {
      spec: s.spec,
      baselineSpec: s.baselineSpec,
      maxParticles: s.maxParticles,
      epochsDone: s.epochsDone,
      history: s.history,
      adamStep: s.adam.step,
      baselineAdamStep: s.baselineAdam?.step,
      fingerprint: s.fingerprint,
    },
    arrays,
  );
}

export function readTrainState(path: string): TrainState | undefined {
  if (!existsSync(path)) return undefined;
  const f = readStateFile<{
    spec: NetSpec;
    baselineSpec?: NetSpec;
    maxParticles: number;
    epochsDone: number;
    history: EpochRecord[];
    adamStep: number;
    baselineAdamStep?: number;
    fingerprint: string;
  }>(path, 'sciml-particles-checkpoint/');
  if (!f) return undefined;
  const h = f.state;
  const base = h.baselineSpec
    ? {
        baselineParams: f.array<Float32Array>('baseline_params'),
        baselineAdam: {
          step: h.baselineAdamStep ?? 0,
          m: f.array<Float64Array>('baseline_adam_m'),
          v: f.array<Float64Array>('baseline_adam_v'),
        },
      }
    : {};
  return {
    spec: h.spec,
    baselineSpec: h.baselineSpec,
    maxParticles: h.maxParticles,
    epochsDone: h.epochsDone,
    history: h.history,
    fingerprint: h.fingerprint,
    params: f.array<Float32Array>('params'),
    adam: { step: h.adamStep, m: f.array<Float64Array>('adam_m'), v: f.array<Float64Array>('adam_v') },
    norm: {
      hlfMean: f.array<Float32Array>('hlf_mean'),
      hlfStd: f.array<Float32Array>('hlf_std'),
      particleMean: f.array<Float32Array>('particle_mean'),
      particleStd: f.array<Float32Array>('particle_std'),
    },
    ...base,
  };
}

/** A batch's standardized inputs and particle mask as tensors (particles omitted for HLF-only networks). */
function batchTensors(
  net: Network,
  b: Batch,
): { hlf: tf.Tensor2D; particles: tf.Tensor3D | null; mask: tf.Tensor2D | null } {
  return net.prepareArrays(b.hlf, b.particles, b.n, b.T);
}

/**
 * The gradient of the batch's mean cross-entropy (at the network's current weights) and its summed
 * cross-entropy: by hand around oneDNN's sequence op on the native engine, through the tfjs tape elsewhere.
 */
export function batchGradients(net: Network, b: Batch, dropoutSeed: number): BatchLoss {
  return directGradients(net, b, dropoutSeed) ?? tapeGradients(net, b, dropoutSeed);
}

/** batchGradients through tfjs ops and tf.variableGrads (any backend). */
export function tapeGradients(net: Network, b: Batch, dropoutSeed: number): BatchLoss {
  let lossSum = 0;
  const grads = tf.tidy(() => {
    const { hlf, particles, mask } = batchTensors(net, b);
    const onehot = tf.oneHot(tf.tensor1d(b.labels, 'int32'), N_CLASSES);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(onehot, net.logitsPrepared(hlf, particles, mask, dropoutSeed)) as tf.Scalar,
      net.variables,
    );
    lossSum = (value.dataSync()[0] as number) * b.n;
    return net.flatGradients(grads);
  });
  return { lossSum, grads };
}

/** One Adam step; returns the batch's summed cross-entropy. */
function trainStep(
  net: Network,
  params: Float32Array,
  adam: AdamState,
  b: Batch,
  learningRate: number,
  dropoutSeed: number,
): number {
  const { lossSum, grads } = batchGradients(net, b, dropoutSeed);
  adamStep(params, grads, adam, { learningRate, ...ADAM_DEFAULTS });
  net.setParams(params);
  return lossSum;
}

/** The dropout seed of a step: a function of (seed, epoch, step, replica) only, so a resumed or redelivered step drops the same units. */
export function dropoutSeedOf(seed: number, epoch: number, step: number, replica = 0): number {
  return (seed * 7919 + epoch * 1000003 + step * 17 + replica * 7777777) >>> 0;
}

/** Softmax probabilities (n x 3, row-major) of a batch. */
export function predictBatch(net: Network, b: Batch): Float32Array {
  return tf.tidy(() => {
    const { hlf, particles, mask } = batchTensors(net, b);
    return tf.softmax(net.logitsPrepared(hlf, particles, mask)).dataSync() as Float32Array;
  });
}

export interface Scored {
  labels: Int32Array;
  probs: Float32Array;
  baselineProbs?: Float32Array;
  /** Event keys (shard * 2^32 + row) for paired comparisons. */
  keys: Float64Array;
  /** Events predicted per second by the main model. */
  eventsPerS: number;
}

/** Predictions of one or two networks over a stream of events (in file order). */
export async function scoreEvents(
  events: AsyncIterable<ParticleEvent>,
  net: Network,
  baseline: Network | undefined,
  maxParticles: number,
  batchSize: number,
): Promise<Scored> {
  const labels: number[] = [],
    keys: number[] = [];
  const probs: Float32Array[] = [],
    base: Float32Array[] = [];
  let seconds = 0;
  for await (const group of inGroups(events, batchSize)) {
    const b = makeBatch(group, maxParticles);
    const t0 = performance.now();
    probs.push(predictBatch(net, b));
    seconds += (performance.now() - t0) / 1000;
    if (baseline) base.push(predictBatch(baseline, b));
    for (const e of group) {
      labels.push(e.label);
      keys.push(e.shard * 4294967296 + e.row);
    }
  }
  return {
    labels: Int32Array.from(labels),
    probs: concatFloat32(probs),
    baselineProbs: baseline ? concatFloat32(base) : undefined,
    keys: Float64Array.from(keys),
    eventsPerS: labels.length / Math.max(seconds, 1e-9),
  };
}

function meanLogLoss(labels: Int32Array, probs: Float32Array): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= Math.log(Math.max(1e-15, probs[i * N_CLASSES + labels[i]]));
  return s / Math.max(1, labels.length);
}

export type ValidationFigures = Pick<
  EpochRecord,
  | 'val_loss'
  | 'val_accuracy'
  | 'val_auc_macro'
  | 'baseline_val_loss'
  | 'baseline_val_accuracy'
  | 'baseline_val_auc_macro'
>;

/** Log loss, accuracy and macro AUC of the model (and the HLF baseline) on the validation events. */
export async function validationFigures(
  split: Split,
  seed: number,
  net: Network,
  baseline: Network | undefined,
  maxParticles: number,
  filter = partFilter(split.train, seed, 'validation', split.fractions),
): Promise<ValidationFigures> {
  const val = await scoreEvents(
    streamEvents(split.train, { seed, epoch: 0, shuffleBuffer: 0, filter }),
    net,
    baseline,
    maxParticles,
    256,
  );
  const m = classifierMetrics(val.labels, val.probs);
  const out: ValidationFigures = {
    val_loss: meanLogLoss(val.labels, val.probs),
    val_accuracy: m.accuracy,
    val_auc_macro: m.auc_macro,
  };
  if (baseline && val.baselineProbs) {
    const mb = classifierMetrics(val.labels, val.baselineProbs);
    Object.assign(out, {
      baseline_val_loss: meanLogLoss(val.labels, val.baselineProbs),
      baseline_val_accuracy: mb.accuracy,
      baseline_val_auc_macro: mb.auc_macro,
    });
  }
  return out;
}

export interface TrainOptions {
  config: ParticlesConfig;
  split: Split;
  log: Logger;
  /** Train until this many epochs in total (default config.training.epochs). */
  epochs?: number;
  checkpointPath?: string;
  /** Continue from checkpointPath when it holds a checkpoint. */
  resume?: boolean;
  onEpoch?: (record: EpochRecord, state: TrainState) => void;
}

/** The untrained model of a config: seeded weights and the standardizer fitted on the first training events in file order. */
export async function freshModel(config: ParticlesConfig, split: Split): Promise<ModelState> {
  const seed = config.seed;
  const sample: ParticleEvent[] = [];
  const trainFilter = partFilter(split.train, seed, 'train', split.fractions);
  for await (const e of streamEvents(split.train, {
    seed,
    epoch: 0,
    shuffleBuffer: 0,
    filter: trainFilter,
    limit: config.data.standardize_events,
  }))
    sample.push(e);
  if (sample.length === 0)
    throw new UserError(
      `${split.train.source}: no training events (${split.train.events} events, validation ${split.fractions.validation}, test ${split.fractions.test})`,
    );
  const spec = specOf(config);
  const baselineSpec = baselineSpecOf(config);
  return {
    spec,
    baselineSpec,
    norm: fitStandardizer(sample),
    params: initialParams(spec, seed),
    baselineParams: baselineSpec ? initialParams(baselineSpec, seed + 1) : undefined,
    maxParticles: config.data.max_particles,
  };
}

export async function trainParticles(o: TrainOptions): Promise<TrainState> {
  const { config, split, log } = o;
  const seed = config.seed;
  const fingerprint = fingerprintOf(config, split);
  const trainFilter = partFilter(split.train, seed, 'train', split.fractions);
  const validationFilter = partFilter(split.train, seed, 'validation', split.fractions);
  let state = o.resume && o.checkpointPath ? readTrainState(o.checkpointPath) : undefined;
  if (state && state.fingerprint !== fingerprint) {
    throw new UserError(
      `${o.checkpointPath}: this checkpoint was written for a different model, data or training settings; continue only with the run's own config (epochs may change)`,
    );
  }
  if (!state) {
    const fresh = await freshModel(config, split);
    state = {
      ...fresh,
      epochsDone: 0,
      history: [],
      adam: createAdamState(fresh.params.length),
      baselineAdam: fresh.baselineParams ? createAdamState(fresh.baselineParams.length) : undefined,
      fingerprint,
    };
  }
  const s = state;
  const net = new Network(s.spec, s.norm, s.params);
  const baseline =
    s.baselineSpec && s.baselineParams ? new Network(s.baselineSpec, s.norm, s.baselineParams) : undefined;
  try {
    const epochs = o.epochs ?? config.training.epochs;
    for (let epoch = s.epochsDone; epoch < epochs; epoch++) {
      const t0 = performance.now();
      let loss = 0,
        baseLoss = 0,
        seen = 0,
        step = 0,
        stepSeconds = 0;
      const stream = streamEvents(split.train, {
        seed,
        epoch,
        shuffleBuffer: config.data.shuffle_buffer,
        filter: trainFilter,
      });
      for await (const group of inGroups(stream, config.training.batch_size)) {
        const b = makeBatch(group, s.maxParticles);
        const dropoutSeed = dropoutSeedOf(seed, epoch, step);
        const stepStart = performance.now();
        loss += trainStep(net, s.params, s.adam, b, config.training.learning_rate, dropoutSeed);
        if (baseline)
          baseLoss += trainStep(
            baseline,
            s.baselineParams!,
            s.baselineAdam!,
            b,
            config.training.learning_rate,
            dropoutSeed + 5,
          );
        stepSeconds += (performance.now() - stepStart) / 1000;
        seen += b.n;
        step++;
        log.progress?.(`epoch ${epoch + 1}/${epochs}: ${seen} events, loss ${(loss / seen).toFixed(4)}`);
      }
      const seconds = (performance.now() - t0) / 1000;
      const val = await validationFigures(split, seed, net, baseline, s.maxParticles, validationFilter);
      const record: EpochRecord = {
        epoch: epoch + 1,
        train_loss: loss / Math.max(1, seen),
        ...val,
        seconds,
        events_per_s: seen / Math.max(seconds, 1e-9),
        step_events_per_s: seen / Math.max(stepSeconds, 1e-9),
      };
      if (baseline) record.baseline_train_loss = baseLoss / Math.max(1, seen);
      s.history.push(record);
      s.epochsDone = epoch + 1;
      if (o.checkpointPath) writeTrainState(o.checkpointPath, s);
      log.info(
        `epoch ${epoch + 1}/${epochs}: train loss ${record.train_loss.toFixed(4)}, val loss ` +
          `${record.val_loss.toFixed(4)}, val acc ${record.val_accuracy.toFixed(4)}, val AUC ` +
          `${record.val_auc_macro.toFixed(4)}${record.baseline_val_auc_macro !== undefined ? ` (HLF ${record.baseline_val_auc_macro.toFixed(4)})` : ''}, ` +
          `${record.events_per_s.toFixed(0)} events/s`,
      );
      o.onEpoch?.(record, s);
    }
  } finally {
    net.dispose();
    baseline?.dispose();
  }
  return s;
}
