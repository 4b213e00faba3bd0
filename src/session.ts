import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import type { TaskDefinition, TaskOutcome, TaskContext } from './contracts/task.js';
import type { GlobalOptions } from './contracts/globals.js';
import {
  parseConfigSource,
  parseOverride,
  readTaskName,
  resolvedYaml,
  taskField,
  validateConfig,
  type Override,
} from './config/load.js';
import { UserError } from './runtime/errors.js';
import { createLogger, type Logger } from './runtime/log.js';
import { RunDir } from './runtime/rundir.js';
import { redactSecrets } from './runtime/redact.js';
import { recordInterruption } from './runtime/interrupt.js';
import { initBackend, type BackendInfo } from './runtime/backend.js';
import { TASK_NAMES, jobs, loadTask } from './registry.js';

export interface ConfigRequest {
  file: string;
  set?: string[];
  /** Values given by other command-line flags, named by their flag in errors. */
  flags?: Override[];
  seed?: number;
  /** YAML text to use instead of reading the file (e.g. config.yaml of a run directory). */
  text?: string;
  /**
   * The config file the task resolves relative data paths against (ctx.configFile; null: the
   * working folder): the input files must exist there before a run directory is made. Undefined: not checked.
   */
  dataConfigFile?: string | null;
}

export interface ResolvedTaskConfig {
  task: TaskDefinition;
  config: { seed: number; task: string } & Record<string, unknown>;
  yaml: string;
  file: string;
}

/** Reads, overrides and validates a config: every error names file, line and field. */
export async function resolveConfig(req: ConfigRequest): Promise<ResolvedTaskConfig> {
  const { raw, source } = parseConfigSource(req.file, req.text);
  const overrides: Override[] = [...(req.flags ?? []), ...(req.set ?? []).map(parseOverride)];
  if (req.seed !== undefined)
    overrides.push({ path: ['seed'], value: req.seed, text: `seed=${req.seed}`, flag: `--seed ${req.seed}` });
  const taskOverride = overrides.find((o) => o.path.length === 1 && o.path[0] === 'task');
  const name = readTaskName(req.file, taskOverride ? { ...raw, task: taskOverride.value } : raw, source, TASK_NAMES);
  const task = await loadTask(name, req.file);
  const inputsRelativeTo =
    req.dataConfigFile === undefined
      ? undefined
      : req.dataConfigFile === null
        ? process.cwd()
        : dirname(resolve(req.dataConfigFile));
  const config = validateConfig(task.schema, raw, req.file, source, overrides, {
    inputsRelativeTo,
  }) as ResolvedTaskConfig['config'];
  return { task, config, yaml: resolvedYaml(config), file: req.file };
}

function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

async function contextFor(
  run: RunDir,
  resolved: ResolvedTaskConfig,
  g: GlobalOptions,
  log: Logger,
  configFile?: string,
): Promise<TaskContext> {
  let backend: BackendInfo | undefined;
  if (resolved.task.usesTensorflow) backend = await initBackend(g.backend);
  return { run, log, seed: resolved.config.seed, backend, configFile, workers: defaultWorkers(), jobs };
}

async function execute(
  run: RunDir,
  resolved: ResolvedTaskConfig,
  g: GlobalOptions,
  argv: string[],
  work: (ctx: TaskContext) => Promise<TaskOutcome>,
  configFile?: string,
): Promise<TaskOutcome> {
  const log = createLogger({ quiet: g.quiet, progress: g.progress });
  if (log.mode === 'plain')
    run.onPhase = (name, event, seconds) =>
      log.progress(event === 'start' ? `${name}: started` : `${name}: done in ${seconds.toFixed(1)} s`);
  run.addTags(g.tags);
  run.writeText('config.yaml', redactSecrets(resolved.yaml));
  const ctx = await contextFor(run, resolved, g, log, configFile);
  const backendName = ctx.backend ? ctx.backend.name : 'none';
  if (ctx.backend) run.extra.backend_patches = ctx.backend.patches;
  if (configFile) run.extra.config_file = configFile;
  const info = { command: argv, backend: backendName, seed: ctx.seed };
  run.finish({ ...info, status: 'running' });
  const stopWatching = recordInterruption(run, (signal) =>
    run.finish({ ...info, status: 'interrupted', error: `stopped by ${signal}` }),
  );
  try {
    const outcome = await work(ctx);
    run.finish(info);
    return { ...outcome, summary: { run_dir: run.path, ...outcome.summary } };
  } catch (err) {
    run.finish({ ...info, status: 'failed', error: (err as Error)?.message ?? String(err) });
    throw err;
  } finally {
    stopWatching();
    log.done();
  }
}

/** The config file a run was made from (recorded in run.json), so its relative paths still resolve. */
function originalConfigFile(runDir: string): string | undefined {
  try {
    const info = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { config_file?: unknown };
    return typeof info.config_file === 'string' ? info.config_file : undefined;
  } catch {
    return undefined;
  }
}

export async function runTrain(
  file: string,
  opts: { out?: string; seed?: number; set?: string[]; resume?: string },
  g: GlobalOptions,
  argv: string[],
): Promise<TaskOutcome> {
  let resolved: ResolvedTaskConfig;
  let run: RunDir;
  if (opts.resume) {
    if (!existsSync(join(opts.resume, 'config.yaml')))
      throw new UserError(`--resume ${opts.resume}: not a run directory (no config.yaml)`);
    const original = originalConfigFile(opts.resume);
    resolved = await resolveConfig({
      file: join(opts.resume, 'config.yaml'),
      set: opts.set,
      seed: opts.seed,
      dataConfigFile: original ?? null,
    });
    run = RunDir.open(opts.resume);
    return execute(
      run,
      resolved,
      g,
      argv,
      (ctx) => resolved.task.train(ctx, resolved.config, { resume: run.path }),
      original,
    );
  } else {
    resolved = await resolveConfig({ file, set: opts.set, seed: opts.seed, dataConfigFile: file });
    run = RunDir.create({ task: resolved.task.name, out: opts.out });
  }
  if (existsSync(file) && statSync(file).isFile()) await run.recordInput(file);
  return execute(run, resolved, g, argv, (ctx) => resolved.task.train(ctx, resolved.config, {}), resolve(file));
}

/** `evaluate <run-dir>` re-evaluates the run's model; `evaluate <config> --model DIR` evaluates a model under a new config. */
export async function runEvaluate(
  target: string,
  opts: { out?: string; set?: string[]; model?: string; seed?: number },
  g: GlobalOptions,
  argv: string[],
): Promise<TaskOutcome> {
  if (!existsSync(target)) throw new UserError(`${target}: no such config file or run directory`);
  const isRun = statSync(target).isDirectory();
  let resolved: ResolvedTaskConfig;
  let modelDir: string;
  if (isRun) {
    const configFile = join(target, 'config.yaml');
    if (!existsSync(configFile)) throw new UserError(`${target}: not a run directory (no config.yaml)`);
    const original = originalConfigFile(target);
    resolved = await resolveConfig({ file: configFile, set: opts.set, seed: opts.seed, dataConfigFile: original });
    modelDir = opts.model ?? join(target, 'model');
  } else {
    resolved = await resolveConfig({ file: target, set: opts.set, seed: opts.seed, dataConfigFile: target });
    if (!opts.model)
      throw new UserError(`${target}: evaluate needs a trained model: pass a run directory, or --model <run>/model`);
    modelDir = opts.model;
  }
  if (!existsSync(modelDir))
    throw new UserError(`${modelDir}: no trained model here (expected the model/ folder of a run)`);
  const run = RunDir.create({ task: `${resolved.task.name}-eval`, out: opts.out });
  return execute(
    run,
    resolved,
    g,
    argv,
    (ctx) => resolved.task.evaluate(ctx, resolved.config, { modelDir: resolve(modelDir) }),
    isRun ? originalConfigFile(target) : resolve(target),
  );
}

/** A run that failed, was interrupted or is still running has no metrics to report: say which, and why. */
function refuseUnfinishedRun(dir: string): void {
  let info: { status?: unknown; error?: unknown; ended_at?: unknown } = {};
  try {
    info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  } catch {
    // No run.json: judged by its files below.
  }
  const why = typeof info.error === 'string' ? `: ${info.error}` : '';
  if (info.status === 'failed') throw new UserError(`${dir}: this run failed${why}; there is nothing to report`);
  if (info.status === 'interrupted')
    throw new UserError(
      `${dir}: this run was interrupted${typeof info.ended_at === 'string' ? ` at ${info.ended_at}` : ''} before its results; there is nothing to report (resume it with sciml train --resume ${dir}, when its task supports it)`,
    );
  if (info.status === 'running')
    throw new UserError(
      `${dir}: this run is still running (or was killed without a trace); there is nothing to report yet`,
    );
  if (!existsSync(join(dir, 'metrics.json')))
    throw new UserError(`${dir}: no metrics.json: the run did not finish, there is nothing to report`);
}

/** Re-renders a task run's report (a tune run's is commands/report.ts's business). */
export async function runReport(dir: string, g: GlobalOptions): Promise<TaskOutcome> {
  const configFile = join(dir, 'config.yaml');
  if (!existsSync(configFile))
    throw new UserError(`${dir}: not a run directory (no config.yaml, nor a tune run's tune.yaml)`);
  const name = readTaskName(configFile, { task: taskField(readFileSync(configFile, 'utf8')) }, undefined, TASK_NAMES);
  refuseUnfinishedRun(dir);
  const task = await loadTask(name, configFile);
  const run = RunDir.open(dir);
  await task.renderReport(run, createLogger({ quiet: g.quiet, progress: g.progress }));
  return { text: `${run.file('report.html')}\n`, summary: { run_dir: run.path, report: run.file('report.html') } };
}

/**
 * Trains `configFile` into the existing folder `dir` (a tune winner's best/<segment>/, holding the
 * config and the winner's checkpoint): the folder becomes a complete run directory.
 */
export async function trainInto(
  dir: string,
  configFile: string,
  g: GlobalOptions,
  argv: string[],
): Promise<TaskOutcome> {
  const resolved = await resolveConfig({ file: configFile, dataConfigFile: configFile });
  rmSync(join(dir, 'model'), { recursive: true, force: true });
  const run = RunDir.open(dir);
  return execute(run, resolved, g, argv, (ctx) => resolved.task.train(ctx, resolved.config, {}), resolve(configFile));
}

/** Like runTrain, for a config assembled in memory (e.g. from `sciml automl` flags); `label` names it in errors. */
export async function runTrainFromText(
  label: string,
  text: string,
  opts: { out?: string; set?: string[]; flags?: Override[] },
  g: GlobalOptions,
  argv: string[],
): Promise<TaskOutcome> {
  const resolved = await resolveConfig({ file: label, text, set: opts.set, flags: opts.flags, dataConfigFile: null });
  const run = RunDir.create({ task: resolved.task.name, out: opts.out });
  return execute(run, resolved, g, argv, (ctx) => resolved.task.train(ctx, resolved.config, {}));
}
