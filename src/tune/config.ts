/**
 * The tune file: its schema, and the checks against the base task's schema (space paths, domain
 * types, the budget field, the metric, segments), every error as `file:line: field: ...`.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { parseConfigSource, parsePath, readTaskName, validateConfig } from '../config/load.js';
import { formatPath } from '../config/issues.js';
import { describeValue, issueExpectation, issuesInBrief } from '../config/issues.js';
import { keysAt, schemaAt } from '../config/describe.js';
import { hint } from '../config/didyoumean.js';
import {
  bool,
  choice,
  fraction,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  section,
  text,
  optionalText,
  timeLimitSeconds,
} from '../config/fields.js';
import { locatedError, UserError } from '../runtime/errors.js';
import type { TaskDefinition } from '../contracts/task.js';
import { TASK_NAMES, loadTask } from '../registry.js';
import { validateDomain, type Domain } from '../search/space.js';
import { rungBudgets } from '../search/scheduler.js';

export const SCHEDULERS = ['asha', 'successive_halving', 'median_stopping', 'random'] as const;
export const SAMPLERS = ['tpe', 'random', 'grid'] as const;
export const DOMAIN_NAMES = ['uniform', 'loguniform', 'randint', 'qrandint', 'choice'] as const;

export const tuneSchema = z.strictObject({
  tune: z
    .strictObject({
      base: z
        .string({ error: 'expected the path of a task config (relative to this file)' })
        .describe('the task config to tune, relative to this file'),
      metric: z
        .string({ error: 'expected a metric name such as validation.peak_accuracy' })
        .describe('the validation metric the task reports each epoch (e.g. validation.peak_accuracy)'),
      mode: z
        .enum(['min', 'max'], { error: "expected 'min' or 'max'" })
        .optional()
        .describe("'max' or 'min' (default: the metric's own direction)"),
      space: z
        .record(z.string(), z.unknown(), { error: 'expected a mapping of dotted config paths to domains' })
        .describe(
          'dotted config paths -> Ray Tune domains: {uniform|loguniform: [lo, hi]}, {randint: [lo, hi)}, {qrandint: [lo, hi, q]}, {choice: [...]}',
        ),
      budget: z
        .strictObject({
          field: optionalText(
            "the integer config field ASHA hands out (default: the task's first budget field, e.g. training.epochs)",
          ),
          min: positiveInt(1, 'budget of the lowest rung'),
          max: positiveInt(9, 'full budget (the last rung)'),
        })
        .prefault({})
        .describe('the resource the scheduler hands out'),
      scheduler: choice(SCHEDULERS, 'asha', 'asha | successive_halving | median_stopping | random'),
      eta: z
        .number({ error: 'expected a number > 1' })
        .gt(1, { error: 'expected a number > 1' })
        .default(3)
        .describe('reduction factor between rungs (keep the best 1/eta)'),
      brackets: positiveInt(
        1,
        "scheduler asha: brackets of asynchronous Hyperband (Ray Tune's ASHAScheduler brackets); bracket b " +
          "starts its configurations at rung b, in Hyperband's proportions, hedging against a lowest rung that " +
          'ranks configurations unlike the full budget (1: plain ASHA)',
      ),
      sampler: choice(SAMPLERS, 'tpe', 'tpe (after n_startup random draws) | random | grid'),
      n_startup: nonNegativeInt(10, 'random configurations before TPE models the results'),
      grid_points: positiveInt(5, 'grid values per continuous or wide integer range (sampler: grid)'),
      time_limit_s: timeLimitSeconds(600, 'wall-clock limit of the whole command, outputs included (0: none)', {
        zeroMeansNone: true,
      }),
      max_trials: nonNegativeInt(0, 'configurations sampled per segment at most (0: until the time limit)'),
      workers: nonNegativeInt(0, 'trials in parallel (0: one per core)'),
      trial_timeout_s: timeLimitSeconds(0, 'hard limit of one trial run (0: none beyond the time limit)', {
        zeroMeansNone: true,
      }),
      seed: nonNegativeInt(
        42,
        "seed of the samplers and schedulers, and every trial's config seed (data splits, initialisation)",
      ),
      seed_per_trial: bool(
        false,
        'give each trial its own seed derived from seed (default: all trials share it, so they differ only in their parameters)',
      ),
      segments: z
        .record(z.string(), z.record(z.string(), z.unknown()), {
          error: 'expected a mapping of segment names to {dotted.path: value}',
        })
        .optional()
        .describe('one search per segment: name -> config values it sets'),
      checkpoint_interval_s: nonNegativeNumber(
        2,
        'least time between checkpoints a running trial sends back (where --resume continues it after a crash; 0: every epoch)',
      ),
      trial_overrides: z
        .record(z.string(), z.unknown(), { error: 'expected a mapping of {dotted.path: value}' })
        .optional()
        .describe(
          'values set in every trial but not in best/<segment>/config.yaml (a smaller training set, one thread per trial)',
        ),
      keep_checkpoints: bool(true, "keep every trial's checkpoint (false: only the winners')"),
      rerank: z
        .strictObject({
          top: nonNegativeInt(
            0,
            'configurations of each segment re-ranked by cross-validation once the search ends (0: off; tasks ' +
              "that cross-validate: tabular). The trials' validation rows chose them, so their scores there are " +
              'optimistic; the folds cut the other training rows',
          ),
          folds: positiveInt(
            4,
            'folds of the re-ranking: each refits the configuration at its budget on every training row outside the fold',
          ),
          reserve: fraction(0.15, 'share of time_limit_s kept for the re-ranking (the search stops that much earlier)'),
        })
        .prefault({})
        .describe('re-rank the best configurations by cross-validation before picking the winner'),
    })
    .describe('the search'),
  execution: section(
    {
      executor: text('local', "where trials run: 'local' (worker threads) or an engine URL"),
      queue: text('sciml', 'Redis queue the workers take jobs from (`sciml worker URL --queue NAME`)'),
    },
    'where trials run',
  ),
});

type TuneFile = z.infer<typeof tuneSchema>;

/** A parameter of the space: a search domain over indices for choices of lists or mappings. */
export interface Parameter {
  path: string;
  parts: (string | number)[];
  domain: Domain;
  /** For choices: the values themselves (the domain samples their index). */
  values?: unknown[];
}

export interface Segment {
  name: string;
  /** Values the segment sets in the base config. */
  values: Record<string, unknown>;
}

export interface TuneSetup {
  file: string;
  tune: TuneFile['tune'];
  executor: string;
  executorOrigin: string;
  /** Remote engines: the queue name. */
  queue: string;
  baseFile: string;
  task: TaskDefinition;
  /** The base config with defaults filled and relative paths made absolute. */
  base: Record<string, unknown>;
  parameters: Parameter[];
  budgetField: string;
  budgetParts: (string | number)[];
  /** Values set in trials only (not in the winner's config). */
  trialOverrides: Record<string, unknown>;
  metric: string;
  mode: 'min' | 'max';
  segments: Segment[];
}

function setIn(root: Record<string, unknown>, parts: readonly (string | number)[], value: unknown): void {
  let node: any = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i];
    if (node[key] === null || typeof node[key] !== 'object') node[key] = typeof parts[i + 1] === 'number' ? [] : {};
    node = node[key];
  }
  node[parts[parts.length - 1]] = value;
}

/**
 * Relative file paths of the base config (string fields named `path`, `*_path`, `file`, `*_file`,
 * `dir`) become absolute against its folder, so trial and winner configs written elsewhere still
 * find their data.
 */
function absolutePaths(value: unknown, baseDir: string, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => absolutePaths(v, baseDir, key));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, absolutePaths(v, baseDir, k)]));
  if (
    typeof value === 'string' &&
    value !== '' &&
    value !== '-' &&
    /(^|_)(path|file|dir)$/.test(key) &&
    !isAbsolute(value) &&
    !/^[a-z]+:\/\//.test(value)
  ) {
    const full = resolve(baseDir, value);
    return existsSync(full) ? full : value;
  }
  return value;
}

function fieldKind(leaf: z.ZodType): 'integer' | 'number' | 'other' {
  if (leaf.safeParse(3).success && !leaf.safeParse(3.5).success) return 'integer';
  if (leaf.safeParse(3.5).success || leaf.safeParse(0.5).success) return 'number';
  return 'other';
}

function numbers(v: unknown, count: number): number[] | undefined {
  return Array.isArray(v) && v.length === count && v.every((x) => typeof x === 'number' && Number.isFinite(x))
    ? (v as number[])
    : undefined;
}

function readDomain(raw: unknown, where: (msg: string) => UserError): { domain: Domain; values?: unknown[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length !== 1) {
    throw where(
      `expected one domain such as {loguniform: [1.0e-4, 1.0e-2]} or {choice: [a, b]} (domains: ${DOMAIN_NAMES.join(', ')})`,
    );
  }
  const [name, args] = Object.entries(raw)[0];
  if (!(DOMAIN_NAMES as readonly string[]).includes(name))
    throw where(`unknown domain '${name}'${hint(name, DOMAIN_NAMES)}; domains: ${DOMAIN_NAMES.join(', ')}`);
  const check = (d: Domain): Domain => {
    try {
      validateDomain('', d);
    } catch (err) {
      throw where((err as Error).message.replace(/^search space: : /, ''));
    }
    return d;
  };
  if (name === 'choice') {
    if (!Array.isArray(args)) throw where('choice: expected a list of values');
    if (args.length === 0) throw where('choice: expected at least one value, got an empty list');
    const plain = args.every((v) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean');
    return plain
      ? { domain: { type: 'choice', values: args as (number | string | boolean)[] } }
      : { domain: { type: 'choice', values: args.map((_, i) => i) }, values: args };
  }
  if (name === 'qrandint') {
    const a = numbers(args, 3) ?? (numbers(args, 2) ? [...(args as number[]), 1] : undefined);
    if (!a) throw where('qrandint: expected [low, high, q]');
    return { domain: check({ type: 'qrandint', low: a[0], high: a[1], q: a[2] }) };
  }
  const a = numbers(args, 2);
  if (!a) throw where(`${name}: expected [low, high]`);
  return { domain: check({ type: name as 'uniform' | 'loguniform' | 'randint', low: a[0], high: a[1] }) };
}

/** The field at a dotted path of a task schema, with a did-you-mean error when it does not exist. */
function leafAt(
  schema: z.ZodType,
  dotted: string,
  where: (msg: string) => UserError,
): { parts: (string | number)[]; leaf: z.ZodType } {
  let parts: (string | number)[];
  try {
    parts = parsePath(dotted);
  } catch {
    throw where('expected a dotted config path like training.learning_rate');
  }
  for (let i = 0; i < parts.length; i++) {
    if (!schemaAt(schema, parts.slice(0, i + 1))) {
      const known = keysAt(schema, parts.slice(0, i));
      const prefix = formatPath(parts.slice(0, i));
      const suggestion = typeof parts[i] === 'string' ? hint(String(parts[i]), known) : '';
      const guess = suggestion ? suggestion.replace(/'([^']+)'/, (_, k) => `'${i === 0 ? k : `${prefix}.${k}`}'`) : '';
      throw where(
        `no such field in the base config${guess}${known.length ? `; fields ${i === 0 ? 'at the top level' : `of ${prefix}`}: ${known.join(', ')}` : ''}`,
      );
    }
  }
  return { parts, leaf: schemaAt(schema, parts)! };
}

/** Reads and checks a tune file; `overrides` are command-line values (time limit, workers, executor). */
export async function loadTuneFile(
  file: string,
  overrides: { timeLimit?: number; workers?: number; executor?: string; maxTrials?: number } = {},
): Promise<TuneSetup> {
  const { raw, source } = parseConfigSource(file);
  const parsed = validateConfig(tuneSchema, raw, file, source, []);
  const tune = { ...parsed.tune };
  if (overrides.timeLimit !== undefined) tune.time_limit_s = overrides.timeLimit;
  if (overrides.workers !== undefined) tune.workers = overrides.workers;
  if (overrides.maxTrials !== undefined) tune.max_trials = overrides.maxTrials;
  const at = (path: (string | number)[], field: string, msg: string) =>
    locatedError(file, source.lineOf(path), field, msg);

  const baseFile = resolve(dirname(file), tune.base);
  if (!existsSync(baseFile)) throw at(['tune', 'base'], 'tune.base', `no such file: ${baseFile}`);
  const baseSource = parseConfigSource(baseFile);
  const taskName = readTaskName(baseFile, baseSource.raw, baseSource.source, TASK_NAMES);
  const task = await loadTask(taskName, baseFile);
  if (!task.trial)
    throw at(['tune', 'base'], 'tune.base', `task '${taskName}' cannot be tuned yet (it has no trial interface)`);
  const validated = validateConfig(task.schema, baseSource.raw, baseFile, baseSource.source, [], {
    inputsRelativeTo: dirname(baseFile),
  }) as Record<string, unknown>;
  const base = absolutePaths(validated, dirname(baseFile)) as Record<string, unknown>;

  if (tune.rerank.top > 0 && !task.trial.crossValidate)
    throw at(
      ['tune', 'rerank', 'top'],
      'tune.rerank.top',
      `task '${taskName}' cannot cross-validate a configuration; re-ranking works with task: tabular (set top: 0)`,
    );
  if (tune.rerank.folds < 2)
    throw at(['tune', 'rerank', 'folds'], 'tune.rerank.folds', `expected at least 2 folds, got ${tune.rerank.folds}`);
  const metrics = Object.keys(task.trial.metrics);
  if (!metrics.includes(tune.metric))
    throw at(
      ['tune', 'metric'],
      'tune.metric',
      `expected one of ${metrics.map((m) => `'${m}'`).join(', ')} (what task '${taskName}' reports each epoch), got ${JSON.stringify(tune.metric)}${hint(tune.metric, metrics)}`,
    );
  const mode = tune.mode ?? task.trial.metrics[tune.metric];

  const budgetField = tune.budget.field ?? task.trial.budgetFields[0];
  const budgetWhere = (msg: string) => at(['tune', 'budget', 'field'], 'tune.budget.field', msg);
  if (!task.trial.budgetFields.includes(budgetField))
    throw budgetWhere(
      `expected one of ${task.trial.budgetFields.map((f) => `'${f}'`).join(', ')} (the budget fields of task '${taskName}'), got ${JSON.stringify(budgetField)}${hint(budgetField, task.trial.budgetFields)}`,
    );
  const budgetParts = leafAt(task.schema, budgetField, budgetWhere).parts;
  if (tune.budget.min > tune.budget.max)
    throw at(
      ['tune', 'budget', 'min'],
      'tune.budget.min',
      `expected at most budget.max (${tune.budget.max}), got ${tune.budget.min}`,
    );
  if (tune.brackets > 1) {
    const rungs = rungBudgets(tune.budget.min / tune.budget.max, tune.eta).length;
    if (tune.scheduler !== 'asha')
      throw at(
        ['tune', 'brackets'],
        'tune.brackets',
        `brackets work with scheduler: asha, got scheduler: ${tune.scheduler} (set brackets: 1)`,
      );
    if (tune.brackets > rungs)
      throw at(
        ['tune', 'brackets'],
        'tune.brackets',
        `expected at most ${rungs} (the rungs from budget.min ${tune.budget.min} to budget.max ${tune.budget.max} at eta ${tune.eta}), got ${tune.brackets}`,
      );
  }

  const parameters: Parameter[] = [];
  for (const [path, rawDomain] of Object.entries(tune.space)) {
    const field = `tune.space.${path}`;
    const where = (msg: string) => locatedError(file, source.lineOfKey(['tune', 'space'], path), field, msg);
    const { parts, leaf } = leafAt(task.schema, path, where);
    if (path === budgetField) throw where('this is the budget field; the scheduler sets it (tune.budget)');
    const { domain, values } = readDomain(rawDomain, (msg) =>
      locatedError(file, source.lineOf(['tune', 'space', path]), field, msg),
    );
    // Each value is checked by the field's schema, then in the whole base config (cross-field and
    // learner-parameter checks live at the top of some task schemas).
    const fits = (v: unknown): string | undefined => {
      const r = leaf.safeParse(v);
      if (!r.success) return r.error.issues[0] ? issueExpectation(r.error.issues[0]) : 'invalid';
      const whole = structuredClone(base);
      setIn(whole, parts, v);
      const w = task.schema.safeParse(whole);
      if (w.success) return undefined;
      const mine = w.error.issues.find(
        (i) => formatPath(i.path.filter((q): q is string | number => typeof q !== 'symbol')) === formatPath(parts),
      );
      return mine ? issueExpectation(mine, task.schema, parts) : undefined;
    };
    const shown = (v: unknown) => describeValue(v);
    if (domain.type === 'choice') {
      for (const v of values ?? domain.values) {
        const why = fits(v);
        if (why) throw where(`choice value ${shown(v)} does not fit this field: ${why}`);
      }
    } else {
      const kind = fieldKind(leaf);
      if (kind === 'other')
        throw where(`a ${domain.type} domain needs a numeric field; this field is not a number (use choice)`);
      const ends = domain.type === 'randint' ? [domain.low, domain.high - 1] : [domain.low, domain.high];
      const fraction =
        ends[0] + (ends[1] - ends[0]) * 0.37 + (Number.isInteger(ends[0]) && ends[0] === ends[1] ? 0.5 : 0);
      const integerOnly =
        kind === 'integer' ||
        (fits(Math.round(fraction)) === undefined && fits(fraction) !== undefined && !Number.isInteger(fraction));
      if ((domain.type === 'uniform' || domain.type === 'loguniform') && integerOnly)
        throw where(`a ${domain.type} domain draws fractions but this field takes integers (use randint or qrandint)`);
      for (const v of ends) {
        const why = fits(v);
        if (why) throw where(`${domain.type} bound ${describeValue(v)} does not fit this field: ${why}`);
      }
    }
    parameters.push({ path, parts, domain, values });
  }
  if (parameters.length === 0) throw at(['tune', 'space'], 'tune.space', 'expected at least one parameter to search');

  const trialOverrides: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(tune.trial_overrides ?? {})) {
    const where = (msg: string) =>
      locatedError(file, source.lineOfKey(['tune', 'trial_overrides'], path), `tune.trial_overrides.${path}`, msg);
    const { leaf } = leafAt(task.schema, path, where);
    if (tune.space[path] !== undefined || path === budgetField)
      throw where('this field is searched or is the budget; trial_overrides fixes other fields');
    const r = leaf.safeParse(value);
    if (!r.success)
      throw where(
        `${describeValue(value)} does not fit this field: ${r.error.issues[0] ? issueExpectation(r.error.issues[0]) : 'invalid'}`,
      );
    trialOverrides[path] = value;
  }

  const segments: Segment[] = [];
  for (const [name, values] of Object.entries(tune.segments ?? { all: {} })) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name))
      throw locatedError(
        file,
        source.lineOfKey(['tune', 'segments'], name),
        `tune.segments.${name}`,
        "expected a name of letters, digits, '-' or '_'",
      );
    const config = structuredClone(base);
    for (const [path, value] of Object.entries(values)) {
      const where = (msg: string) =>
        locatedError(file, source.lineOfKey(['tune', 'segments', name], path), `tune.segments.${name}.${path}`, msg);
      const { parts, leaf } = leafAt(task.schema, path, where);
      if (tune.space[path] !== undefined)
        throw where('this field is also in tune.space; a segment fixes it, the space searches it: pick one');
      const r = leaf.safeParse(value);
      if (!r.success)
        throw where(
          `${describeValue(value)} does not fit this field: ${r.error.issues[0] ? issueExpectation(r.error.issues[0]) : 'invalid'}`,
        );
      setIn(config, parts, value);
    }
    const check = task.schema.safeParse(config);
    if (!check.success)
      throw locatedError(
        file,
        source.lineOf(['tune', 'segments', name]),
        `tune.segments.${name}`,
        `the base config with these values is invalid: ${issuesInBrief(check.error.issues.slice(0, 1))}`,
      );
    segments.push({ name, values });
  }

  const executorFromFile =
    raw.execution !== undefined && (raw.execution as Record<string, unknown>)?.executor !== undefined;
  return {
    file,
    tune,
    executor: overrides.executor ?? parsed.execution.executor,
    executorOrigin:
      overrides.executor !== undefined || !executorFromFile
        ? '--executor'
        : `${file}:${source.lineOf(['execution', 'executor'])}: execution.executor`,
    queue: parsed.execution.queue,
    baseFile,
    task,
    base,
    parameters,
    budgetField,
    budgetParts,
    trialOverrides,
    metric: tune.metric,
    mode,
    segments,
  };
}

/** A trial's full config: base, segment values, sampled values, budget and seed. */
export function trialConfig(
  setup: TuneSetup,
  segment: Segment,
  values: Record<string, unknown>,
  budget: number,
  trialSeed: number,
  options: { forTrial: boolean } = { forTrial: true },
): Record<string, unknown> {
  const config = structuredClone(setup.base);
  for (const [path, value] of Object.entries(segment.values)) setIn(config, parsePath(path), value);
  if (options.forTrial)
    for (const [path, value] of Object.entries(setup.trialOverrides)) setIn(config, parsePath(path), value);
  for (const p of setup.parameters) setIn(config, p.parts, structuredClone(values[p.path]));
  setIn(config, setup.budgetParts, budget);
  config.seed = trialSeed;
  return config;
}

/** Checks a trial config against the task schema; the message names the fields the task rejects. */
export function checkTrialConfig(
  setup: TuneSetup,
  config: Record<string, unknown>,
): { ok: true; config: Record<string, unknown> } | { ok: false; error: string } {
  const r = setup.task.schema.safeParse(config);
  if (r.success) return { ok: true, config: r.data as Record<string, unknown> };
  return { ok: false, error: issuesInBrief(r.error.issues) };
}
