/**
 * Content hashes of deps and outs (SHA-256 and size; a folder hashes the sorted list of its
 * files' hashes). A state file remembers each file's hash under its (inode, size, mtime), so an
 * unchanged file is never read twice: a second `status` over gigabytes costs one stat per file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../runtime/atomic.js';

export interface FileEntry {
  /** '/'-separated, relative to the folder. */
  rel: string;
  sha256: string;
  size: number;
}

export interface PathHash {
  sha256: string;
  size: number;
  /** Folders only: how many files, and each file's hash (kept for the run-cache, not the lock). */
  files?: number;
  entries?: FileEntry[];
}

interface StateEntry {
  ino: string;
  size: number;
  mtime_ns: string;
  sha256: string;
}

const STATE_VERSION = 1;

async function sha256OfStream(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function listFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) listFiles(path, out);
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(path);
  }
  return out;
}

export class HashState {
  private entries: Record<string, StateEntry> = {};
  private dirty = false;
  /** Files actually read (not answered from the state file) since this object was made. */
  hashedFiles = 0;

  constructor(readonly file: string) {
    try {
      const loaded = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; files?: Record<string, StateEntry> };
      if (loaded.version === STATE_VERSION && loaded.files) this.entries = loaded.files;
    } catch {
      // A missing or damaged state file only costs re-hashing.
    }
  }

  async hashFile(path: string): Promise<{ sha256: string; size: number }> {
    const st = statSync(path, { bigint: true });
    const key = path;
    const known = this.entries[key];
    const ino = String(st.ino);
    const mtime = String(st.mtimeNs);
    const size = Number(st.size);
    if (known && known.ino === ino && known.size === size && known.mtime_ns === mtime)
      return { sha256: known.sha256, size };
    const sha256 = await sha256OfStream(path);
    this.hashedFiles++;
    this.entries[key] = { ino, size, mtime_ns: mtime, sha256 };
    this.dirty = true;
    return { sha256, size };
  }

  /** The hash of a file or folder, or undefined when it does not exist. */
  async hashPath(path: string): Promise<PathHash | undefined> {
    if (!existsSync(path)) return undefined;
    if (!statSync(path).isDirectory()) return this.hashFile(path);
    const entries: FileEntry[] = [];
    for (const file of listFiles(path).sort()) {
      const h = await this.hashFile(file);
      entries.push({ rel: relative(path, file).split(sep).join('/'), ...h });
    }
    entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    const listing = entries.map((e) => `${e.sha256} ${e.size} ${e.rel}\n`).join('');
    return {
      sha256: createHash('sha256').update(listing).digest('hex'),
      size: entries.reduce((s, e) => s + e.size, 0),
      files: entries.length,
      entries,
    };
  }

  /** Writes the state file if anything changed, dropping entries of files that are gone. */
  save(): void {
    if (!this.dirty) return;
    const kept: Record<string, StateEntry> = {};
    for (const [path, entry] of Object.entries(this.entries)) if (existsSync(path)) kept[path] = entry;
    writeFileAtomic(this.file, JSON.stringify({ version: STATE_VERSION, files: kept }) + '\n');
    this.dirty = false;
  }
}
