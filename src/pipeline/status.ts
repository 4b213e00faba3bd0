/** Why a stage must run: compares what the lock recorded with the files and params now. */
import { createHash } from 'node:crypto';
import { relative, sep } from 'node:path';
import type { Dag } from './graph.js';
import type { HashState, PathHash } from './hash.js';
import type { LockEntry, LockedPath, ParamValues } from './lock.js';
import { paramChanges, readParams } from './params.js';
import type { Stage } from './parse.js';

export interface StageCheck {
  state: 'up-to-date' | 'stale' | 'never-run';
  reasons: string[];
  /** Known when every dep exists: the run-cache key. */
  signature?: string;
  deps: LockedPath[];
  params: ParamValues;
}

export function locked(path: string, h: PathHash): LockedPath {
  return h.files !== undefined
    ? { path, sha256: h.sha256, size: h.size, files: h.files }
    : { path, sha256: h.sha256, size: h.size };
}

function signatureOf(dag: Dag, stage: Stage, deps: LockedPath[], params: ParamValues): string {
  const wdir = relative(dag.pipeline.root, stage.cwd).split(sep).join('/') || '.';
  const key = {
    cmd: stage.cmd,
    wdir,
    deps: deps.map((d) => [d.path, d.sha256]),
    params,
    outs: stage.outs.map((o) => o.path).sort(),
  };
  return createHash('sha256').update(JSON.stringify(key)).digest('hex');
}

export async function checkStage(
  dag: Dag,
  stage: Stage,
  entry: LockEntry | undefined,
  hashes: HashState,
): Promise<StageCheck> {
  const params = readParams(dag.pipeline, stage);
  const deps: LockedPath[] = [];
  const reasons: string[] = [];
  let complete = true;
  for (const dep of stage.deps) {
    const h = await hashes.hashPath(dep.abs);
    if (!h) {
      complete = false;
      reasons.push(`dep ${dep.path} missing${dag.producerOf(dep) ? ` (made by ${dag.producerOf(dep)!.name})` : ''}`);
      continue;
    }
    deps.push(locked(dep.path, h));
  }
  const signature = complete ? signatureOf(dag, stage, deps, params) : undefined;
  if (!entry) return { state: 'never-run', reasons: ['never run', ...reasons], signature, deps, params };
  if (entry.cmd !== stage.cmd) reasons.push('command changed');
  const before = new Map(entry.deps.map((d) => [d.path, d]));
  for (const d of deps) {
    const old = before.get(d.path);
    if (!old) reasons.push(`dep ${d.path} added`);
    else if (old.sha256 !== d.sha256) reasons.push(`dep ${d.path} changed`);
  }
  for (const path of before.keys()) if (!stage.deps.some((d) => d.path === path)) reasons.push(`dep ${path} removed`);
  reasons.push(...paramChanges(entry.params, params));
  const lockedOuts = new Map(entry.outs.map((o) => [o.path, o]));
  for (const out of stage.outs) {
    const h = await hashes.hashPath(out.abs);
    const old = lockedOuts.get(out.path);
    if (!h) reasons.push(`out ${out.path} missing`);
    else if (!old) reasons.push(`out ${out.path} added`);
    else if (old.sha256 !== h.sha256) reasons.push(`out ${out.path} modified since the stage made it`);
  }
  if (stage.alwaysChanged) reasons.push('always_changed');
  return { state: reasons.length ? 'stale' : 'up-to-date', reasons, signature, deps, params };
}
