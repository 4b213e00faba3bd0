/**
 * The interface every tabular learner implements (gradient boosting, forests, ridge, k-NN, MLP).
 * X is column-major: X.columns[j] is feature j over all rows, NaN for missing. Categorical features
 * arrive as integer codes (0..k-1, NaN missing) and are flagged in `categorical`.
 */
import type { Domain } from '../search/space.js';

export interface Matrix {
  rows: number;
  columns: Float64Array[] | Float32Array[];
  names: string[];
  /** categorical[j]: feature j holds category codes 0..k-1 (k = categories[j]). */
  categorical?: boolean[];
  categories?: number[];
}

export interface FitOptions {
  seed: number;
  sampleWeight?: Float64Array;
  /** Used for early stopping where the learner supports it. */
  validation?: { X: Matrix; y: Float64Array };
  /** Wall-clock deadline (performance.now() ms) after which fit should stop early and keep what it has. */
  deadlineMs?: number;
  /** Threads the learner may use (forests train trees in workers); default: all cores. */
  threads?: number;
}

/** Ray-Tune-style search space entries: the search engine's own domain type. */
export type SearchDomain = Domain;

export type Params = Record<string, number | string | boolean>;

export interface Learner {
  readonly kind: string;
  readonly params: Params;
  fit(X: Matrix, y: Float64Array, options: FitOptions): Promise<void> | void;
  predict(X: Matrix): Float64Array;
  /** Per-feature importance (trees: split gain), normalized to sum 1 (normalizedImportance), where the learner has one. */
  featureImportance?(): Record<string, number>;
  /** Plain JSON, reloadable by the learner's fromJSON. */
  toJSON(): { kind: string; params: Params; state: unknown };
}

export interface LearnerFactory {
  kind: string;
  /** Defaults matching the peer library's defaults where one exists. */
  defaults: Params;
  space: Record<string, SearchDomain>;
  /** The parameter that scales cost (boosting rounds, trees, epochs), for successive halving. */
  budgetParam?: string;
  /** false: fit ignores FitOptions.sampleWeight (k-NN, like scikit-learn's, has no sample weights). */
  sampleWeights?: boolean;
  create(params: Partial<Params>): Learner;
  fromJSON(json: { kind: string; params: Params; state: unknown }): Learner;
}

/** Normalized importances (sum 1) by feature name. */
export function normalizedImportance(names: string[], importance: number[]): Record<string, number> {
  const total = importance.reduce((a, b) => a + b, 0) || 1;
  return Object.fromEntries(names.map((name, j) => [name, importance[j] / total]));
}
