import { mkdirSync, renameSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A temporary name beside the final one, so the rename is atomic on the same file system. */
export function temporaryPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdirSync loops forever where mkdir fails with
 * ENOENT under an existing folder (/proc), so it never sees a path the user gave first.
 */
export function makeFolders(folder: string): void {
  const missing: string[] = [];
  let at = resolve(folder);
  for (;;) {
    try {
      if (!statSync(at).isDirectory())
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${folder}'`), { code: 'ENOTDIR' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(at);
      const up = dirname(at);
      if (up === at) break;
      at = up;
    }
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Writes a whole file under a temporary name, then renames it: readers never see half a file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  makeFolders(dirname(path));
  const tmp = temporaryPathFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Streams chunks to a temporary file and renames on success; on failure the temporary is removed.
 * Use for outputs too large to hold in memory.
 */
export async function writeStreamAtomic(
  path: string,
  chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): Promise<void> {
  makeFolders(dirname(path));
  const tmp = temporaryPathFor(path);
  const out = createWriteStream(tmp);
  try {
    for await (const chunk of chunks as AsyncIterable<Uint8Array | string>) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    renameSync(tmp, path);
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
}
