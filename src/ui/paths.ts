/**
 * The one gate between a request and the disk: a path relative to `--dir` becomes an absolute path
 * only when it stays inside the folder once every symlink is resolved. `..` segments, absolute
 * paths, NUL bytes and symlinks pointing out of the folder all give undefined (the server's 404).
 */
import { realpathSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

export class RunsRoot {
  /** The folder as given, made absolute. */
  readonly abs: string;
  /** The same folder with symlinks resolved: every served path must be inside it. */
  readonly real: string;

  constructor(dir: string) {
    this.abs = resolve(dir);
    this.real = realpathSync(this.abs);
  }

  /** `a/b/c.json` -> its real absolute path inside the root, or undefined when it is outside or missing. */
  resolve(relative: string): string | undefined {
    if (typeof relative !== 'string' || relative.includes('\0')) return undefined;
    const parts = relative.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
    if (parts.some((p) => p === '..')) return undefined;
    let real: string;
    try {
      real = realpathSync(join(this.real, ...parts));
    } catch {
      return undefined;
    }
    return this.contains(real) ? real : undefined;
  }

  contains(realPath: string): boolean {
    return realPath === this.real || realPath.startsWith(this.real + sep);
  }
}
