/** Tracked params: values at dotted keys of YAML (or JSON) files, compared by value, not by file hash. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UserError } from '../runtime/errors.js';
import type { ParamValues } from './lock.js';
import { flatten } from '../runtime/flatten.js';
import type { Pipeline, Stage } from './parse.js';

function valueAt(root: unknown, dotted: string): { found: boolean; value?: unknown } {
  let node: unknown = root;
  for (const part of dotted.match(/[^.[\]]+/g) ?? []) {
    if (node === null || typeof node !== 'object' || !(part in (node as Record<string, unknown>)))
      return { found: false };
    node = (node as Record<string, unknown>)[part];
  }
  return { found: true, value: node };
}

export function readParams(pipeline: Pipeline, stage: Stage): ParamValues {
  const out: ParamValues = {};
  const cache = new Map<string, unknown>();
  for (const ref of stage.params) {
    const where = `${pipeline.file}${ref.line !== undefined ? `:${ref.line}` : ''}: stages.${stage.name}.params`;
    if (!cache.has(ref.abs)) {
      let text: string;
      try {
        text = readFileSync(ref.abs, 'utf8');
      } catch {
        throw new UserError(`${where}: params file ${ref.file} does not exist`);
      }
      try {
        cache.set(ref.abs, parse(text) ?? {});
      } catch (err) {
        throw new UserError(
          `${where}: params file ${ref.file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`,
        );
      }
    }
    const doc = cache.get(ref.abs);
    const values = (out[ref.file] ??= {});
    if (ref.keys.length === 0) {
      Object.assign(values, doc as Record<string, unknown>);
      continue;
    }
    for (const key of ref.keys) {
      const { found, value } = valueAt(doc, key);
      if (!found) throw new UserError(`${where}: ${ref.file} has no key '${key}'`);
      values[key] = value;
    }
  }
  return out;
}

/** One line per changed param: `configs/a.yaml:model.kernel_size 9 -> 7`. */
export function paramChanges(before: ParamValues, now: ParamValues): string[] {
  const changes: string[] = [];
  const files = new Set([...Object.keys(before ?? {}), ...Object.keys(now)]);
  for (const file of files) {
    const a = flatten(before?.[file] ?? {});
    const b = flatten(now[file] ?? {});
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const x = JSON.stringify(a[key]);
      const y = JSON.stringify(b[key]);
      if (x !== y) changes.push(`param ${file}:${key} changed (${short(x)} -> ${short(y)})`);
    }
  }
  return changes;
}

function short(json: string | undefined): string {
  if (json === undefined) return 'absent';
  return json.length > 60 ? json.slice(0, 57) + '...' : json;
}
