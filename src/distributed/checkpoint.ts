/**
 * The driver's checkpoint, rewritten atomically after every round: the averaged weights, Adam's
 * averaged moments and step, the outer optimizer's velocity, the best weights so far, the
 * early-stopping counters and the round history. The data positions are the round number: every
 * replica's order is a function of (seed, replica, epoch), so a resumed run replays the same steps.
 */
import { readStateFile, writeStateFile } from '../runtime/state-file.js';
import type { AdamState } from '../models/denoiser/adam.js';
import type { RoundRecord } from './rounds.js';

const FORMAT = 'sciml-distributed-checkpoint/1';

export interface DriverState {
  /** Rounds completed (the next round to run has this index). */
  roundsDone: number;
  bestRound: number;
  bestLoss: number;
  roundsWithoutImprovement: number;
  stoppedEarly: boolean;
  history: RoundRecord[];
  params: Float32Array;
  bestParams: Float32Array;
  adam: AdamState;
  velocity: Float64Array;
  fingerprint: string;
}

type Header = Omit<DriverState, 'params' | 'bestParams' | 'adam' | 'velocity'> & { adamStep: number };

export function writeDriverState(path: string, state: DriverState): void {
  const { params, bestParams, adam, velocity, ...rest } = state;
  writeStateFile<Header>(
    path,
    FORMAT,
    { ...rest, adamStep: adam.step },
    { params, best_params: bestParams, adam_m: adam.m, adam_v: adam.v, velocity },
  );
}

export function readDriverState(path: string): DriverState | undefined {
  const file = readStateFile<Header>(path, 'sciml-distributed-checkpoint/');
  if (!file) return undefined;
  const { adamStep, ...rest } = file.state;
  return {
    ...rest,
    bestLoss: rest.bestLoss ?? Infinity, // JSON has no Infinity
    params: file.array<Float32Array>('params'),
    bestParams: file.array<Float32Array>('best_params'),
    adam: { step: adamStep, m: file.array<Float64Array>('adam_m'), v: file.array<Float64Array>('adam_v') },
    velocity: file.array<Float64Array>('velocity'),
  };
}
