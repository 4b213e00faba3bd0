import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { schemaAt } from './describe.js';
import { formatPath, type IssueLocator } from './issues.js';

type PathPart = string | number;

/** Fields naming an input file: `path`, `train_path`, `test_signal_path`, ... (configs/README.md's convention). */
const INPUT_FIELD = /(^|_)path$/;

/** Values that are not one local file to look for: stdin, a glob of shards, a URL. */
function isCheckable(value: string): boolean {
  return value !== '' && value !== '-' && !/[*?[\]{}]/.test(value) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

function* inputFields(node: unknown, path: PathPart[]): Generator<{ path: PathPart[]; value: string }> {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) yield* inputFields(node[i], [...path, i]);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === 'string' && INPUT_FIELD.test(key)) yield { path: [...path, key], value };
      else yield* inputFields(value, [...path, key]);
    }
  }
}

/**
 * The input files a config names that do not exist, one message each (`file:line: field: no such
 * file: PATH`), so a typo fails before a run directory is made. Relative paths resolve against
 * `baseDir` as the tasks resolve them. Only fields the schema knows are looked at (a misspelled
 * field is the schema's error).
 */
export function missingInputs(raw: unknown, schema: z.ZodType, baseDir: string, locate: IssueLocator): string[] {
  const messages: string[] = [];
  for (const { path, value } of inputFields(raw, [])) {
    if (!isCheckable(value) || schemaAt(schema, path) === undefined) continue;
    const full = isAbsolute(value) ? value : resolve(baseDir, value);
    if (existsSync(full)) continue;
    const shown = full === resolve(value) ? value : `${value} (looked for ${full})`;
    messages.push(locate.at(path, formatPath(path), `no such file: ${shown}`));
  }
  return messages;
}
