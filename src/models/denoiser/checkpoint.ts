/**
 * The training state written to model/checkpoint.bin after each epoch: one file (written
 * atomically) holding a JSON header and the raw arrays, so a resumed run restores parameters, the
 * best parameters so far, Adam's moments and step count, and the early-stopping counters exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../runtime/atomic.js';
import { decodeStateFile, encodeStateFile } from '../../runtime/state-file.js';
import type { AdamState } from './adam.js';

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  val_loss: number;
  /** Share of validation traces whose recovered peak is within the peak tolerance. */
  val_peak_accuracy: number;
  learning_rate: number;
  seconds: number;
  traces_per_s: number;
}

export interface TrainingState {
  /** Epochs completed (the next epoch to run has this index). */
  epochsDone: number;
  bestEpoch: number;
  bestValLoss: number;
  epochsWithoutImprovement: number;
  finished: boolean;
  stoppedEarly: boolean;
  history: EpochRecord[];
  params: Float32Array;
  bestParams: Float32Array;
  adam: AdamState;
  /** Guards against resuming with a different architecture or data. */
  fingerprint: string;
}

const FORMAT = 'sciml-denoiser-checkpoint/1';

type HeaderState = Omit<TrainingState, 'params' | 'bestParams' | 'adam'> & { adamStep: number };

export function encodeCheckpoint(state: TrainingState): Uint8Array {
  const { params, bestParams, adam, ...rest } = state;
  return encodeStateFile<HeaderState>(FORMAT, { ...rest, adamStep: adam.step }, { params, best_params: bestParams, adam_m: adam.m, adam_v: adam.v });
}

export function decodeCheckpoint(bytes: Uint8Array, where: string): TrainingState {
  const file = decodeStateFile<HeaderState>(bytes, where, 'sciml-denoiser-checkpoint/');
  const { adamStep, ...rest } = file.state;
  return {
    ...rest,
    bestValLoss: rest.bestValLoss ?? Infinity, // JSON has no Infinity
    params: file.array<Float32Array>('params'),
    bestParams: file.array<Float32Array>('best_params'),
    adam: { step: adamStep, m: file.array<Float64Array>('adam_m'), v: file.array<Float64Array>('adam_v') },
  };
}

export function writeCheckpoint(path: string, state: TrainingState): void {
  writeFileAtomic(path, encodeCheckpoint(state));
}

export function readCheckpoint(path: string): TrainingState | undefined {
  if (!existsSync(path)) return undefined;
  return decodeCheckpoint(readFileSync(path), path);
}
