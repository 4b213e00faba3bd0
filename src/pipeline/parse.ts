/**
 * Reads a pipeline file (DVC's dvc.yaml shape): `vars`, `stages` with `cmd`, `deps`, `outs`,
 * `params`, `metrics`, `cpus`, `wdir`, and `foreach`/`do` or `matrix` expansion. Every error names
 * the file, line and field. Paths are resolved against the stage's folder and keyed relative to the
 * pipeline's working folder (the file's folder, or its top-level `wdir`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseYamlSource, type SourceMap } from '../config/load.js';
import { hint } from '../config/didyoumean.js';
import { fsReason } from '../runtime/user-paths.js';
import { UserError, locatedError } from '../runtime/errors.js';
import { interpolate, protectReferences, type Context } from './template.js';

export interface PathRef {
  /** Relative to the pipeline's working folder, normalised, '/'-separated: the key in locks and the DAG. */
  path: string;
  abs: string;
  line?: number;
  /** Keep a copy in the run-cache (outs only; `cache: false` opts out). */
  cache: boolean;
}

interface ParamRef {
  /** The params file, like a PathRef. */
  file: string;
  abs: string;
  /** Dotted keys; empty: the whole file. */
  keys: string[];
  line?: number;
}

export interface Stage {
  name: string;
  cmd: string;
  /** Absolute folder the command runs in. */
  cwd: string;
  deps: PathRef[];
  outs: PathRef[];
  metrics: PathRef[];
  params: ParamRef[];
  cpus: number;
  alwaysChanged: boolean;
  line?: number;
}

export interface Pipeline {
  file: string;
  /** Absolute working folder: paths in the lock and DAG are relative to it; `.sciml/` lives here. */
  root: string;
  lockFile: string;
  reportFile: string;
  stages: Stage[];
  /** `execution:` (where stages run; `--executor` wins), with the line of the executor for errors. */
  execution: { executor?: string; queue?: string; origin?: string };
  /** For error messages: the line of a stage by name. */
  lineOf(stage: string): number | undefined;
}

const STAGE_KEYS = [
  'cmd',
  'deps',
  'outs',
  'params',
  'metrics',
  'wdir',
  'cpus',
  'always_changed',
  'desc',
  'foreach',
  'do',
  'matrix',
];
const TOP_KEYS = ['vars', 'stages', 'wdir', 'execution'];
const EXECUTION_KEYS = ['executor', 'queue'];
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

type Path = (string | number)[];

/** `pipelines/denoiser.yaml` -> `pipelines/denoiser.lock`; `pipeline.yaml` -> `pipeline.lock` (as DVC's dvc.yaml -> dvc.lock). */
function lockFileFor(file: string): string {
  return join(dirname(file), `${stemOf(file)}.lock`);
}

function stemOf(file: string): string {
  const ext = extname(file);
  return basename(file, ['.yaml', '.yml'].includes(ext.toLowerCase()) ? ext : '');
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (isMapping(v)) return 'a mapping';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export function loadPipeline(file: string): Pipeline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `${file}: cannot read pipeline file: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a YAML file' : (fsReason(err) ?? (err as Error).message)}`,
    );
  }
  const { text: safe, restore } = protectReferences(text);
  const source = parseYamlSource(file, safe);
  const raw = restore(source.doc.toJS() ?? {});
  return buildPipeline(file, raw, source);
}

class Reader {
  constructor(
    readonly file: string,
    readonly source: SourceMap,
  ) {}
  line(path: Path): number | undefined {
    return this.source.lineOf(path);
  }
  fail(path: Path, message: string): never {
    throw locatedError(this.file, this.line(path), fieldName(path), message);
  }
}

function fieldName(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

function buildPipeline(file: string, raw: unknown, source: SourceMap): Pipeline {
  const r: Reader = new Reader(file, source);
  if (!isMapping(raw)) r.fail([], `expected a mapping with stages:, got ${kindOf(raw)}`);
  for (const key of Object.keys(raw))
    if (!TOP_KEYS.includes(key))
      throw locatedError(
        file,
        source.lineOfKey([], key),
        key,
        `unknown field${hint(key, TOP_KEYS)}; known fields here: ${TOP_KEYS.join(', ')}`,
      );
  const fileDir = dirname(resolve(file));
  const wdir = raw.wdir === undefined ? '.' : raw.wdir;
  if (typeof wdir !== 'string')
    r.fail(['wdir'], `expected a folder relative to the pipeline file, got ${kindOf(wdir)}`);
  const root = resolve(fileDir, wdir);
  const vars = readVars(r, raw.vars, fileDir);
  if (!isMapping(raw.stages) || Object.keys(raw.stages).length === 0)
    r.fail(['stages'], `expected a mapping of stage names to stages, got ${kindOf(raw.stages)}`);
  const stages: Stage[] = [];
  for (const [group, body] of Object.entries(raw.stages)) {
    if (!NAME.test(group))
      throw locatedError(
        file,
        source.lineOfKey(['stages'], group),
        `stages.${group}`,
        'expected a stage name of letters, digits, _, . or -',
      );
    for (const { name, ctx, body: stageBody, bodyPath } of expand(r, group, body, vars)) {
      stages.push(readStage(r, name, stageBody, bodyPath, ctx, root));
    }
  }
  const lines = new Map(stages.map((s) => [s.name, s.line]));
  return {
    file,
    root,
    execution: readExecution(r, raw.execution),
    lockFile: lockFileFor(resolve(file)),
    reportFile: join(fileDir, `${stemOf(file)}-report.html`),
    stages,
    lineOf: (name) => lines.get(name),
  };
}

function readExecution(r: Reader, raw: unknown): Pipeline['execution'] {
  if (raw === undefined) return {};
  if (!isMapping(raw)) r.fail(['execution'], `expected a mapping with executor: and queue:, got ${kindOf(raw)}`);
  const out: Pipeline['execution'] = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!EXECUTION_KEYS.includes(key))
      throw locatedError(
        r.file,
        r.source.lineOfKey(['execution'], key),
        `execution.${key}`,
        `unknown field${hint(key, EXECUTION_KEYS)}; known fields here: ${EXECUTION_KEYS.join(', ')}`,
      );
    if (typeof value !== 'string' || value === '')
      r.fail(
        ['execution', key],
        key === 'executor'
          ? `expected 'local' or redis://host:port, got ${kindOf(value)}`
          : `expected a queue name, got ${kindOf(value)}`,
      );
    out[key as 'executor' | 'queue'] = value;
  }
  if (out.executor !== undefined)
    out.origin = `${r.file}:${r.line(['execution', 'executor']) ?? '?'}: execution.executor`;
  return out;
}

function readVars(r: Reader, raw: unknown, fileDir: string): Context {
  if (raw === undefined) return {};
  const items = Array.isArray(raw) ? raw : [raw];
  const vars: Context = {};
  items.forEach((item, i) => {
    const path: Path = Array.isArray(raw) ? ['vars', i] : ['vars'];
    if (typeof item === 'string') {
      const varsFile = resolve(fileDir, item);
      if (!existsSync(varsFile)) r.fail(path, `vars file ${item} does not exist`);
      let loaded: unknown;
      try {
        loaded = parseYaml(readFileSync(varsFile, 'utf8'));
      } catch (err) {
        r.fail(path, `vars file ${item}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
      }
      if (!isMapping(loaded)) r.fail(path, `vars file ${item}: expected a mapping, got ${kindOf(loaded)}`);
      Object.assign(vars, loaded);
    } else if (isMapping(item)) Object.assign(vars, item);
    else r.fail(path, `expected a mapping of variables or the name of a YAML file, got ${kindOf(item)}`);
  });
  return vars;
}

interface Expanded {
  name: string;
  ctx: Context;
  body: Record<string, unknown>;
  bodyPath: Path;
}

function templated(r: Reader, value: unknown, ctx: Context, path: Path): unknown {
  return interpolate(value, ctx, path, (p, err) => r.fail(p, err.message));
}

function suffix(value: unknown, key: string, index: number): string {
  return value !== null && typeof value !== 'object' ? String(value) : `${key}${index}`;
}

/** One stage, or its foreach/matrix instances `name@value`. */
function expand(r: Reader, group: string, body: unknown, vars: Context): Expanded[] {
  const path: Path = ['stages', group];
  if (!isMapping(body)) r.fail(path, `expected a stage (a mapping with cmd:), got ${kindOf(body)}`);
  if (body.foreach !== undefined && body.matrix !== undefined) r.fail(path, 'expected foreach or matrix, not both');
  if (body.foreach !== undefined) {
    const items = templated(r, body.foreach, vars, [...path, 'foreach']);
    if (!isMapping(body.do))
      r.fail([...path, 'do'], `expected the stage to repeat (a mapping with cmd:) under do:, got ${kindOf(body.do)}`);
    const extra = Object.keys(body).filter((k) => k !== 'foreach' && k !== 'do');
    if (extra.length) r.fail([...path, extra[0]], 'with foreach, the stage fields go under do:');
    const entries: [string, unknown, unknown][] = Array.isArray(items)
      ? items.map((item, i) => [suffix(item, 'item', i), item, i])
      : isMapping(items)
        ? Object.entries(items).map(([k, v]) => [k, v, k])
        : r.fail([...path, 'foreach'], `expected a list or mapping to repeat over, got ${kindOf(items)}`);
    return entries.map(([tag, item, key]) => ({
      name: `${group}@${tag}`,
      ctx: { ...vars, item, key },
      body: body.do as Record<string, unknown>,
      bodyPath: [...path, 'do'],
    }));
  }
  if (body.matrix !== undefined) {
    const matrix = templated(r, body.matrix, vars, [...path, 'matrix']);
    if (!isMapping(matrix) || Object.keys(matrix).length === 0)
      r.fail([...path, 'matrix'], `expected a mapping of names to lists of values, got ${kindOf(matrix)}`);
    let combos: { tags: string[]; values: Record<string, unknown> }[] = [{ tags: [], values: {} }];
    for (const [key, list] of Object.entries(matrix)) {
      if (!Array.isArray(list) || list.length === 0)
        r.fail([...path, 'matrix', key], `expected a non-empty list of values, got ${kindOf(list)}`);
      combos = combos.flatMap((c) =>
        list.map((v, i) => ({ tags: [...c.tags, suffix(v, key, i)], values: { ...c.values, [key]: v } })),
      );
    }
    const { matrix: _m, ...rest } = body;
    return combos.map((c) => ({
      name: `${group}@${c.tags.join('-')}`,
      ctx: { ...vars, ...c.values, item: c.values },
      body: rest,
      bodyPath: path,
    }));
  }
  return [{ name: group, ctx: vars, body, bodyPath: path }];
}

function list(r: Reader, value: unknown, path: Path): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) r.fail(path, `expected a list, got ${kindOf(value)}`);
  return value;
}

function keyOf(root: string, abs: string): string {
  const rel = relative(root, abs);
  return (rel === '' ? '.' : rel).split(sep).join('/');
}

function pathRef(
  r: Reader,
  raw: unknown,
  path: Path,
  cwd: string,
  root: string,
  what: string,
  allowOptions: boolean,
): PathRef {
  let written = raw;
  let cache = true;
  if (allowOptions && isMapping(raw) && Object.keys(raw).length === 1) {
    const [key, options] = Object.entries(raw)[0];
    written = key;
    if (options !== null && !isMapping(options))
      r.fail(path, `expected options like {cache: false} after the path, got ${kindOf(options)}`);
    for (const [k, v] of Object.entries(options ?? {})) {
      if (k !== 'cache') r.fail(path, `unknown option '${k}'${hint(k, ['cache'])}; known: cache`);
      if (typeof v !== 'boolean') r.fail(path, `cache: expected true or false, got ${kindOf(v)}`);
      cache = v;
    }
  }
  if (typeof written !== 'string' || written.trim() === '')
    r.fail(path, `expected a ${what} path, got ${kindOf(written)}`);
  const abs = isAbsolute(written) ? normalize(written) : resolve(cwd, written);
  return { path: keyOf(root, abs), abs, line: r.line(path), cache };
}

function readStage(
  r: Reader,
  name: string,
  rawBody: Record<string, unknown>,
  bodyPath: Path,
  ctx: Context,
  root: string,
): Stage {
  for (const key of Object.keys(rawBody)) {
    if (!STAGE_KEYS.includes(key) || key === 'foreach' || key === 'do' || key === 'matrix') {
      throw locatedError(
        r.file,
        r.source.lineOfKey(bodyPath, key),
        `${fieldName(bodyPath)}.${key}`,
        `unknown field${hint(key, STAGE_KEYS)}; known fields here: ${STAGE_KEYS.filter((k) => !['foreach', 'do', 'matrix'].includes(k)).join(', ')}`,
      );
    }
  }
  const body = templated(r, rawBody, ctx, bodyPath) as Record<string, unknown>;
  const at = (...rest: Path): Path => [...bodyPath, ...rest];
  let cmd: string;
  if (typeof body.cmd === 'string' && body.cmd.trim() !== '') cmd = body.cmd;
  else if (Array.isArray(body.cmd) && body.cmd.length > 0 && body.cmd.every((c) => typeof c === 'string'))
    cmd = ['set -e', ...(body.cmd as string[])].join('\n');
  else r.fail(at('cmd'), `expected the command to run (text, or a list of commands), got ${kindOf(body.cmd)}`);
  if (body.wdir !== undefined && typeof body.wdir !== 'string')
    r.fail(at('wdir'), `expected a folder relative to the pipeline's working folder, got ${kindOf(body.wdir)}`);
  const cwd = resolve(root, (body.wdir as string | undefined) ?? '.');
  let cpus = 1;
  if (body.cpus !== undefined) {
    if (typeof body.cpus !== 'number' || !Number.isInteger(body.cpus) || body.cpus < 1)
      r.fail(at('cpus'), `expected a whole number of cores >= 1, got ${kindOf(body.cpus)}`);
    cpus = body.cpus;
  }
  if (body.always_changed !== undefined && typeof body.always_changed !== 'boolean')
    r.fail(at('always_changed'), `expected true or false, got ${kindOf(body.always_changed)}`);
  const deps = list(r, body.deps, at('deps')).map((d, i) =>
    pathRef(r, d, at('deps', i), cwd, root, 'dependency', false),
  );
  const outs = list(r, body.outs, at('outs')).map((o, i) => pathRef(r, o, at('outs', i), cwd, root, 'output', true));
  const metrics = list(r, body.metrics, at('metrics')).map((m, i) =>
    pathRef(r, m, at('metrics', i), cwd, root, 'metrics', true),
  );
  const params: ParamRef[] = [];
  list(r, body.params, at('params')).forEach((p, i) => {
    const line = r.line(at('params', i));
    if (typeof p === 'string') {
      const abs = resolve(cwd, 'params.yaml');
      params.push({ file: keyOf(root, abs), abs, keys: [p], line });
    } else if (isMapping(p)) {
      for (const [paramsFile, keys] of Object.entries(p)) {
        const abs = resolve(cwd, paramsFile);
        if (keys !== null && (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')))
          r.fail(
            at('params', i),
            `${paramsFile}: expected a list of dotted keys (or nothing for the whole file), got ${kindOf(keys)}`,
          );
        params.push({ file: keyOf(root, abs), abs, keys: (keys as string[] | null) ?? [], line });
      }
    } else r.fail(at('params', i), `expected a key of params.yaml or {file: [keys]}, got ${kindOf(p)}`);
  });
  return {
    name,
    cmd,
    cwd,
    deps,
    outs,
    metrics,
    params,
    cpus,
    alwaysChanged: body.always_changed === true,
    line: r.line(bodyPath),
  };
}
