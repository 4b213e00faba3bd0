import type { GeneratorDefinition } from '../../contracts/generator.js';
import { UserError } from '../../runtime/errors.js';
import { radioOptionProblems, radioOptionsSchema, type RadioOptions } from './options.js';
import { simulateTraces } from './simulator.js';
import { traceSetToArrow } from './arrow-traces.js';
import { requireMemory } from '../../runtime/memory.js';

/** `sciml data generate radio [-n N] [--seed S] [--set noise=uniform ...]` */
export const radioGenerator: GeneratorDefinition<RadioOptions> = {
  name: 'radio',
  summary: 'simulated noisy radio traces with cosmic-ray pulses',
  options: radioOptionsSchema,
  defaultCount: 1000,
  async generate(n, seed, options) {
    const problems = radioOptionProblems(options);
    if (problems.length > 0)
      throw new UserError(`data generate radio: ${problems.map((p) => `--set ${p}`).join('; ')}`);
    // Traces, then their Arrow copy and the IPC bytes: about three float32 copies of noisy and clean.
    requireMemory('-n', n, n * options.length * 4 * 2 * 3, `traces of ${options.length} samples`);
    return traceSetToArrow(simulateTraces(n, seed, options));
  },
};
