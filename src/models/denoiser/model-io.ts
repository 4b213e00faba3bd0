/**
 * The trained model folder (model/ of a run):
 * - model.json + weights.bin: the autoencoder in TensorFlow.js layers format (tf.loadLayersModel can read it);
 * - denoiser.json: what sciml needs besides (trace length, sampling rate, band, training summary);
 * - filters.json: the band-pass and Wiener filters estimated on the training traces;
 * - history.json: loss per epoch;
 * - checkpoint.bin: the training state for --resume (checkpoint.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../runtime/backend.js';
import { writeFileAtomic, writeJsonAtomic } from '../../runtime/atomic.js';
import { UserError } from '../../runtime/errors.js';
import type { Architecture } from './architecture.js';
import type { EpochRecord } from './checkpoint.js';
import type { FrequencyFilter } from './filters.js';

export interface DenoiserMeta {
  format: 'sciml-denoiser/1';
  architecture: Architecture;
  length: number;
  sampling_rate_mhz: number;
  band_mhz: [number, number];
  parameters: number;
  bottleneck: [number, number];
  /** Folder relative data paths of the training config resolve against. */
  config_dir: string;
  best_epoch: number;
  best_val_loss: number;
  epochs_run: number;
  stopped_early: boolean;
  replicas: number;
}

export interface SavedFilters {
  bandpass: FrequencyFilter;
  wiener: FrequencyFilter;
}

export const MODEL_FILES = {
  topology: 'model.json',
  weights: 'weights.bin',
  meta: 'denoiser.json',
  filters: 'filters.json',
  history: 'history.json',
  checkpoint: 'checkpoint.bin',
} as const;

export async function saveModel(dir: string, model: tf.LayersModel, meta: DenoiserMeta): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData =
        artifacts.weightData instanceof ArrayBuffer
          ? artifacts.weightData
          : tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
      writeFileAtomic(join(dir, MODEL_FILES.weights), new Uint8Array(weightData));
      writeJsonAtomic(join(dir, MODEL_FILES.topology), {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: 'sciml',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs }],
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  writeJsonAtomic(join(dir, MODEL_FILES.meta), meta);
}

export function saveFilters(dir: string, filters: SavedFilters): void {
  writeJsonAtomic(join(dir, MODEL_FILES.filters), filters);
}

export function saveHistory(dir: string, history: EpochRecord[]): void {
  writeJsonAtomic(join(dir, MODEL_FILES.history), history);
}

function readJson<T>(path: string, what: string): T {
  if (!existsSync(path))
    throw new UserError(`${path}: missing (${what}); is this the model/ folder of a denoiser run?`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new UserError(`${path}: expected JSON (${what}), got unreadable text (${(err as Error).message})`);
  }
}

export interface LoadedModel {
  model: tf.LayersModel;
  meta: DenoiserMeta;
  filters: SavedFilters;
  history: EpochRecord[];
}

export async function loadModel(dir: string): Promise<LoadedModel> {
  const meta = readJson<DenoiserMeta>(join(dir, MODEL_FILES.meta), 'denoiser metadata');
  if (meta.format !== 'sciml-denoiser/1')
    throw new UserError(
      `${join(dir, MODEL_FILES.meta)}: format: expected 'sciml-denoiser/1', got ${JSON.stringify(meta.format)}`,
    );
  const topology = readJson<{ modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] }>(
    join(dir, MODEL_FILES.topology),
    'TensorFlow.js model topology',
  );
  const weightsPath = join(dir, MODEL_FILES.weights);
  if (!existsSync(weightsPath)) throw new UserError(`${weightsPath}: missing (model weights)`);
  const bytes = readFileSync(weightsPath);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const weightSpecs = topology.weightsManifest.flatMap((m) => m.weights);
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: topology.modelTopology, weightSpecs, weightData }),
  );
  const filters = readJson<SavedFilters>(join(dir, MODEL_FILES.filters), 'classical filters');
  const historyPath = join(dir, MODEL_FILES.history);
  const history = existsSync(historyPath) ? readJson<EpochRecord[]>(historyPath, 'training history') : [];
  return { model, meta, filters, history };
}
