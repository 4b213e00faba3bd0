import { extname } from 'node:path';
import { z } from 'zod';
import type { GeneratorDefinition } from '../../contracts/generator.js';
import { choice, positiveInt } from '../../config/fields.js';
import { UserError } from '../../runtime/errors.js';
import { PUBLISHED_MAX_PARTICLES } from './schema.js';
import { writeSimulatedDataset, writeSimulatedShard, type EventLayout } from './write.js';

const particleGeneratorOptions = z.strictObject({
  layout: choice(
    ['flat', 'nested'] as const,
    'flat',
    "flat: a 'label' column, 14 HLF columns and 19 particle list columns; nested: the published HLF_input / GRU_input / encoded_label lists",
  ),
  max_particles: positiveInt(
    PUBLISHED_MAX_PARTICLES,
    'particles kept per event (the ones closest to the lepton); the nested layout zero-pads to this length',
  ),
  row_group: positiveInt(1000, 'events per Parquet row group (the unit readers stream)'),
});
type Options = z.infer<typeof particleGeneratorOptions>;

/** `sciml data generate particles -n N --shards K -o dir/`: simulated LHC events (simulate.ts) as Parquet shards. */
export const particlesGenerator: GeneratorDefinition<Options> = {
  name: 'particles',
  summary: 'simulated LHC events (W+jets, QCD, tt): particle lists and high-level features as Parquet shards',
  options: particleGeneratorOptions,
  defaultCount: 20000,
  async generate() {
    throw new UserError('data generate particles: writes Parquet shards: give -o <dir>/ (or -o <file>.parquet)');
  },
  async writeShards(n, seed, options, output, shards) {
    const write = {
      layout: options.layout as EventLayout,
      maxParticles: options.max_particles,
      rowGroupSize: options.row_group,
      metadata: {
        'sciml.generator': 'particles',
        'sciml.seed': String(seed),
        'sciml.note': 'SYNTHETIC events (src/data/particles/simulate.ts), published column names',
      },
    };
    if (output === '-')
      throw new UserError('data generate particles: expected -o <dir> (Parquet shards), got - (stdout)');
    if (extname(output).toLowerCase() === '.parquet') {
      if (shards !== 1)
        throw new UserError(`data generate particles: --shards ${shards} needs a directory for -o, got ${output}`);
      writeSimulatedShard(output, seed, 0, n, write);
      return [output];
    }
    return writeSimulatedDataset(output, n, shards, seed, write);
  },
};
