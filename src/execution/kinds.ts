import type { JobHandler } from './job.js';

/**
 * Job kinds by name, each loaded lazily so a worker imports only what it runs. A kind's module is
 * imported inside the worker (thread, process or remote machine), never shipped as code.
 */
export const JOB_KINDS: Record<string, () => Promise<JobHandler>> = {
  probe: () => import('./probe.js').then((m) => m.probeHandler),
  stage: () => import('../pipeline/stage-job.js').then((m) => m.stageHandler),
  'tune-trial': () => import('../tune/trial-job.js').then((m) => m.tuneTrialHandler as JobHandler),
  'tune-cv': () => import('../tune/cv-job.js').then((m) => m.tuneFoldHandler as JobHandler),
  'train-replica': () => import('../distributed/replica-job.js').then((m) => m.trainReplicaHandler as JobHandler),
  'automl-trial': () => import('../models/automl/trial-job.js').then((m) => m.automlTrialHandler),
};

export async function loadJobHandler(kind: string): Promise<JobHandler> {
  const load = JOB_KINDS[kind];
  if (!load) throw new Error(`unknown job kind '${kind}' (known: ${Object.keys(JOB_KINDS).join(', ')})`);
  return load();
}
