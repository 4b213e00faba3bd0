/**
 * The denoiser's training: Adam on the mean squared error over minibatches drawn in a seeded order
 * per epoch, validation after each round, best parameters kept, early stopping, a checkpoint per
 * round from which an interrupted run resumes to the same result. It runs on the shared
 * data-parallel mechanism (src/distributed/): one replica is ordinary training in this thread,
 * N replicas train on N shards of the traces (local threads or `sciml worker` processes) and are
 * averaged every round.
 */
import { createHash } from 'node:crypto';
import type { BackendChoice } from '../../runtime/backend.js';
import type { Logger } from '../../runtime/log.js';
import { Random } from '../../runtime/random.js';
import { UserError } from '../../runtime/errors.js';
import type { TraceSet } from '../../data/radio/traces.js';
import type { DistributedSettings } from '../../distributed/config.js';
import { trainDistributed, type ExecutionTarget, type TrainingSchedule } from '../../distributed/driver.js';
import type { RoundRecord } from '../../distributed/rounds.js';
import { shardRows } from '../../distributed/local-sgd.js';
import type { Architecture } from './architecture.js';
import type { EpochRecord } from './checkpoint.js';
import { denoiserReplicas, packTraceShard, type DenoiserReplicaSpec } from './distributed.js';
import { Replica, readParams, type WeightLayout } from './replica.js';

export interface TrainSettings extends TrainingSchedule {
  validationFraction: number;
  distributed: DistributedSettings;
  /** Peak tolerance in samples for the validation peak accuracy recorded per round. */
  peakTolerance: number;
}

export interface TrainOptions {
  arch: Architecture;
  seed: number;
  settings: TrainSettings;
  traces: TraceSet;
  backend: Exclude<BackendChoice, 'auto'>;
  log: Logger;
  /** Where the replicas run (default: this machine). */
  execution?: ExecutionTarget;
  /** Names this training for the engine's job ids (the run directory): a resumed driver reattaches to its jobs. */
  runKey?: string;
  /** Where the per-round checkpoint goes (omit for none). */
  checkpointPath?: string;
  /** Continue from the checkpoint at checkpointPath if there is one. */
  resume?: boolean;
  /** Per-round records (replicas, workers, bytes, timings), rewritten every round. */
  roundsFile?: string;
  /** Called after each round's checkpoint (tests use it to interrupt a run). */
  onEpochEnd?: (record: EpochRecord) => void;
}

export interface TrainOutcome {
  bestParams: Float32Array;
  layout: WeightLayout;
  history: EpochRecord[];
  rounds: RoundRecord[];
  bestEpoch: number;
  bestValLoss: number;
  stoppedEarly: boolean;
  replicas: number;
  executor: string;
  /** Rounds already done when this call started (0 for a fresh run). */
  resumedAt: number;
}

/** Validation and fitting indices: a seeded split of the traces. */
function splitValidation(count: number, fraction: number, seed: number): { fit: Int32Array; validation: Int32Array } {
  const nVal = Math.min(count - 1, Math.max(1, Math.round(count * fraction)));
  if (count < 2) throw new UserError(`training: expected at least 2 traces (one for validation), got ${count}`);
  const perm = new Random(seed).fork('validation').permutation(count);
  const validation = perm.slice(0, nVal).sort();
  const fit = perm.slice(nVal).sort();
  return { fit, validation };
}

function fingerprintOf(o: TrainOptions): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ arch: o.arch, seed: o.seed, validationFraction: o.settings.validationFraction }));
  h.update(new Uint8Array(o.traces.noisy.buffer, o.traces.noisy.byteOffset, o.traces.noisy.byteLength));
  h.update(new Uint8Array(o.traces.signal.buffer, o.traces.signal.byteOffset, o.traces.signal.byteLength));
  return h.digest('hex').slice(0, 32);
}

/** A round as the denoiser's history has always recorded an epoch. */
function epochRecordOf(r: RoundRecord): EpochRecord {
  return {
    epoch: r.epoch,
    train_loss: r.train_loss,
    val_loss: r.val_loss,
    val_peak_accuracy: r.metrics.peak_accuracy,
    learning_rate: r.learning_rate,
    seconds: r.seconds,
    traces_per_s: r.examples_per_s,
  };
}

export async function trainDenoiser(o: TrainOptions): Promise<TrainOutcome> {
  const { settings: s, traces } = o;
  const L = traces.length;
  const { fit, validation } = splitValidation(traces.count, s.validationFraction, o.seed);
  const replicas = s.distributed.replicas;
  if (fit.length < replicas)
    throw new UserError(
      `training.distributed.replicas: ${replicas} replicas need at least as many training traces, got ${fit.length}`,
    );
  // The validating model in this thread: built with the seed, so its weights are the initial ones.
  const checker = new Replica(o.arch, o.seed, traces);
  let version = 0;
  try {
    const outcome = await trainDistributed({
      family: 'denoiser',
      replicaFamily: denoiserReplicas,
      spec: { arch: o.arch, seed: o.seed } satisfies DenoiserReplicaSpec,
      backend: o.backend,
      seed: o.seed,
      shards: Array.from({ length: replicas }, (_, r) => packTraceShard(traces, shardRows(fit, r, replicas))),
      shardExamples: Array.from({ length: replicas }, (_, r) => shardRows(fit, r, replicas).length),
      initial: readParams(checker.model),
      schedule: {
        epochs: s.epochs,
        batchSize: s.batchSize,
        learningRate: s.learningRate,
        learningRateDecay: s.learningRateDecay,
        patience: s.patience,
        minDelta: s.minDelta,
      },
      distributed: s.distributed,
      validate: (params) => {
        checker.load(params, ++version);
        const { sse, hits } = checker.validate(validation, 256, s.peakTolerance);
        return { loss: sse / (validation.length * L), metrics: { peak_accuracy: hits / validation.length } };
      },
      fingerprint: fingerprintOf(o),
      execution: o.execution ?? { spec: 'local' },
      runKey: o.runKey ?? o.checkpointPath ?? 'denoiser',
      checkpointPath: o.checkpointPath,
      resume: o.resume,
      roundsFile: o.roundsFile,
      log: o.log,
      label: 'denoiser',
      onRound: (r) => o.onEpochEnd?.(epochRecordOf(r)),
    });
    return {
      bestParams: outcome.bestParams,
      layout: checker.layout,
      history: outcome.history.map(epochRecordOf),
      rounds: outcome.history,
      bestEpoch: outcome.bestRound,
      bestValLoss: outcome.bestLoss,
      stoppedEarly: outcome.stoppedEarly,
      replicas: outcome.replicas,
      executor: outcome.executor,
      resumedAt: outcome.resumedAt,
    };
  } finally {
    checker.model.dispose();
  }
}
