import { tf } from '../../runtime/backend.js';
import type { Logger } from '../../runtime/log.js';
import type { Random } from '../../runtime/random.js';
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
}

export interface FitResult {
  history: EpochRecord[];
  bestEpoch: number;
  bestValidationLoss: number;
}

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

/**
 * Adam on minibatches shuffled by `rng`, early stopping on the validation loss with `patience`;
 * the weights of the best validation epoch are restored at the end.
 */
export async function fitModel(model: KnotModel, train: { x: Float32Array; y: Float64Array }, validation: { x: Float32Array; y: Float64Array }, settings: FitSettings, rng: Random, log: Logger, label: string): Promise<FitResult> {
  const d = model.features.length;
  const n = train.y.length;
  const xAll = tf.tensor2d(train.x, [n, d]);
  const yAll = tf.tensor1d(Float32Array.from(train.y));
  const optimizer = tf.train.adam(settings.learningRate);
  const history: EpochRecord[] = [];
  const penalized = (loss: tf.Scalar): tf.Scalar => {
    if (settings.weightDecay === 0) return loss;
    return tf.add(loss, tf.mul(settings.weightDecay, tf.addN(model.mlp.kernels.map((k) => tf.sum(tf.square(k)))))) as tf.Scalar;
  };
  let best = { loss: Infinity, epoch: 0, weights: model.mlp.snapshot() };
  try {
    for (let epoch = 1; epoch <= settings.maxEpochs; epoch++) {
      const order = rng.permutation(n);
      let sum = 0;
      for (let start = 0; start < n; start += settings.batchSize) {
        const end = Math.min(n, start + settings.batchSize);
        const cost = tf.tidy(() => {
          const idx = tf.tensor1d(order.subarray(start, end), 'int32');
          const xb = tf.gather(xAll, idx) as tf.Tensor2D;
          const yb = tf.gather(yAll, idx) as tf.Tensor1D;
          return optimizer.minimize(() => penalized(tf.mean(model.trainingLoss(xb, yb)) as tf.Scalar), true, model.mlp.variables)!;
        });
        sum += (await cost.data())[0] * (end - start);
        cost.dispose();
      }
      const validationLoss = meanLoss(model, validation.x, validation.y);
      history.push({ epoch, train_loss: sum / n, validation_loss: validationLoss });
      log.progress(`${label}: epoch ${epoch}/${settings.maxEpochs}  train ${(sum / n).toFixed(4)}  validation ${validationLoss.toFixed(4)}`);
      if (validationLoss < best.loss) best = { loss: validationLoss, epoch, weights: model.mlp.snapshot() };
      else if (epoch - best.epoch >= settings.patience) break;
    }
  } finally {
    xAll.dispose();
    yAll.dispose();
    optimizer.dispose();
  }
  model.mlp.restore(best.weights);
  log.done();
  return { history, bestEpoch: best.epoch, bestValidationLoss: best.loss };
}
