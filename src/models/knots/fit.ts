/**
 * The knots training loop: Adam (plain JS, so its state checkpoints exactly) on minibatches
 * shuffled by a seeded generator, early stopping on the validation loss with `patience`, the best
 * epoch's weights restored at the end. With a checkpoint path the whole state (weights, Adam's
 * moments, the shuffle generator, the best weights and the early-stopping counters) is written
 * after every epoch, and a later call continues from it bit for bit: the same weights as an
 * uninterrupted run.
 */
import { createHash } from 'node:crypto';
import { tf } from '../../runtime/backend.js';
import type { Logger } from '../../runtime/log.js';
import { Random } from '../../runtime/random.js';
import { UserError } from '../../runtime/errors.js';
import { readStateFile, writeStateFile } from '../../runtime/state-file.js';
import { ADAM_DEFAULTS, adamStep, createAdamState, type AdamState } from '../denoiser/adam.js';
import { evenAccuracy, meanSquaredError } from './evaluation.js';
import type { KnotModel } from './model.js';

export interface FitSettings {
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  /** L2 penalty on the weight matrices, added to the mean loss. */
  weightDecay: number;
}

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  validation_loss: number;
  /** Validation mean squared error of the predicted signature (signature units). */
  validation_mse?: number;
  /** Validation share of rows whose prediction rounds to the right even signature. */
  validation_accuracy?: number;
}

export interface FitResult {
  history: EpochRecord[];
  bestEpoch: number;
  bestValidationLoss: number;
  /** Epochs already done when this call started (0 for a fresh fit). */
  resumedAt: number;
  stoppedEarly: boolean;
}

interface FitCheckpoint {
  /** The state file, rewritten after every epoch. */
  path: string;
  /** Continue from the state file when it exists. */
  resume: boolean;
}

export interface FitOptions {
  checkpoint?: FitCheckpoint;
  /** Called after every epoch (after its checkpoint). */
  onEpoch?: (record: EpochRecord) => void;
}

interface Rows {
  x: Float32Array;
  y: Float64Array;
}

interface FitState {
  epochsDone: number;
  bestEpoch: number;
  bestLoss: number;
  stoppedEarly: boolean;
  history: EpochRecord[];
  rng: number[];
  adamStep: number;
  fingerprint: string;
}

const FORMAT = 'sciml-knots-checkpoint/1';

/** Mean per-example training loss over standardized rows, in batches. */
export function meanLoss(model: KnotModel, x: Float32Array, y: Float64Array, batchSize = 8192): number {
  const d = model.features.length;
  const n = y.length;
  let total = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    total += tf.tidy(() => {
      const xb = tf.tensor2d(x.subarray(start * d, end * d), [end - start, d]);
      const yb = tf.tensor1d(Float32Array.from(y.subarray(start, end)));
      return tf.sum(model.trainingLoss(xb, yb)).dataSync()[0];
    });
  }
  return total / n;
}

/** What must match for a checkpoint to be continued: everything that shapes the trajectory but the epoch budget and patience. */
export function fitFingerprint(
  model: KnotModel,
  train: Rows,
  validation: Rows,
  settings: FitSettings,
  initial: Float32Array = model.mlp.flatWeights(),
): string {
  const h = createHash('sha256');
  const { maxEpochs: _m, patience: _p, ...trajectory } = settings;
  h.update(JSON.stringify({ features: model.features, objective: model.objective, spec: model.mlp.spec, trajectory }));
  for (const a of [train.x, train.y, validation.x, validation.y, initial])
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex').slice(0, 32);
}

/**
 * Mean training loss (plus weight decay) over the rows `batch` of the whole set (xAll, yAll); its
 * gradient goes into `out`, variable after variable.
 */
export function gradientStep(
  model: KnotModel,
  xAll: tf.Tensor2D,
  yAll: tf.Tensor1D,
  batch: Int32Array,
  weightDecay: number,
  out: Float32Array,
): number {
  return tf.tidy(() => {
    const idx = tf.tensor1d(batch, 'int32');
    const xb = tf.gather(xAll, idx) as tf.Tensor2D;
    const yb = tf.gather(yAll, idx) as tf.Tensor1D;
    const variables = model.mlp.variables;
    const { value, grads } = tf.variableGrads(() => {
      const loss = tf.mean(model.trainingLoss(xb, yb)) as tf.Scalar;
      if (weightDecay === 0) return loss;
      return tf.add(
        loss,
        tf.mul(weightDecay, tf.addN(model.mlp.kernels.map((k) => tf.sum(tf.square(k))))),
      ) as tf.Scalar;
    }, variables);
    let offset = 0;
    for (const v of variables) {
      const g = grads[v.name].dataSync() as Float32Array;
      out.set(g, offset);
      offset += g.length;
    }
    return value.dataSync()[0];
  });
}

/**
 * Adam on minibatches shuffled by `rng`, early stopping on the validation loss with `patience`;
 * the weights of the best validation epoch are restored at the end.
 */
export async function fitModel(
  model: KnotModel,
  train: Rows,
  validation: Rows,
  settings: FitSettings,
  rng: Random,
  log: Logger,
  label: string,
  options: FitOptions = {},
): Promise<FitResult> {
  const d = model.features.length;
  const n = train.y.length;
  const params = model.mlp.flatWeights();
  const fingerprint = fitFingerprint(model, train, validation, settings, params);
  const saved = options.checkpoint?.resume
    ? readStateFile<FitState>(options.checkpoint.path, 'sciml-knots-checkpoint/')
    : undefined;
  if (saved && saved.state.fingerprint !== fingerprint) {
    throw new UserError(
      `${options.checkpoint!.path}: this checkpoint was written for other data, model or training settings; resume only with the run's own config (max_epochs and patience may change)`,
    );
  }
  const state: FitState = saved?.state ?? {
    epochsDone: 0,
    bestEpoch: 0,
    bestLoss: Infinity,
    stoppedEarly: false,
    history: [],
    rng: rng.getState(),
    adamStep: 0,
    fingerprint,
  };
  state.bestLoss = state.bestLoss ?? Infinity; // JSON has no Infinity
  const adam: AdamState = saved
    ? { step: state.adamStep, m: saved.array<Float64Array>('adam_m'), v: saved.array<Float64Array>('adam_v') }
    : createAdamState(params.length);
  let bestParams = saved ? saved.array<Float32Array>('best_params') : params.slice();
  if (saved) params.set(saved.array<Float32Array>('params'));
  const shuffle = Random.fromState(state.rng);
  const resumedAt = state.epochsDone;
  if (saved) log.info(`${label}: resuming at epoch ${resumedAt + 1}`);
  const adamSettings = { learningRate: settings.learningRate, ...ADAM_DEFAULTS };
  const grads = new Float32Array(params.length);
  const xAll = tf.tensor2d(train.x, [n, d]);
  const yAll = tf.tensor1d(Float32Array.from(train.y));
  try {
    model.mlp.setFlatWeights(params);
    while (!state.stoppedEarly && state.epochsDone < settings.maxEpochs) {
      const epoch = state.epochsDone + 1;
      const order = shuffle.permutation(n);
      let sum = 0;
      for (let start = 0; start < n; start += settings.batchSize) {
        const end = Math.min(n, start + settings.batchSize);
        const cost = gradientStep(model, xAll, yAll, order.subarray(start, end), settings.weightDecay, grads);
        adamStep(params, grads, adam, adamSettings);
        model.mlp.setFlatWeights(params);
        sum += cost * (end - start);
      }
      const validationLoss = meanLoss(model, validation.x, validation.y);
      const predicted = model.predict(validation.x);
      const record: EpochRecord = {
        epoch,
        train_loss: sum / n,
        validation_loss: validationLoss,
        validation_mse: meanSquaredError(predicted, validation.y),
        validation_accuracy: evenAccuracy(predicted, validation.y),
      };
      state.history.push(record);
      log.progress(
        `${label}: epoch ${epoch}/${settings.maxEpochs}  train ${record.train_loss.toFixed(4)}  validation ${validationLoss.toFixed(4)}`,
      );
      if (validationLoss < state.bestLoss) {
        state.bestLoss = validationLoss;
        state.bestEpoch = epoch;
        bestParams = params.slice();
      } else if (epoch - state.bestEpoch >= settings.patience) state.stoppedEarly = true;
      state.epochsDone = epoch;
      state.rng = shuffle.getState();
      state.adamStep = adam.step;
      if (options.checkpoint)
        writeStateFile(options.checkpoint.path, FORMAT, state, {
          params,
          best_params: bestParams,
          adam_m: adam.m,
          adam_v: adam.v,
        });
      options.onEpoch?.(record);
    }
  } finally {
    xAll.dispose();
    yAll.dispose();
  }
  model.mlp.setFlatWeights(bestParams);
  log.done();
  return {
    history: state.history,
    bestEpoch: state.bestEpoch,
    bestValidationLoss: state.bestLoss,
    resumedAt,
    stoppedEarly: state.stoppedEarly,
  };
}
