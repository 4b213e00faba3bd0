/**
 * Paths the user names (`-o FILE`, `--out DIR`, `--token-file F`): checked before any work, and a
 * file-system refusal becomes a UserError naming the flag and the path instead of a stack trace.
 */
import { readdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { makeFolders, temporaryPathFor } from './atomic.js';
import { UserError } from './errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'name too long',
  EEXIST: 'already exists',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
};

/** The reason of a file-system error in words, or undefined when `err` is not one. */
export function fsReason(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined ? REASONS[code] : undefined;
}

/** `flag path: reason` for a file-system error; any other error is returned unchanged (a bug stays a bug). */
export function userPathError(flag: string, path: string, err: unknown, doing = ''): Error {
  const reason = fsReason(err);
  if (reason === undefined) return err as Error;
  return new UserError(`${flag} ${path}: ${doing ? `cannot ${doing}: ` : ''}${reason}`);
}

function statOrUndefined(flag: string, path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw userPathError(flag, path, err);
  }
}

/** Creates `folder` (and its parents) and proves a file can be written there. */
function ensureWritableFolder(flag: string, path: string, folder: string): void {
  try {
    makeFolders(folder);
    const probe = temporaryPathFor(join(folder, 'probe'));
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    throw userPathError(flag, path, err, `write in ${folder}`);
  }
}

/**
 * An output file the command will write (atomically, later): not a directory, its folder created
 * and writable. `-` (stdout) passes. Call it before the work, so a typo costs nothing.
 */
export function checkOutputFile(flag: string, path: string): void {
  if (path === '-') return;
  const stats = statOrUndefined(flag, path);
  if (stats?.isDirectory())
    throw new UserError(
      `${flag} ${path}: is a directory; expected a file name (e.g. ${join(path, 'predictions.arrow')})`,
    );
  ensureWritableFolder(flag, path, dirname(resolve(path)));
}

/**
 * A new run directory at `path`, created. A run is never written over and never silently renamed:
 * a file, or a folder that is not empty, at `path` is a UserError naming it (an empty folder is taken).
 */
export function claimNewDirectory(flag: string, path: string): string {
  const full = resolve(path);
  const stats = statOrUndefined(flag, path);
  if (stats && !stats.isDirectory())
    throw new UserError(`${flag} ${path}: a file is already there; expected a new folder for the run`);
  if (stats && readdirSync(full).length > 0)
    throw new UserError(
      `${flag} ${path}: already exists and is not empty; a run is never written over: choose a new name or remove it`,
    );
  ensureWritableFolder(flag, path, full);
  return full;
}
