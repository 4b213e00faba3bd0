/** The `execution:` config section every command that submits jobs shares (automl; tune and pipeline on merge). */
import { section, text } from '../config/fields.js';

export const executionSection = (jobs: string) =>
  section(
    {
      executor: text('local', `where ${jobs} run: 'local' (threads on this machine) or redis://[user:password@]host:port / rediss://... for \`sciml worker\` processes anywhere (password also from SCIML_REDIS_PASSWORD; never written to the run directory)`),
      queue: text('sciml', 'Redis queue the workers take jobs from (`sciml worker URL --queue NAME`)'),
    },
    `where the ${jobs} run`,
  );
