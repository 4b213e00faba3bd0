/**
 * The driver of data-parallel training (local SGD with periodic averaging). Every round each of
 * the N replicas starts from the same weights and Adam moments, takes its share of an epoch's
 * steps on its own shard (a `train-replica` job, on local threads or `sciml worker` processes),
 * and the driver combines the returned states in replica order (local-sgd.ts), validates, and
 * checkpoints. Workers never talk to each other; a job redelivered after a lost worker gives the
 * same bytes, and a resumed driver replays from its last checkpoint to the same weights.
 * One replica on the local executor runs inline: that is ordinary single-process training.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { writeJsonAtomic } from '../runtime/atomic.js';
import { UserError } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';
import type { BackendChoice } from '../runtime/backend.js';
import { createExecutor } from '../execution/create.js';
import { blobHash } from '../execution/files.js';
import type { Executor, JobOutcome, JobTable } from '../execution/job.js';
import { createAdamState, type AdamState } from '../models/denoiser/adam.js';
import type { DistributedSettings } from './config.js';
import { readDriverState, writeDriverState, type DriverState } from './checkpoint.js';
import type { ReplicaFamily } from './family.js';
import { combine, stepRange, type OuterState, type ReplicaState } from './local-sgd.js';
import { trainReplicaHandler, type ReplicaPayload, type ReplicaResult } from './replica-job.js';
import type { RoundRecord } from './rounds.js';
import { packReplicaState, unpackReplicaState } from './state-blob.js';

export interface TrainingSchedule {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** The learning rate is multiplied by this after every epoch. */
  learningRateDecay: number;
  /** Epochs without a better validation loss before stopping (0: never). */
  patience: number;
  minDelta: number;
}

interface Validation {
  /** Lower is better: picks the best round and drives early stopping. */
  loss: number;
  metrics: Record<string, number>;
}

export interface ExecutionTarget {
  /** `local` or a Redis URL. */
  spec: string;
  queue?: string;
  /** Where the spec came from, for errors (`--executor`, `config.yaml: execution.executor`). */
  origin?: string;
  /** The job kinds a local executor runs (the task's ctx.jobs). */
  jobs?: JobTable;
}

export interface DistributedTraining {
  family: string;
  /** The family's replica hook, for a replica run in this thread; threads and workers find it by `family` through the job table. */
  replicaFamily: ReplicaFamily;
  /** The family's model spec (JSON), handed to its replica trainer. */
  spec: unknown;
  backend?: BackendChoice;
  seed: number;
  /** One blob per replica: its examples. */
  shards: Uint8Array[];
  /** Examples in each shard. */
  shardExamples: number[];
  initial: Float32Array;
  schedule: TrainingSchedule;
  distributed: DistributedSettings;
  validate(params: Float32Array): Validation | Promise<Validation>;
  /** What a checkpoint must match to be continued (the family's data, model and loss settings). */
  fingerprint: string;
  execution: ExecutionTarget;
  /** A stable name for this training within its run (the run directory and model), so a resumed driver reattaches to its jobs. */
  runKey: string;
  checkpointPath?: string;
  resume?: boolean;
  /** Rewritten after every round with the round records (per-round observability). */
  roundsFile?: string;
  log: Logger;
  label: string;
  onRound?(record: RoundRecord): void;
}

export interface DistributedOutcome {
  params: Float32Array;
  /** Adam's combined moments after the last round (a model file that continues training keeps them). */
  adam: AdamState;
  bestParams: Float32Array;
  /** 1-based; 0 when no round ran. */
  bestRound: number;
  bestLoss: number;
  history: RoundRecord[];
  stoppedEarly: boolean;
  /** Rounds already done when this call started. */
  resumedAt: number;
  replicas: number;
  executor: string;
}

function fingerprintOf(t: DistributedTraining): string {
  const { replicas, roundsPerEpoch, outer, outerLearningRate, outerMomentum } = t.distributed;
  const { epochs: _e, patience: _p, ...trajectory } = t.schedule;
  return createHash('sha256')
    .update(
      JSON.stringify({
        family: t.fingerprint,
        replicas,
        roundsPerEpoch,
        outer,
        outerLearningRate,
        outerMomentum,
        trajectory,
      }),
    )
    .digest('hex')
    .slice(0, 32);
}

/** Shards on SharedArrayBuffers: local threads read them without a copy per round. */
function shared(data: Uint8Array): Uint8Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const out = new Uint8Array(new SharedArrayBuffer(data.byteLength));
  out.set(data);
  return out;
}

/** Runs jobs in this thread: one local replica is plain training, without a thread or a copy. */
class InlineRunner implements Pick<Executor, 'name' | 'submit' | 'close'> {
  readonly name = 'local';
  private readonly handler: ReturnType<typeof trainReplicaHandler>;
  constructor(family: ReplicaFamily) {
    this.handler = trainReplicaHandler(async () => family);
  }
  async submit<R>(job: { id: string; payload: unknown; inputs?: Record<string, Uint8Array> }): Promise<JobOutcome<R>> {
    const startedMs = Date.now();
    const out = await this.handler(job.payload as ReplicaPayload, job.inputs ?? {}, {
      jobId: job.id,
      signal: new AbortController().signal,
      progress: () => {},
      scratchDir: '',
    });
    return {
      id: job.id,
      status: 'ok',
      result: out.result as R,
      artifacts: out.artifacts,
      worker: 'local:inline',
      attempts: 1,
      startedMs,
      endedMs: Date.now(),
    };
  }
  async close(): Promise<void> {}
}

/** One replica's average is its own weights: ordinary training, whatever the outer optimizer. */
function outerOf(d: DistributedSettings): DistributedSettings['outer'] {
  return d.replicas === 1 ? 'average' : d.outer;
}

function freshState(t: DistributedTraining, fingerprint: string): DriverState {
  return {
    roundsDone: 0,
    bestRound: 0,
    bestLoss: Infinity,
    roundsWithoutImprovement: 0,
    stoppedEarly: false,
    history: [],
    params: t.initial.slice(),
    bestParams: t.initial.slice(),
    adam: createAdamState(t.initial.length),
    velocity: new Float64Array(outerOf(t.distributed) === 'nesterov' ? t.initial.length : 0),
    fingerprint,
  };
}

export async function trainDistributed(t: DistributedTraining): Promise<DistributedOutcome> {
  const { distributed: d, schedule: s, log } = t;
  const replicas = d.replicas;
  if (t.shards.length !== replicas)
    throw new Error(`trainDistributed: ${t.shards.length} shards for ${replicas} replicas`);
  if (d.minReplicas > replicas)
    throw new UserError(
      `training.distributed.min_replicas: expected at most replicas (${replicas}), got ${d.minReplicas}`,
    );
  const fingerprint = fingerprintOf(t);
  const previous = t.resume && t.checkpointPath ? readDriverState(t.checkpointPath) : undefined;
  if (t.resume && t.checkpointPath && !previous)
    log.warn(`${t.checkpointPath}: no checkpoint to resume from; training from the start`);
  if (previous && previous.fingerprint !== fingerprint) {
    throw new UserError(
      `${t.checkpointPath}: this checkpoint was written for a different model, data, replica count or training settings; resume only with the run's own config (epochs and patience may change)`,
    );
  }
  const state = previous ?? freshState(t, fingerprint);
  const resumedAt = state.roundsDone;
  if (previous)
    log.info(
      `${t.label}: resuming at round ${resumedAt + 1} (best so far: round ${state.bestRound}, validation loss ${state.bestLoss.toPrecision(4)})`,
    );
  const outer: OuterState = {
    kind: outerOf(d),
    learningRate: d.outerLearningRate,
    momentum: d.outerMomentum,
    velocity: state.velocity,
  };
  const local = t.execution.spec === 'local';
  const executor: Pick<Executor, 'name' | 'submit' | 'close'> =
    local && replicas === 1
      ? new InlineRunner(t.replicaFamily)
      : await createExecutor({
          jobs: t.execution.jobs,
          spec: t.execution.spec,
          slots: local ? Math.max(1, Math.min(replicas, availableParallelism() * 4)) : undefined,
          isolation: 'thread',
          origin: t.execution.origin,
          queue: t.execution.queue,
          runId: `train-${createHash('sha256').update(`${t.runKey}\n${fingerprint}`).digest('hex').slice(0, 16)}`,
          warn: (m) => log.warn(m),
        });
  const shards = local && replicas > 1 ? t.shards.map(shared) : t.shards;
  const shardKeys = shards.map(blobHash);
  const shipped = new Set<number>();
  const patienceRounds = s.patience * d.roundsPerEpoch;
  const totalRounds = s.epochs * d.roundsPerEpoch;
  const canContinue = () => !state.stoppedEarly && state.roundsDone < totalRounds;
  try {
    while (canContinue()) {
      const round = state.roundsDone;
      const epoch = Math.floor(round / d.roundsPerEpoch);
      const chunk = round % d.roundsPerEpoch;
      const learningRate = s.learningRate * Math.pow(s.learningRateDecay, epoch);
      const t0 = performance.now();
      const stateBlob = packReplicaState({ params: state.params, adam: state.adam });
      const outcomes = await Promise.all(
        shards.map((shard, replica) => {
          const { from, to } = stepRange(t.shardExamples[replica], s.batchSize, chunk, d.roundsPerEpoch);
          const payload: ReplicaPayload = {
            family: t.family,
            spec: t.spec,
            shardKey: shardKeys[replica],
            backend: t.backend,
            seed: t.seed,
            replica,
            replicas,
            round,
            epoch,
            fromStep: from,
            toStep: to,
            batchSize: s.batchSize,
            learningRate,
          };
          return executor.submit<ReplicaResult>({
            kind: 'train-replica',
            id: `${t.label}/round-${round}/replica-${replica}`,
            payload,
            inputs: { shard, state: stateBlob },
          });
        }),
      );
      const ok = outcomes
        .map((o, replica) => ({ o, replica }))
        .filter(({ o }) => o.status === 'ok' && o.artifacts?.state);
      const lost = outcomes
        .map((o, replica) => ({ o, replica }))
        .filter(({ o }) => !(o.status === 'ok' && o.artifacts?.state));
      if (lost.length > 0) {
        const why = lost
          .map(({ o, replica }) => `replica ${replica}: ${String(o.error ?? o.status).split('\n')[0]}`)
          .join('; ');
        if (d.minReplicas === 0 || ok.length < d.minReplicas)
          throw new Error(
            `${t.label}: round ${round + 1} lost ${lost.length} of ${replicas} replicas (${why})${d.minReplicas ? `, fewer than min_replicas ${d.minReplicas}` : ''}; the run can be resumed`,
          );
        log.warn(`${t.label}: round ${round + 1} closes with ${ok.length} of ${replicas} replicas (${why})`);
      }
      const states: ReplicaState[] = ok.map(({ o }) => unpackReplicaState(o.artifacts!.state));
      combine(state.params, state.adam, outer, states);
      const v0 = performance.now();
      const validation = await t.validate(state.params);
      const validationS = (performance.now() - v0) / 1000;
      const seconds = (performance.now() - t0) / 1000;
      let bytes = 0;
      for (const { o, replica } of ok) {
        bytes += stateBlob.byteLength + o.artifacts!.state.byteLength;
        if (!shipped.has(replica)) {
          shipped.add(replica);
          bytes += shards[replica].byteLength;
        }
      }
      const results = ok.map(({ o }) => o.result as ReplicaResult);
      const lossSum = results.reduce((a, r) => a + r.lossSum, 0);
      const examples = results.reduce((a, r) => a + r.examples, 0);
      const computeS = Math.max(0, ...results.map((r) => r.computeMs / 1000));
      const setupS = Math.max(0, ...results.map((r) => (r.setupMs ?? 0) / 1000));
      const record: RoundRecord = {
        round: round + 1,
        epoch: (round + 1) / d.roundsPerEpoch,
        train_loss: lossSum / Math.max(1, examples),
        val_loss: validation.loss,
        metrics: validation.metrics,
        learning_rate: learningRate,
        seconds,
        examples,
        examples_per_s: examples / seconds,
        replicas: ok.length,
        lost: lost.map(({ replica }) => replica),
        bytes_moved: bytes,
        compute_s: computeS,
        setup_s: setupS,
        validation_s: validationS,
        overhead_s: Math.max(0, seconds - setupS - computeS - validationS),
        jobs: ok.map(({ o, replica }) => ({
          replica,
          worker: o.worker ?? '?',
          attempts: o.attempts,
          started_ms: o.startedMs,
          ended_ms: o.endedMs,
          setup_s: ((o.result as ReplicaResult).setupMs ?? 0) / 1000,
          compute_s: (o.result as ReplicaResult).computeMs / 1000,
          examples: (o.result as ReplicaResult).examples,
        })),
      };
      state.history.push(record);
      if (validation.loss < state.bestLoss - s.minDelta) {
        state.bestLoss = validation.loss;
        state.bestRound = round + 1;
        state.bestParams = state.params.slice();
        state.roundsWithoutImprovement = 0;
      } else state.roundsWithoutImprovement++;
      state.roundsDone = round + 1;
      if (patienceRounds > 0 && state.roundsWithoutImprovement >= patienceRounds) state.stoppedEarly = true;
      if (t.checkpointPath) writeDriverState(t.checkpointPath, state);
      if (t.roundsFile)
        writeJsonAtomic(t.roundsFile, { label: t.label, replicas, executor: executor.name, rounds: state.history });
      log.info(
        `${t.label}: round ${record.round}/${totalRounds}  train ${record.train_loss.toExponential(3)}  validation ` +
          `${record.val_loss.toExponential(3)}${state.bestRound === record.round ? ' (best)' : ''}  ` +
          `${ok.length}/${replicas} replicas  ${record.examples_per_s.toFixed(0)} examples/s`,
      );
      t.onRound?.(record);
    }
  } finally {
    await executor.close();
  }
  return {
    params: state.params,
    adam: state.adam,
    bestParams: state.bestParams,
    bestRound: state.bestRound,
    bestLoss: state.bestLoss,
    history: state.history,
    stoppedEarly: state.stoppedEarly,
    resumedAt,
    replicas,
    executor: executor.name,
  };
}
