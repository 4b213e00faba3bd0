import { GENERATORS } from '../tasks.js';
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
}

/** Runs a registered generator and writes its table as an Arrow IPC file (or stream to stdout). */
export async function generateData(kind: string, req: GenerateRequest): Promise<{ kind: string; rows: number; output: string; seed: number }> {
  const entry = GENERATORS[kind];
  if (!entry) throw new UserError(`data generate: unknown kind '${kind}'${hint(kind, Object.keys(GENERATORS))}; expected one of ${Object.keys(GENERATORS).join(', ')}`);
  if (!entry.load) throw new UserError(`data generate: '${kind}' is not built in this version of sciml yet`);
  checkOutputFile('-o', req.output);
  outputFormat('-o', req.output);
  checkStdoutOutput('-o', req.output);
  const gen = await entry.load();
  const overrides: Override[] = req.set.map(parseOverride);
  const options = validateConfig(gen.options, {}, `data generate ${kind}`, undefined, overrides);
  const n = req.count ?? gen.defaultCount;
  const table = await gen.generate(n, req.seed, options);
  await writeTableFile(table, req.output);
  return { kind, rows: table.numRows, output: req.output, seed: req.seed };
}
