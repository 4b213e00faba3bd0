import { readFileSync } from 'node:fs';
import { fsReason } from '../runtime/user-paths.js';
import {
  LineCounter,
  parseDocument,
  parse as parseYamlValue,
  stringify,
  isMap,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { z } from 'zod';
import { UserError, locatedError } from '../runtime/errors.js';
import { hint } from './didyoumean.js';
import { describeValue, formatIssues } from './issues.js';
import { missingInputs } from './inputs.js';

type PathPart = string | number;

/** `model.filters[1]` -> ['model', 'filters', 1] */
export function parsePath(dotted: string): PathPart[] {
  const parts: PathPart[] = [];
  for (const segment of dotted.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(segment);
    if (!m || (m[1] === '' && m[2] === ''))
      throw new UserError(`--set ${dotted}: expected a dotted path like model.kernel_size or model.filters[1]`);
    if (m[1]) parts.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  return parts;
}

export interface Override {
  path: PathPart[];
  value: unknown;
  text: string;
  /** How errors name it when not `--set <text>` (e.g. `--seed 7`). */
  flag?: string;
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
    if (node[key] === undefined || node[key] === null || typeof node[key] !== 'object')
      node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key];
  }
  node[path[path.length - 1]] = value;
}

function startsWith(path: readonly PathPart[], prefix: readonly PathPart[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

export class SourceMap {
  constructor(
    readonly file: string,
    readonly doc: Document,
    readonly lines: LineCounter,
  ) {}

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

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err: any) {
    throw new UserError(
      `${file}: cannot read config: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory, expected a YAML file' : (fsReason(err) ?? err.message)}`,
    );
  }
}

/** Reads the `task:` field of a config, with a clear error when it is missing or unknown. */
/** The top-level `task:` of a config's text, read without parsing the YAML (which may not validate). */
export function taskField(yamlText: string): string | undefined {
  return /^task:\s*['"]?([A-Za-z0-9_-]+)/m.exec(yamlText)?.[1];
}

export function readTaskName(
  file: string,
  raw: unknown,
  source: SourceMap | undefined,
  known: readonly string[],
): string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw locatedError(file, 1, undefined, 'expected a mapping of config fields at the top level');
  const task = (raw as Record<string, unknown>).task;
  if (task === undefined)
    throw locatedError(
      file,
      1,
      'task',
      `missing required field: expected one of ${known.map((k) => `'${k}'`).join(', ')}`,
    );
  if (typeof task !== 'string' || !known.includes(task)) {
    throw locatedError(
      file,
      source?.lineOf(['task']),
      'task',
      `expected one of ${known.map((k) => `'${k}'`).join(', ')}, got ${describeValue(task)}${typeof task === 'string' ? hint(task, known) : ''}`,
    );
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

export interface ValidateOptions {
  /** Check that the input files the config names exist, resolving relative paths against this folder. */
  inputsRelativeTo?: string;
}

/**
 * Validates raw config data (after overrides) against a task schema; throws a UserError listing every
 * problem. With `inputsRelativeTo`, a missing input file is reported first (before a cross-field rule
 * that would only follow from it).
 */
export function validateConfig<C>(
  schema: z.ZodType<C>,
  raw: Record<string, unknown>,
  file: string,
  source: SourceMap | undefined,
  overrides: Override[],
  options: ValidateOptions = {},
): C {
  const merged = structuredClone(raw);
  for (const o of overrides) setIn(merged, o.path, o.value);
  const at = (path: readonly PathPart[], field: string, message: string, key?: string): string => {
    const full = key === undefined ? path : [...path, key];
    const fromSet = overrides.find((o) => startsWith(full, o.path) || startsWith(o.path, full));
    if (fromSet) return `${fromSet.flag ?? `--set ${fromSet.text}`}: ${field}: ${message}`;
    return locatedError(file, key === undefined ? source?.lineOf(path) : source?.lineOfKey(path, key), field, message)
      .message;
  };
  const missing =
    options.inputsRelativeTo === undefined ? [] : missingInputs(merged, schema, options.inputsRelativeTo, { at });
  const result = schema.safeParse(merged);
  if (missing.length > 0) {
    const others = result.success ? [] : result.error.issues.filter((i) => i.code !== 'custom');
    throw new UserError(
      [...missing, ...(others.length ? [formatIssues(others, schema, merged, { at })] : [])].join('\n'),
    );
  }
  if (!result.success) throw new UserError(formatIssues(result.error.issues, schema, merged, { at }));
  return result.data;
}

export function resolvedYaml(config: unknown): string {
  return stringify(config, { lineWidth: 0 });
}
