import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of the files under `path` (apparent sizes; a symbolic link counts as itself). */
export function bytesUnder(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const entry of readdirSync(path)) total += bytesUnder(join(path, entry));
  return total;
}
