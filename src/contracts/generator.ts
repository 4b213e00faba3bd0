import type { z } from 'zod';
import type { Table } from 'apache-arrow';

/** Generators for `sciml data generate <kind>`. */
export interface GeneratorDefinition<O = any> {
  name: string;
  summary: string;
  /** Options beyond -n/--seed, settable with --set key=value; strict zod object, all defaulted. */
  options: z.ZodType<O>;
  /** Returns an Arrow table. */
  generate(n: number, seed: number, options: O): Promise<Table>;
  defaultCount: number;
  /** Generators of sharded data sets write files themselves (`--shards`); returns the files written. */
  writeShards?(n: number, seed: number, options: O, output: string, shards: number): Promise<string[]>;
}

export interface GeneratorEntry {
  summary: string;
  /** Absent until the generator is built: asking for it fails with a clear message. */
  load?: () => Promise<GeneratorDefinition>;
}
