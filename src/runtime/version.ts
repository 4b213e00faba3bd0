import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The project root: dist/src/runtime -> ../../.. ; src/runtime (ts) is never executed directly. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

let cached: string | undefined;
export function scimlVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    cached = pkg.version;
  }
  return cached;
}
