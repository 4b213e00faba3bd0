/**
 * The run-cache (DVC's): every stage signature ever run maps to the content hashes of its outs,
 * and every out file is kept once under `.sciml/cache/objects/<sha[0:2]>/<sha>`. A stage whose
 * signature is known gets its outs copied back instead of running. `gc` keeps what a lock names.
 */
import {
  copyFileSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { temporaryPathFor, writeFileAtomic } from '../runtime/atomic.js';
import type { FileEntry, PathHash } from './hash.js';

interface CachedOut {
  path: string;
  kind: 'file' | 'dir';
  sha256: string;
  size: number;
  entries?: FileEntry[];
}

export interface CachedRun {
  stage: string;
  cmd: string;
  outs: CachedOut[];
}

export class RunCache {
  readonly objects: string;
  readonly runs: string;

  constructor(readonly dir: string) {
    this.objects = join(dir, 'objects');
    this.runs = join(dir, 'runs');
  }

  private objectPath(sha256: string): string {
    return join(this.objects, sha256.slice(0, 2), sha256);
  }

  private runPath(signature: string): string {
    return join(this.runs, `${signature}.json`);
  }

  private storeObject(source: string, sha256: string): void {
    const target = this.objectPath(sha256);
    if (existsSync(target)) return;
    mkdirSync(dirname(target), { recursive: true });
    const tmp = temporaryPathFor(target);
    copyFileSync(source, tmp, constants.COPYFILE_FICLONE);
    renameSync(tmp, target);
  }

  /** Keeps a copy of a finished stage's outs (absolute paths with their hashes). */
  store(signature: string, stage: string, cmd: string, outs: { path: string; abs: string; hash: PathHash }[]): void {
    const record: CachedRun = { stage, cmd, outs: [] };
    for (const out of outs) {
      if (out.hash.entries) {
        for (const e of out.hash.entries) this.storeObject(join(out.abs, e.rel), e.sha256);
        record.outs.push({
          path: out.path,
          kind: 'dir',
          sha256: out.hash.sha256,
          size: out.hash.size,
          entries: out.hash.entries,
        });
      } else {
        this.storeObject(out.abs, out.hash.sha256);
        record.outs.push({ path: out.path, kind: 'file', sha256: out.hash.sha256, size: out.hash.size });
      }
    }
    writeFileAtomic(this.runPath(signature), JSON.stringify(record) + '\n');
  }

  lookup(signature: string): CachedRun | undefined {
    const file = this.runPath(signature);
    if (!existsSync(file)) return undefined;
    try {
      const run = JSON.parse(readFileSync(file, 'utf8')) as CachedRun;
      const complete = run.outs.every((o) =>
        o.entries
          ? o.entries.every((e) => existsSync(this.objectPath(e.sha256)))
          : existsSync(this.objectPath(o.sha256)),
      );
      return complete ? run : undefined;
    } catch {
      return undefined;
    }
  }

  /** Puts the cached outs in place (each built under a temporary name, then renamed). `absOf` maps an out path to its location. */
  restore(run: CachedRun, absOf: (path: string) => string): void {
    for (const out of run.outs) {
      const target = absOf(out.path);
      mkdirSync(dirname(target), { recursive: true });
      const tmp = temporaryPathFor(target);
      try {
        if (out.kind === 'file') copyFileSync(this.objectPath(out.sha256), tmp, constants.COPYFILE_FICLONE);
        else {
          mkdirSync(tmp, { recursive: true });
          for (const e of out.entries ?? []) {
            const file = join(tmp, ...e.rel.split('/'));
            mkdirSync(dirname(file), { recursive: true });
            copyFileSync(this.objectPath(e.sha256), file, constants.COPYFILE_FICLONE);
          }
        }
        rmSync(target, { recursive: true, force: true });
        renameSync(tmp, target);
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        throw err;
      }
    }
  }

  /** Removes every cached run whose signature is not kept, and every object no kept run uses. */
  gc(keep: Set<string>): { runs: number; objects: number; bytes: number } {
    let runs = 0;
    let objects = 0;
    let bytes = 0;
    const used = new Set<string>();
    if (existsSync(this.runs)) {
      for (const name of readdirSync(this.runs)) {
        const signature = name.replace(/\.json$/, '');
        const file = join(this.runs, name);
        if (!keep.has(signature)) {
          rmSync(file, { force: true });
          runs++;
          continue;
        }
        try {
          const run = JSON.parse(readFileSync(file, 'utf8')) as CachedRun;
          for (const o of run.outs)
            for (const sha of o.entries ? o.entries.map((e) => e.sha256) : [o.sha256]) used.add(sha);
        } catch {
          rmSync(file, { force: true });
          runs++;
        }
      }
    }
    if (existsSync(this.objects)) {
      for (const prefix of readdirSync(this.objects)) {
        for (const name of readdirSync(join(this.objects, prefix))) {
          if (used.has(name)) continue;
          const file = join(this.objects, prefix, name);
          bytes += statSync(file).size;
          rmSync(file, { force: true });
          objects++;
        }
      }
    }
    return { runs, objects, bytes };
  }
}
