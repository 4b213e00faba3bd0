import { mkdirSync, readdirSync, readFileSync, statSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { unzipSync, zipSync } from 'fflate';
import { writeFileAtomic, temporaryPathFor } from '../runtime/atomic.js';

/** SHA-256 hex of a blob: the content address remote executors ship and cache by. */
export function blobHash(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function listFiles(root: string, dir = root, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) listFiles(root, path, out);
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * Packs a folder (a checkpoint, a model/, a run directory) into one blob, so it can travel as a
 * job input or artifact. Entries are sorted and stored with a fixed time: the same files give the
 * same bytes, hence the same content hash.
 */
export function packDir(dir: string): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0; mtime: Date }]> = {};
  const fixed = new Date(Date.UTC(2000, 0, 1));
  for (const file of listFiles(dir).sort()) {
    entries[relative(dir, file).split(sep).join('/')] = [readFileSync(file), { level: 0, mtime: fixed }];
  }
  return zipSync(entries);
}

/**
 * Packs files and folders named relative to `base` into one blob whose entries keep those
 * relative paths (a pipeline stage's deps or outs). Missing paths are skipped; like packDir, the
 * same files give the same bytes.
 */
export function packPaths(base: string, paths: string[]): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0; mtime: Date }]> = {};
  const fixed = new Date(Date.UTC(2000, 0, 1));
  for (const path of [...new Set(paths)].sort()) {
    const abs = resolve(base, path);
    if (!exists(abs)) continue;
    const add = (at: string) => {
      const name = relative(base, at).split(sep).join('/');
      if (!statSync(at).isDirectory()) {
        entries[name] = [readFileSync(at), { level: 0, mtime: fixed }];
        return;
      }
      const children = readdirSync(at).sort();
      // An empty folder is an entry of its own (a trailing '/'), so it arrives as a folder.
      if (children.length === 0) entries[`${name}/`] = [new Uint8Array(), { level: 0, mtime: fixed }];
      for (const child of children) add(join(at, child));
    };
    add(abs);
  }
  return zipSync(entries);
}

/** Unpacks a packPaths blob into `base`, beside what is there (each file written atomically). */
export function unpackInto(blob: Uint8Array, base: string): void {
  const target = resolve(base);
  for (const [name, data] of Object.entries(unzipSync(blob))) {
    const path = resolve(target, name);
    if (!path.startsWith(target + sep)) throw new Error(`packed entry '${name}' escapes its folder`);
    if (name.endsWith('/')) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, data);
  }
}

/** Unpacks a packDir blob into `dir` (created; an existing one is replaced whole, atomically by rename). */
export function unpackDir(blob: Uint8Array, dir: string): void {
  const target = resolve(dir);
  const staging = temporaryPathFor(target);
  mkdirSync(staging, { recursive: true });
  try {
    unpackInto(blob, staging);
    if (exists(target)) rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(target), { recursive: true });
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
