/** A replica's training state (weights and Adam's moments) as one blob: a job input, and its artifact back. */
import { float32Of, float64Of, packRecord, unpackRecord } from '../execution/codec.js';
import type { ReplicaState } from './local-sgd.js';

export function packReplicaState(state: ReplicaState): Uint8Array {
  return packRecord(
    { format: 'sciml-replica-state/1', step: state.adam.step },
    { params: state.params, m: state.adam.m, v: state.adam.v },
  );
}

/** Decodes into fresh arrays (the blob may be shared with the sender). */
export function unpackReplicaState(blob: Uint8Array): ReplicaState {
  const { meta, sections } = unpackRecord(blob);
  const m = meta as { format?: string; step: number };
  if (m.format !== 'sciml-replica-state/1') throw new Error(`not a replica state blob (format ${String(m.format)})`);
  return {
    params: float32Of(sections.params).slice(),
    adam: { step: m.step, m: float64Of(sections.m).slice(), v: float64Of(sections.v).slice() },
  };
}
