/**
 * The application's job table with one fault injected: replica 1's `train-replica` jobs fail from
 * its second round on, as a replica whose every delivery lost its worker would (lost for good).
 * Local executor threads import this module by URL, so the fault holds inside them.
 */
import type { JobHandler, JobTable } from '../../src/execution/job.js';
import { jobs as application } from '../../src/registry.js';

export const jobs: JobTable = {
  module: import.meta.url,
  kinds: {
    ...application.kinds,
    'train-replica': async () => {
      const real = await application.kinds['train-replica']();
      const lossy: JobHandler = (payload, inputs, ctx) => {
        const p = payload as { replica: number; round: number };
        if (p.replica === 1 && p.round >= 1) throw new Error('replica 1 lost for good (injected)');
        return real(payload, inputs, ctx);
      };
      return lossy;
    },
  },
};
