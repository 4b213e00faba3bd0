/**
 * A dataset given as one file, a directory of shards, or a glob of shards (`events/part-*.parquet`):
 * the shard files in a stable (sorted) order. Readers treat the list as one dataset.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../runtime/errors.js';
import { isParquetPath } from './parquet.js';

const GLOB_CHARS = /[*?[]/;

export function isShardSet(path: string): boolean {
  if (GLOB_CHARS.test(basename(path))) return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The Parquet shard files of a file, directory or glob, sorted; none found is a UserError naming the path. */
export function listShards(path: string): string[] {
  let files: string[];
  if (GLOB_CHARS.test(basename(path))) {
    const dir = dirname(path);
    const pattern = globRegex(basename(path));
    files = entries(dir, path)
      .filter((f) => pattern.test(f))
      .map((f) => join(dir, f));
  } else if (isDirectory(path)) {
    files = entries(path, path)
      .filter((f) => isParquetPath(f))
      .map((f) => join(path, f));
  } else {
    return [path];
  }
  files = files.filter((f) => !isDirectory(f)).sort();
  if (files.length === 0) throw new UserError(`${path}: expected Parquet shards (*.parquet), found none`);
  return files;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function entries(dir: string, shown: string): string[] {
  try {
    return readdirSync(dir).filter((f) => !f.startsWith('.'));
  } catch (err) {
    throw new UserError(
      `${shown}: cannot list shards (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

function globRegex(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[' || ch === ']') re += ch;
    else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
