/**
 * The training state written to model/checkpoint.bin after each epoch: one file (written
 * atomically) holding a JSON header and the raw arrays, so a resumed run restores parameters, the
 * best parameters so far, Adam's moments and step count, and the early-stopping counters exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../runtime/atomic.js';
import { UserError } from '../../runtime/errors.js';
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

const MAGIC = 'SCIMLCK1';

interface Header {
  format: string;
  state: Omit<TrainingState, 'params' | 'bestParams' | 'adam'> & { adamStep: number };
  arrays: { name: string; dtype: 'f32' | 'f64'; length: number; offset: number }[];
}

export function encodeCheckpoint(state: TrainingState): Uint8Array {
  const { params, bestParams, adam, ...rest } = state;
  const arrays: { name: string; data: Float32Array | Float64Array }[] = [
    { name: 'params', data: params },
    { name: 'best_params', data: bestParams },
    { name: 'adam_m', data: adam.m },
    { name: 'adam_v', data: adam.v },
  ];
  let offset = 0;
  const specs = arrays.map((a) => {
    const spec = { name: a.name, dtype: (a.data instanceof Float64Array ? 'f64' : 'f32') as 'f32' | 'f64', length: a.data.length, offset };
    offset += a.data.byteLength;
    return spec;
  });
  const header: Header = { format: 'sciml-denoiser-checkpoint/1', state: { ...rest, adamStep: adam.step }, arrays: specs };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((8 + 4 + json.length) / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  for (let i = 0; i < arrays.length; i++) out.set(new Uint8Array(arrays[i].data.buffer, arrays[i].data.byteOffset, arrays[i].data.byteLength), start + specs[i].offset);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, where: string): TrainingState {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== MAGIC) throw new UserError(`${where}: expected a sciml denoiser checkpoint, got other bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength))) as Header;
  const start = Math.ceil((8 + 4 + jsonLength) / 8) * 8;
  const read = (name: string): Float32Array | Float64Array => {
    const spec = header.arrays.find((a) => a.name === name);
    if (!spec) throw new UserError(`${where}: checkpoint lacks '${name}'`);
    const bytesPer = spec.dtype === 'f64' ? 8 : 4;
    // A fresh, aligned copy (a Node Buffer's slice would share the pool's ArrayBuffer).
    const copy = new Uint8Array(bytes.subarray(start + spec.offset, start + spec.offset + spec.length * bytesPer));
    if (copy.length !== spec.length * bytesPer) throw new UserError(`${where}: checkpoint is truncated`);
    return spec.dtype === 'f64' ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
  };
  const { adamStep, ...rest } = header.state;
  return {
    ...rest,
    bestValLoss: rest.bestValLoss ?? Infinity, // JSON has no Infinity
    params: read('params') as Float32Array,
    bestParams: read('best_params') as Float32Array,
    adam: { step: adamStep, m: read('adam_m') as Float64Array, v: read('adam_v') as Float64Array },
  };
}

export function writeCheckpoint(path: string, state: TrainingState): void {
  writeFileAtomic(path, encodeCheckpoint(state));
}

export function readCheckpoint(path: string): TrainingState | undefined {
  if (!existsSync(path)) return undefined;
  return decodeCheckpoint(readFileSync(path), path);
}
