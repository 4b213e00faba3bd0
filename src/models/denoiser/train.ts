/**
 * The training loop: Adam on the mean squared error over minibatches drawn in a seeded order per
 * epoch, validation loss after each epoch, best parameters kept, early stopping, and a checkpoint
 * per epoch from which an interrupted run resumes to the same result.
 */
import { createHash } from 'node:crypto';
import type { BackendChoice } from '../../runtime/backend.js';
import type { Logger } from '../../runtime/log.js';
import { Random } from '../../runtime/random.js';
import { UserError } from '../../runtime/errors.js';
import type { TraceSet } from '../../data/radio/traces.js';
import type { Architecture } from './architecture.js';
import { ADAM_DEFAULTS, adamStep, createAdamState, type AdamSettings, type AdamState } from './adam.js';
import { readCheckpoint, writeCheckpoint, type EpochRecord, type TrainingState } from './checkpoint.js';
import { ReplicaPool, sharedCopy } from './parallel.js';
import type { WeightLayout } from './replica.js';

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** The learning rate is multiplied by this after every epoch (1: constant). */
  learningRateDecay: number;
  patience: number;
  minDelta: number;
  validationFraction: number;
  workers: number;
  /** Peak tolerance in samples for the validation peak accuracy recorded per epoch. */
  peakTolerance: number;
}

export interface TrainOptions {
  arch: Architecture;
  seed: number;
  settings: TrainSettings;
  traces: TraceSet;
  backend: Exclude<BackendChoice, 'auto'>;
  log: Logger;
  /** Where the per-epoch checkpoint goes (omit for none). */
  checkpointPath?: string;
  /** Continue from the checkpoint at checkpointPath if there is one. */
  resume?: boolean;
  /** Called after each epoch's checkpoint (tests use it to interrupt a run). */
  onEpochEnd?: (record: EpochRecord) => void;
}

export interface TrainOutcome {
  bestParams: Float32Array;
  layout: WeightLayout;
  history: EpochRecord[];
  bestEpoch: number;
  bestValLoss: number;
  stoppedEarly: boolean;
  workers: number;
  /** Epochs already done when this call started (0 for a fresh run). */
  resumedAt: number;
}

/** Validation and fitting indices: a seeded split of the traces. */
export function splitValidation(count: number, fraction: number, seed: number): { fit: Int32Array; validation: Int32Array } {
  const nVal = Math.min(count - 1, Math.max(1, Math.round(count * fraction)));
  if (count < 2) throw new UserError(`training: expected at least 2 traces (one for validation), got ${count}`);
  const perm = new Random(seed).fork('validation').permutation(count);
  const validation = perm.slice(0, nVal).sort();
  const fit = perm.slice(nVal).sort();
  return { fit, validation };
}

/** The order of the fitting traces in an epoch: a function of the seed and epoch only, so resumes replay it. */
export function epochOrder(fit: Int32Array, seed: number, epoch: number): Int32Array {
  const order = new Random(seed).fork(`epoch-${epoch}`).permutation(fit.length);
  const out = new Int32Array(fit.length);
  for (let i = 0; i < fit.length; i++) out[i] = fit[order[i]];
  return out;
}

function fingerprintOf(o: TrainOptions): string {
  const h = createHash('sha256');
  const { epochs: _e, patience: _p, workers: _w, peakTolerance: _t, ...trajectory } = o.settings;
  h.update(JSON.stringify({ arch: o.arch, seed: o.seed, trajectory }));
  h.update(new Uint8Array(o.traces.noisy.buffer, o.traces.noisy.byteOffset, o.traces.noisy.byteLength));
  h.update(new Uint8Array(o.traces.signal.buffer, o.traces.signal.byteOffset, o.traces.signal.byteLength));
  return h.digest('hex').slice(0, 32);
}

/**
 * One pass of Adam steps over `order` in minibatches (the last one may be smaller); returns the sum
 * of squared errors seen. Shared by the training loop and bench/denoiser.ts.
 */
export async function runSteps(pool: ReplicaPool, order: Int32Array, batchSize: number, adam: AdamState, settings: AdamSettings, grads: Float32Array, onStep?: (step: number, sseSoFar: number) => void): Promise<number> {
  const steps = Math.ceil(order.length / batchSize);
  let sse = 0;
  for (let step = 0; step < steps; step++) {
    const batch = order.subarray(step * batchSize, Math.min(order.length, (step + 1) * batchSize));
    sse += await pool.gradients(batch, grads);
    adamStep(pool.params, grads, adam, settings);
    pool.paramsChanged();
    onStep?.(step, sse);
  }
  return sse;
}

export async function trainDenoiser(o: TrainOptions): Promise<TrainOutcome> {
  const { settings: s, traces, log } = o;
  const L = traces.length;
  const { fit, validation } = splitValidation(traces.count, s.validationFraction, o.seed);
  const fingerprint = fingerprintOf(o);
  const previous = o.resume && o.checkpointPath ? readCheckpoint(o.checkpointPath) : undefined;
  if (o.resume && !previous) log.warn(`${o.checkpointPath ?? 'the run'}: no checkpoint to resume from; training from the start`);
  if (previous && previous.fingerprint !== fingerprint) {
    throw new UserError(`${o.checkpointPath}: this checkpoint was written for a different architecture, data or training settings; resume only with the run's own config (epochs and patience may change)`);
  }
  const workers = Math.max(1, Math.min(s.workers, Math.ceil(s.batchSize / 8)));
  const data = workers > 1 ? { length: L, noisy: sharedCopy(traces.noisy), signal: sharedCopy(traces.signal) } : { length: L, noisy: traces.noisy, signal: traces.signal };
  const pool = await ReplicaPool.create({ arch: o.arch, seed: o.seed, backend: o.backend, workers, data, initial: previous?.params });
  try {
    const layout = pool.local.layout;
    const state: TrainingState = previous ?? {
      epochsDone: 0,
      bestEpoch: -1,
      bestValLoss: Infinity,
      epochsWithoutImprovement: 0,
      finished: false,
      stoppedEarly: false,
      history: [],
      params: pool.params,
      bestParams: new Float32Array(pool.params),
      adam: createAdamState(layout.total),
      fingerprint,
    };
    state.params = pool.params; // train in the shared buffer the replicas read
    const resumedAt = state.epochsDone;
    if (previous) log.info(`resuming at epoch ${resumedAt + 1} (best so far: epoch ${state.bestEpoch + 1}, validation loss ${state.bestValLoss.toPrecision(4)})`);
    const grads = new Float32Array(layout.total);
    const canContinue = () => !state.stoppedEarly && state.epochsDone < s.epochs;
    while (canContinue()) {
      const epoch = state.epochsDone;
      const t0 = performance.now();
      const order = epochOrder(fit, o.seed, epoch);
      const adamSettings = { learningRate: s.learningRate * Math.pow(s.learningRateDecay, epoch), ...ADAM_DEFAULTS };
      const steps = Math.ceil(order.length / s.batchSize);
      const trainSse = await runSteps(pool, order, s.batchSize, state.adam, adamSettings, grads, (step, sse) => {
        if (step % 10 === 0) log.transient(`epoch ${epoch + 1}/${s.epochs}  step ${step + 1}/${steps}  train loss ${(sse / ((step + 1) * s.batchSize * L)).toExponential(3)}`);
      });
      const checked = await pool.validate(validation, 256, s.peakTolerance);
      const valLoss = checked.sse / (validation.length * L);
      const seconds = (performance.now() - t0) / 1000;
      const record: EpochRecord = {
        epoch: epoch + 1,
        train_loss: trainSse / (order.length * L),
        val_loss: valLoss,
        val_peak_accuracy: checked.hits / validation.length,
        learning_rate: adamSettings.learningRate,
        seconds,
        traces_per_s: order.length / seconds,
      };
      state.history.push(record);
      if (valLoss < state.bestValLoss - s.minDelta) {
        state.bestValLoss = valLoss;
        state.bestEpoch = epoch;
        state.bestParams = new Float32Array(pool.params);
        state.epochsWithoutImprovement = 0;
      } else state.epochsWithoutImprovement++;
      state.epochsDone = epoch + 1;
      if (s.patience > 0 && state.epochsWithoutImprovement >= s.patience) state.stoppedEarly = true;
      state.finished = !canContinue();
      log.info(`epoch ${record.epoch}/${s.epochs}  train ${record.train_loss.toExponential(3)}  validation ${valLoss.toExponential(3)} (peak accuracy ${record.val_peak_accuracy.toFixed(3)})${state.bestEpoch === epoch ? ' (best)' : ''}  ${record.traces_per_s.toFixed(0)} traces/s`);
      if (o.checkpointPath) writeCheckpoint(o.checkpointPath, state);
      o.onEpochEnd?.(record);
    }
    return {
      bestParams: state.bestParams,
      layout,
      history: state.history,
      bestEpoch: state.bestEpoch + 1,
      bestValLoss: state.bestValLoss,
      stoppedEarly: state.stoppedEarly,
      workers,
      resumedAt,
    };
  } finally {
    await pool.close();
  }
}
