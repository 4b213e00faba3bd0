/** The `execution:` config section of every task that submits jobs: automl's trials and the replica jobs of `training.distributed` (denoiser, knots, particles). */
import { section, text } from '../config/fields.js';
import type { JobTable } from './job.js';

export const executionSection = (jobs: string) =>
  section(
    {
      executor: text(
        'local',
        `where ${jobs} run: 'local' (threads on this machine) or redis://[user:password@]host:port / rediss://... for \`sciml worker\` processes anywhere (password also from SCIML_REDIS_PASSWORD; never written to the run directory)`,
      ),
      queue: text('sciml', 'Redis queue the workers take jobs from (`sciml worker URL --queue NAME`)'),
    },
    `where the ${jobs} run`,
  );

/** Where a task's jobs run, from its `execution:` section: the executor spec, queue, the task's job table, and the origin errors name. */
export function executionTarget(
  ctx: { jobs?: JobTable; configFile?: string },
  execution: { executor: string; queue: string },
): { jobs?: JobTable; spec: string; queue: string; origin: string } {
  return {
    jobs: ctx.jobs,
    spec: execution.executor,
    queue: execution.queue,
    origin: `${ctx.configFile ?? 'config'}: execution.executor`,
  };
}
