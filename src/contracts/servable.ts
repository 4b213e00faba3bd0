/**
 * The per-task "servable" contract of `sciml serve`. An adapter tells what a run's model takes
 * (describe: cheap, in the HTTP thread, no tfjs) and predicts (load: in an inference worker) by
 * calling the same per-task function `sciml predict` calls. A family gives its adapter as
 * `servable` in its manifest (src/models/<family>/index.ts).
 */
import type { Column } from '../data/table.js';
import type { Predictions } from '../data/predictions.js';
import type { ModelLocation } from '../runtime/model-dir.js';

/** number: a JSON number (null = missing when nullable); category: one of `categories`; datetime: ISO text; trace: `length` numbers. */
type FieldType = 'number' | 'category' | 'datetime' | 'trace' | 'sequence';

export interface InputField {
  name: string;
  type: FieldType;
  /** Whether null (a missing value) is accepted. */
  nullable: boolean;
  categories?: string[];
  length?: number;
  /** sequence: at most this many items of `length` numbers each (a list of particles); it arrives as a zero-padded trace of items x length. */
  items?: number;
}

/** A query parameter of POST /v1/predict (e.g. explain=integrated_gradients). */
interface QueryOption {
  name: string;
  values: string[];
  description: string;
}

export interface ServableInfo {
  task: string;
  inputs: InputField[];
  options: QueryOption[];
  /** Task-specific facts for GET /v1/model (target, members, trace length, ...). */
  details: Record<string, unknown>;
  /** Whether the inference worker must start a tfjs backend before load(). */
  tensorflow: boolean;
}

export interface TraceColumn {
  name: string;
  kind: 'trace';
  length: number;
  /** Row-major, rows x length. */
  values: Float32Array;
}

export type ServeColumn = Column | TraceColumn;

/** Validated input rows: exactly the servable's inputs, in its order. */
export interface ServeBatch {
  rows: number;
  columns: ServeColumn[];
}

interface Predictor {
  predict(batch: ServeBatch, options: Record<string, string>): Predictions | Promise<Predictions>;
}

export interface ServableAdapter {
  describe(where: ModelLocation): ServableInfo;
  load(where: ModelLocation): Promise<Predictor>;
}
