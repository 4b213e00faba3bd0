import { readFileSync } from 'node:fs';
import { fsReason } from '../runtime/user-paths.js';
import { LineCounter, parseDocument, parse as parseYamlValue, stringify, isMap, isSeq, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { UserError, locatedError } from '../runtime/errors.js';
import { hint } from './didyoumean.js';
import { keysAt } from './describe.js';

export interface LoadedConfig<C = unknown> {
  file: string;
  task: string;
  config: C;
  /** The resolved config as YAML, defaults filled in: written to the run directory. */
  resolvedYaml: string;
}

type PathPart = string | number;

export function formatPath(path: readonly PathPart[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out || '(top level)';
}

/** `model.filters[1]` -> ['model', 'filters', 1] */
export function parsePath(dotted: string): PathPart[] {
  const parts: PathPart[] = [];
  for (const segment of dotted.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(segment);
    if (!m || (m[1] === '' && m[2] === '')) throw new UserError(`--set ${dotted}: expected a dotted path like model.kernel_size or model.filters[1]`);
    if (m[1]) parts.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  return parts;
}

export interface Override {
  path: PathPart[];
  value: unknown;
  text: string;
}

/** Parses `--set a.b=value`; the value is read as YAML so numbers, booleans and lists keep their types. */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--set ${text}: expected path=value, e.g. --set model.kernel_size=9`);
  const path = parsePath(text.slice(0, eq).trim());
  let value: unknown;
  // A lone '-' means stdin for path fields; YAML would read it as a one-item list.
  if (text.slice(eq + 1).trim() === '-') return { path, value: '-', text };
  try {
    value = parseYamlValue(text.slice(eq + 1));
  } catch {
    value = text.slice(eq + 1);
  }
  return { path, value: value === null && text.slice(eq + 1).trim() === '' ? '' : value, text };
}

function setIn(target: Record<string, unknown>, path: PathPart[], value: unknown): void {
  let node: any = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    if (node[key] === undefined || node[key] === null || typeof node[key] !== 'object') node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key];
  }
  node[path[path.length - 1]] = value;
}

function startsWith(path: readonly PathPart[], prefix: readonly PathPart[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

export class SourceMap {
  constructor(readonly file: string, readonly doc: Document, readonly lines: LineCounter) {}

  /** The line of the node at `path`, or of its nearest ancestor present in the file. */
  lineOf(path: readonly PathPart[]): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : (this.doc.getIn(path.slice(0, n), true) as YamlNode | undefined);
      if (node && (node as YamlNode).range) return this.lines.linePos((node as YamlNode).range![0]).line;
    }
    return undefined;
  }

  /** The line of a key inside a map at `path` (for unknown-key errors). */
  lineOfKey(path: readonly PathPart[], key: string): number | undefined {
    const parent = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    if (isMap(parent)) {
      for (const pair of parent.items) {
        const k = pair.key as YamlNode & { value?: unknown };
        if (k && k.value === key && k.range) return this.lines.linePos(k.range[0]).line;
      }
    }
    return this.lineOf(path);
  }
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `a list`;
  if (v !== null && typeof v === 'object') return 'a mapping';
  return String(v);
}

function valueAt(root: unknown, path: readonly PathPart[]): unknown {
  let node: any = root;
  for (const p of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[p];
  }
  return node;
}

/**
 * Turns zod issues into one message per problem: `file:line: field: expected ..., got ...`.
 * Values given with --set are reported against the --set flag instead of a file line.
 */
function formatIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType, raw: unknown, source: SourceMap | undefined, file: string, overrides: Override[]): string {
  const messages: string[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathPart => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, path);
      for (const key of issue.keys) {
        const field = formatPath([...path, key]);
        const fromSet = overrides.find((o) => startsWith(o.path, [...path, key]));
        const msg = `unknown field${hint(key, known)}; known fields here: ${known.join(', ')}`;
        messages.push(fromSet ? `--set ${fromSet.text}: ${field}: ${msg}` : locatedError(file, source?.lineOfKey(path, key), field, msg).message);
      }
      continue;
    }
    const field = formatPath(path);
    const got = valueAt(raw, path);
    let msg = issue.message;
    if (!/^expected/.test(msg)) {
      if (issue.code === 'invalid_value' && 'values' in issue) msg = `expected one of ${(issue.values as unknown[]).map((v) => `'${String(v)}'`).join(', ')}`;
      else msg = `expected ${msg.replace(/^Invalid input: expected /, '').replace(/^Too (small|big): expected /, '')}`;
    }
    if (got === undefined && issue.code === 'invalid_type') msg = `missing required field (${msg})`;
    else msg = `${msg}, got ${describeValue(got)}`;
    const fromSet = overrides.find((o) => startsWith(path, o.path) || startsWith(o.path, path));
    messages.push(fromSet ? `--set ${fromSet.text}: ${field}: ${msg}` : locatedError(file, source?.lineOf(path), field, msg).message);
  }
  return messages.join('\n');
}

/** Parses YAML text with line tracking; syntax errors name the file and line. */
export function parseYamlSource(file: string, text: string): SourceMap {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line;
    throw locatedError(file, line, undefined, `invalid YAML: ${e.message.split('\n')[0]}`);
  }
  return new SourceMap(file, doc, lines);
}

export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err: any) {
    throw new UserError(`${file}: cannot read config: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory, expected a YAML file' : (fsReason(err) ?? err.message)}`);
  }
}

/** Reads the `task:` field of a config, with a clear error when it is missing or unknown. */
/** The top-level `task:` of a config's text, read without parsing the YAML (which may not validate). */
export function taskField(yamlText: string): string | undefined {
  return /^task:\s*['"]?([A-Za-z0-9_-]+)/m.exec(yamlText)?.[1];
}

export function readTaskName(file: string, raw: unknown, source: SourceMap | undefined, known: readonly string[]): string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw locatedError(file, 1, undefined, 'expected a mapping of config fields at the top level');
  const task = (raw as Record<string, unknown>).task;
  if (task === undefined) throw locatedError(file, 1, 'task', `missing required field: expected one of ${known.map((k) => `'${k}'`).join(', ')}`);
  if (typeof task !== 'string' || !known.includes(task)) {
    throw locatedError(file, source?.lineOf(['task']), 'task', `expected one of ${known.map((k) => `'${k}'`).join(', ')}, got ${describeValue(task)}${typeof task === 'string' ? hint(task, known) : ''}`);
  }
  return task;
}

export interface ParsedSource {
  raw: Record<string, unknown>;
  source: SourceMap;
}

export function parseConfigSource(file: string, text?: string): ParsedSource {
  const source = parseYamlSource(file, text ?? readConfigText(file));
  const raw = (source.doc.toJS() ?? {}) as Record<string, unknown>;
  return { raw, source };
}

/** Validates raw config data (after overrides) against a task schema; throws a UserError listing every problem. */
export function validateConfig<C>(schema: z.ZodType<C>, raw: Record<string, unknown>, file: string, source: SourceMap | undefined, overrides: Override[]): C {
  const merged = structuredClone(raw);
  for (const o of overrides) setIn(merged, o.path, o.value);
  const result = schema.safeParse(merged);
  if (!result.success) throw new UserError(formatIssues(result.error.issues, schema, merged, source, file, overrides));
  return result.data;
}

export function resolvedYaml(config: unknown): string {
  return stringify(config, { lineWidth: 0 });
}

export { isMap, isSeq };
