/**
 * A model family's manifest: everything the application needs to know about one `task:`, each
 * member loaded lazily so a process imports only what it runs. Every family exports one from
 * `src/models/<family>/index.ts`; the composition root (src/registry.ts) lists them.
 */
import type { ReplicaFamily } from '../distributed/family.js';
import type { JobHandler } from '../execution/job.js';
import type { ModelLocation } from '../runtime/model-dir.js';
import type { GeneratorEntry } from './generator.js';
import type { ServableAdapter } from './servable.js';
import type { TaskDefinition } from './task.js';

/** `sciml predict` on one of the family's runs. */
interface PredictRequest {
  where: ModelLocation;
  /** Table or traces to predict (a file, or - for stdin). */
  input: string;
  /** Arrow file to write (- for stdout). */
  output: string;
  /** `--explain` method, only when the family lists it in `explain`. */
  explain?: string;
  /** `--proba`, only when the family accepts it. */
  proba?: boolean;
  /** `--keep`: input columns copied into the predictions, only when the family accepts it. */
  keep?: string[];
}

export type PredictToFile = (request: PredictRequest) => Promise<{ rows: number; output: string }>;

export interface PredictEntry {
  load: () => Promise<PredictToFile>;
  /** `--explain` methods the family's runs accept. */
  explain?: string[];
  /** Whether `--proba` (class probabilities only) applies. */
  proba?: boolean;
  /** Whether `--keep` (input columns copied into the predictions) applies. */
  keep?: boolean;
}

export interface Family {
  /** The value of a config's `task:` field. */
  name: string;
  /** One line for help texts and the config reference. */
  summary: string;
  /** Absent until the task is built: configs naming it fail with a clear message. */
  task?: () => Promise<TaskDefinition>;
  /** `sciml data generate <kind>` generators the family brings, by kind. */
  generators?: Record<string, GeneratorEntry>;
  /** `sciml serve` adapter for the family's runs. */
  servable?: () => Promise<ServableAdapter>;
  /** `sciml predict` for the family's runs. */
  predict?: PredictEntry;
  /** A file whose presence names the family in a model folder without a run around it. */
  modelMarker?: string;
  /** Its hook into data-parallel training (src/distributed/), when its tasks train distributed. */
  distributed?: () => Promise<ReplicaFamily>;
  /** Job kinds the family's tasks submit to an executor, by kind name. */
  jobs?: Record<string, () => Promise<JobHandler>>;
}
