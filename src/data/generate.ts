import type { GeneratorEntry } from '../contracts/generator.js';
import { UserError } from '../runtime/errors.js';
import { hint } from '../config/didyoumean.js';
import { parseOverride, validateConfig, type Override } from '../config/load.js';
import { checkStdoutOutput, outputFormat, writeTableFile } from './write-table.js';
import { checkOutputFile } from '../runtime/user-paths.js';

export interface GenerateRequest {
  count?: number;
  seed: number;
  output: string;
  set: string[];
  /** Number of output files for generators that write shards (default 1). */
  shards?: number;
}

/** Runs one of `generators` and writes its table as an Arrow IPC file (or stream to stdout). */
export async function generateData(
  generators: Record<string, GeneratorEntry>,
  kind: string,
  req: GenerateRequest,
): Promise<{ kind: string; rows: number; output: string; seed: number; files?: number }> {
  const entry = generators[kind];
  if (!entry)
    throw new UserError(
      `data generate: unknown kind '${kind}'${hint(kind, Object.keys(generators))}; expected one of ${Object.keys(generators).join(', ')}`,
    );
  if (!entry.load) throw new UserError(`data generate: '${kind}' is not built in this version of sciml yet`);
  const gen = await entry.load();
  if (!gen.writeShards) {
    // One table file: checked before the work (a sharded generator takes a folder and checks its own).
    checkOutputFile('-o', req.output);
    outputFormat('-o', req.output);
    checkStdoutOutput('-o', req.output);
  }
  const overrides: Override[] = req.set.map(parseOverride);
  const options = validateConfig(gen.options, {}, `data generate ${kind}`, undefined, overrides);
  const n = req.count ?? gen.defaultCount;
  if (gen.writeShards) {
    const files = await gen.writeShards(n, req.seed, options, req.output, req.shards ?? 1);
    return { kind, rows: n, output: req.output, seed: req.seed, files: files.length };
  }
  if ((req.shards ?? 1) !== 1)
    throw new UserError(
      `data generate ${kind}: --shards is for sharded generators (particles), got --shards ${req.shards}`,
    );
  const table = await gen.generate(n, req.seed, options);
  await writeTableFile(table, req.output);
  return { kind, rows: table.numRows, output: req.output, seed: req.seed };
}
