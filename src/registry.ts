/**
 * The composition root: the model families this build of sciml knows, and the job kinds its
 * executors run. Everything below it (families, executors, the tune jobs) receives what it needs
 * from here and never imports it back. Adding a family: `src/models/<name>/index.ts` exporting a
 * `Family`, and one line in FAMILIES.
 */
import type { Family, PredictEntry } from './contracts/family.js';
import type { GeneratorEntry } from './contracts/generator.js';
import type { ServableAdapter } from './contracts/servable.js';
import type { TaskDefinition } from './contracts/task.js';
import type { ReplicaFamily } from './distributed/family.js';
import type { JobHandler, JobTable } from './execution/job.js';
import type { ModelMarker } from './runtime/model-dir.js';
import { UserError } from './runtime/errors.js';
import { PROBE_KIND } from './execution/probe.js';
import { STAGE_KIND } from './pipeline/kinds.js';
import { TUNE_CV_KIND, TUNE_TRIAL_KIND } from './tune/kinds.js';
import { denoiserFamily } from './models/denoiser/index.js';
import { knotsFamily } from './models/knots/index.js';
import { automlFamily } from './models/automl/index.js';
import { tabularFamily } from './models/tabular/index.js';
import { particlesFamily } from './models/particles/index.js';

/** Families in the order help texts, the config reference and error messages list them. */
export const FAMILIES: readonly Family[] = [denoiserFamily, knotsFamily, automlFamily, tabularFamily, particlesFamily];

export function familyOf(task: string): Family | undefined {
  return FAMILIES.find((f) => f.name === task);
}

/** Task kinds selected by a config's top-level `task:` field. */
export const TASK_NAMES = FAMILIES.map((f) => f.name);

export async function loadTask(name: string, file: string): Promise<TaskDefinition> {
  const load = familyOf(name)?.task;
  if (!load)
    throw new UserError(
      `${file}: task: '${name}' is not built in this version of sciml yet (available: ${
        FAMILIES.filter((f) => f.task)
          .map((f) => f.name)
          .join(', ') || 'none'
      })`,
    );
  return load();
}

/** Generators for `sciml data generate <kind>`, from every family. */
export const GENERATORS: Record<string, GeneratorEntry> = Object.fromEntries(
  FAMILIES.flatMap((f) => Object.entries(f.generators ?? {})),
);

/** `sciml serve` adapters by task. */
export const SERVABLES: Record<string, () => Promise<ServableAdapter>> = Object.fromEntries(
  FAMILIES.flatMap((f) => (f.servable ? [[f.name, f.servable]] : [])),
);

/** `sciml predict` by task. */
export const PREDICTORS: Record<string, PredictEntry> = Object.fromEntries(
  FAMILIES.flatMap((f) => (f.predict ? [[f.name, f.predict]] : [])),
);

/** Marker files of each task's model folder, for folders without a run around them. */
export const MODEL_MARKERS: ModelMarker[] = FAMILIES.flatMap((f) =>
  f.modelMarker ? [{ file: f.modelMarker, task: f.name }] : [],
);

/** A family's replica hook, for the `train-replica` job. */
export async function loadReplicaFamily(name: string): Promise<ReplicaFamily> {
  const load = familyOf(name)?.distributed;
  if (!load)
    throw new Error(
      `unknown replica family '${name}' (known: ${FAMILIES.filter((f) => f.distributed)
        .map((f) => f.name)
        .join(', ')})`,
    );
  return load();
}

const TOOLKIT_JOBS: Record<string, () => Promise<JobHandler>> = {
  [PROBE_KIND]: () => import('./execution/probe.js').then((m) => m.probeHandler),
  [STAGE_KIND]: () => import('./pipeline/stage-job.js').then((m) => m.stageHandler),
  [TUNE_TRIAL_KIND]: () => import('./tune/trial-job.js').then((m) => m.tuneTrialHandler(loadTask) as JobHandler),
  [TUNE_CV_KIND]: () => import('./tune/cv-job.js').then((m) => m.tuneFoldHandler(loadTask) as JobHandler),
  'train-replica': () =>
    import('./distributed/replica-job.js').then((m) => m.trainReplicaHandler(loadReplicaFamily) as JobHandler),
};

/** Every job kind: the toolkit's own and the families'. Executors and `sciml worker` are given this table. */
export const jobs: JobTable = {
  module: import.meta.url,
  kinds: Object.assign({}, TOOLKIT_JOBS, ...FAMILIES.map((f) => f.jobs ?? {})),
};
