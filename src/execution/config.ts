/** The `execution:` config section of every task that submits jobs: automl's trials and the replica jobs of `training.distributed` (denoiser, knots, particles). */
import { section, text } from '../config/fields.js';

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
