/**
 * The knots family's hook into distributed training (src/distributed/): a replica trains the MLP
 * on a shard of standardized rows; its spec is the model's saved state (features, scaling,
 * objective, architecture) and the weight decay. `fitDistributed` replaces fitModel (pipeline.ts)
 * when training.distributed.replicas > 1 or the executor is remote.
 */
import { tf } from '../../runtime/backend.js';
import type { Logger } from '../../runtime/log.js';
import type { BackendChoice } from '../../runtime/backend.js';
import { float32Of, float64Of, packRecord, unpackRecord } from '../../execution/codec.js';
import type { ReplicaFamily, ReplicaTrainer } from '../../distributed/family.js';
import type { DistributedSettings } from '../../distributed/config.js';
import { trainDistributed, type ExecutionTarget } from '../../distributed/driver.js';
import { shardRows } from '../../distributed/local-sgd.js';
import { evenAccuracy, meanSquaredError } from './evaluation.js';
import { KnotModel, type KnotModelState } from './model.js';
import { gradientStep, meanLoss, type EpochRecord, type FitResult, type FitSettings } from './fit.js';

interface KnotsReplicaSpec {
  model: KnotModelState;
  weightDecay: number;
}

const SHARD_FORMAT = 'sciml-knots-shard/1';

interface Rows {
  x: Float32Array;
  y: Float64Array;
}

function packRows(rows: Rows, d: number, pick: Int32Array): Uint8Array {
  const x = new Float32Array(pick.length * d);
  const y = new Float64Array(pick.length);
  pick.forEach((i, j) => {
    x.set(rows.x.subarray(i * d, (i + 1) * d), j * d);
    y[j] = rows.y[i];
  });
  return packRecord({ format: SHARD_FORMAT, count: pick.length, d }, { x, y });
}

export const knotsReplicas: ReplicaFamily = {
  open(spec: unknown, shard: Uint8Array): ReplicaTrainer {
    const s = spec as KnotsReplicaSpec;
    const { meta, sections } = unpackRecord(shard);
    const m = meta as { format?: string; count: number; d: number };
    if (m.format !== SHARD_FORMAT) throw new Error(`not a knots shard (format ${String(m.format)})`);
    const model = KnotModel.fromState(s.model);
    const xAll = tf.tensor2d(float32Of(sections.x), [m.count, m.d]);
    const yAll = tf.tensor1d(Float32Array.from(float64Of(sections.y)));
    return {
      examples: m.count,
      gradients(params, batch, gradsOut) {
        model.mlp.setFlatWeights(params);
        return gradientStep(model, xAll, yAll, batch, s.weightDecay, gradsOut);
      },
      dispose() {
        tf.dispose([xAll, yAll]);
        model.dispose();
      },
    };
  },
};

export interface KnotsDistribution {
  settings: DistributedSettings;
  execution: ExecutionTarget;
  backend?: BackendChoice;
  seed: number;
  /** Run directory (and model name): the engine's job ids of a resumed run are the same. */
  runKey: string;
  roundsFile?: string;
}

/** fitModel with N replicas: the same early stopping and best-weights rule, on the shared mechanism. */
export async function fitDistributed(
  model: KnotModel,
  train: Rows,
  validation: Rows,
  settings: FitSettings,
  fingerprint: string,
  log: Logger,
  label: string,
  how: KnotsDistribution,
  checkpoint: { path: string; resume: boolean } | undefined,
  onEpoch?: (r: EpochRecord) => void,
): Promise<FitResult> {
  const d = model.features.length;
  const n = train.y.length;
  const replicas = how.settings.replicas;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const toRecord = (r: {
    epoch: number;
    train_loss: number;
    val_loss: number;
    metrics: Record<string, number>;
  }): EpochRecord => ({
    epoch: r.epoch,
    train_loss: r.train_loss,
    validation_loss: r.val_loss,
    validation_mse: r.metrics.mse,
    validation_accuracy: r.metrics.accuracy,
  });
  const outcome = await trainDistributed({
    family: 'knots',
    replicaFamily: knotsReplicas,
    spec: { model: model.state(), weightDecay: settings.weightDecay } satisfies KnotsReplicaSpec,
    backend: how.backend,
    seed: how.seed,
    shards: Array.from({ length: replicas }, (_, r) => packRows(train, d, shardRows(all, r, replicas))),
    shardExamples: Array.from({ length: replicas }, (_, r) => shardRows(all, r, replicas).length),
    initial: model.mlp.flatWeights(),
    schedule: {
      epochs: settings.maxEpochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      learningRateDecay: 1,
      patience: settings.patience,
      minDelta: 0,
    },
    distributed: how.settings,
    validate: (params) => {
      model.mlp.setFlatWeights(params);
      const predicted = model.predict(validation.x);
      return {
        loss: meanLoss(model, validation.x, validation.y),
        metrics: { mse: meanSquaredError(predicted, validation.y), accuracy: evenAccuracy(predicted, validation.y) },
      };
    },
    fingerprint,
    execution: how.execution,
    runKey: `${how.runKey}/${label}`,
    checkpointPath: checkpoint?.path,
    resume: checkpoint?.resume,
    roundsFile: how.roundsFile,
    log,
    label: label.replace(/[^A-Za-z0-9_-]+/g, '-'),
    onRound: (r) => onEpoch?.(toRecord(r)),
  });
  model.mlp.setFlatWeights(outcome.bestParams);
  return {
    history: outcome.history.map(toRecord),
    bestEpoch: outcome.bestRound,
    bestValidationLoss: outcome.bestLoss,
    resumedAt: outcome.resumedAt,
    stoppedEarly: outcome.stoppedEarly,
  };
}
