import { Schema, Table } from 'apache-arrow';
import { z } from 'zod';
import type { GeneratorDefinition } from '../../contracts/generator.js';
import { nonNegativeNumber } from '../../config/fields.js';
import { arrowTable, float64Column, int32Column } from '../arrow.js';
import { KNOT_FEATURES, KNOT_TARGET } from './columns.js';
import { DEFAULT_SIMULATION, simulateKnots, type KnotSimulationOptions } from './simulate.js';
import { requireMemory } from '../../runtime/memory.js';

/** Columns holding whole numbers (written as Int32); the rest are Float64. */
const INTEGER_COLUMNS = new Set<string>([
  KNOT_TARGET,
  'hyperbolic_torsion_degree',
  'hyperbolic_adjoint_torsion_degree',
  ...KNOT_FEATURES.filter((f) => f.startsWith('Symmetry_')),
]);

/** Schema metadata marking a table as synthetic (read back by the knots task for its report). */
export const SYNTHETIC_METADATA_KEY = 'sciml.synthetic';

const knotGeneratorOptions = z.strictObject({
  noise: nonNegativeNumber(
    DEFAULT_SIMULATION.noise,
    'standard deviation of the noise added to the signature before rounding to an even integer',
  ),
  correction: nonNegativeNumber(
    DEFAULT_SIMULATION.correction,
    'scale of the correction to slope/2 growing with volume * injectivity_radius^-3 (0: signature = slope/2 rounded, plus noise)',
  ),
});

/** An Arrow table in the published column order, labelled synthetic in its schema metadata. */
function knotTable(columns: Record<string, Float64Array>, seed: number, options: KnotSimulationOptions): Table {
  const vectors: Record<string, ReturnType<typeof float64Column> | ReturnType<typeof int32Column>> = {};
  for (const name of [...KNOT_FEATURES, KNOT_TARGET])
    vectors[name] = INTEGER_COLUMNS.has(name) ? int32Column(columns[name]) : float64Column(columns[name]);
  const table = arrowTable(vectors);
  const metadata = new Map<string, string>([
    [SYNTHETIC_METADATA_KEY, 'true'],
    ['sciml.generator', 'knots'],
    ['sciml.seed', String(seed)],
    ['sciml.options', JSON.stringify(options)],
    [
      'sciml.note',
      'SYNTHETIC knot invariants in the column format of Davies et al. 2021; not real knots (equations: src/data/knots/simulate.ts, configs/README-knots.md)',
    ],
  ]);
  return new Table(new Schema(table.schema.fields, metadata), table.batches);
}

export const knotsGenerator: GeneratorDefinition<KnotSimulationOptions> = {
  name: 'knots',
  summary: 'synthetic knot invariants and signatures (published column format)',
  options: knotGeneratorOptions,
  defaultCount: 30000,
  async generate(n, seed, options) {
    requireMemory('-n', n, n * 20 * 8 * 3, 'knots');
    return knotTable(simulateKnots(n, seed, options), seed, options);
  },
};
