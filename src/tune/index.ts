/**
 * `sciml tune`: hyperparameter search over any tunable task's config. Reads the tune file, runs
 * the segments' searches through one executor under the time limit, and writes the leaderboards,
 * winners and report. `resume` continues an interrupted run from its journal.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { parseDocument, type Document } from 'yaml';
import { createExecutor } from '../execution/create.js';
import { UserError } from '../runtime/errors.js';
import { createLogger } from '../runtime/log.js';
import { RunDir } from '../runtime/rundir.js';
import type { GlobalOptions } from '../contracts/globals.js';
import { jobs } from '../registry.js';
import type { TaskOutcome } from '../contracts/task.js';
import { loadTuneFile, type TuneSetup } from './config.js';
import { TuneDriver } from './driver.js';
import { TuneState, type SegmentState } from './state.js';
import { Journal, readJournal, type JournalEvent } from './journal.js';
import {
  formatValue,
  leaderboard,
  writeBest,
  writeLeaderboardArrow,
  writeTrialsArrow,
  type LeaderRow,
} from './outputs.js';
import { bestSoFar, writeTuneReport, type BestSoFar } from './report.js';
import { budgetStart } from '../runtime/budget-start.js';
import { textTable } from '../runtime/text-table.js';

export interface TuneOptions {
  /** The tune file (absent with resume). */
  file?: string;
  /** A tune run directory to continue. */
  resume?: string;
  out?: string;
  timeLimit?: number;
  workers?: number;
  maxTrials?: number;
  executor?: string;
  /** Train every winner into best/<segment>/ as a complete run directory (`--refit`). */
  refit?: boolean;
  /** Streamed checkpoint spacing inside trials (tests use 0: every epoch). */
  checkpointIntervalMs?: number;
  /** Extra best-so-far curves for the report (a benchmark's random search). */
  referenceCurves?: BestSoFar[];
}

/** Time kept back from the search for the outputs. */
function outputReserveS(limit: number): number {
  return Math.min(20, Math.max(1.5, 0.08 * limit));
}

function leaderboardText(setup: TuneSetup, boards: LeaderRow[][], segments: string[]): string {
  const lines: string[] = [];
  segments.forEach((name, i) => {
    const board = boards[i];
    const cv = setup.tune.rerank.top > 0;
    const header = [
      'rank',
      'trial',
      ...setup.parameters.map((p) => p.path),
      setup.metric,
      ...(cv ? [`cv ${setup.metric}`] : []),
      'epochs',
      'status',
    ];
    const rows = board
      .slice(0, 10)
      .map((r, k) => [
        String(k + 1),
        String(r.trial),
        ...setup.parameters.map((p) => formatValue(r.values[p.path])),
        r.metric === null ? '-' : formatValue(r.metric),
        ...(cv ? [r.cv_metric === null ? '-' : formatValue(r.cv_metric)] : []),
        String(r.epochs),
        r.status,
      ]);
    if (segments.length > 1 || name !== 'all') lines.push(`segment ${name}`);
    lines.push(textTable([header, ...rows]).trimEnd());
    if (board.length > 10) lines.push(`... ${board.length - 10} more in leaderboard.arrow`);
    lines.push('');
  });
  return lines.join('\n');
}

export async function runTune(options: TuneOptions, g: GlobalOptions, argv: string[]): Promise<TaskOutcome> {
  const startMs = Date.now();
  const log = createLogger({ quiet: g.quiet, progress: g.progress });
  let run: RunDir;
  let tuneFile: string;
  let replay;
  if (options.resume) {
    tuneFile = join(options.resume, 'tune.yaml');
    if (!existsSync(tuneFile) || !existsSync(join(options.resume, 'trials.jsonl')))
      throw new UserError(`--resume ${options.resume}: not a tune run directory (no tune.yaml and trials.jsonl)`);
    run = RunDir.open(options.resume);
    try {
      replay = readJournal(run.file('trials.jsonl'));
    } catch (err) {
      throw new UserError(`--resume ${options.resume}: ${(err as Error).message}`);
    }
    // A resume's own overrides stay for the next resume too.
    if (hasCommandLineOverrides(options))
      run.writeText(
        'tune.yaml',
        withCommandLineOverrides(parseDocument(readFileSync(tuneFile, 'utf8')), options).toString(),
      );
  } else {
    if (!options.file) throw new UserError('tune: expected a tune file (or --resume RUN)');
    tuneFile = options.file;
  }
  const setup = await loadTuneFile(tuneFile, {
    timeLimit: options.timeLimit,
    workers: options.workers,
    executor: options.executor,
    maxTrials: options.maxTrials,
  });
  const { tune } = setup;
  const slots = tune.workers > 0 ? tune.workers : Math.max(1, availableParallelism());
  // Before the run directory exists: a bad executor leaves nothing behind.
  const executorRun = executorRunId(replay, options.resume);
  const executor = await createExecutor({
    jobs,
    spec: setup.executor,
    slots,
    isolation: 'thread',
    origin: setup.executorOrigin,
    queue: setup.queue,
    runId: executorRun,
    warn: (m) => log.warn(m),
  });
  if (!options.resume) {
    run = RunDir.create({ task: 'tune', out: options.out });
    // The run keeps its own copy of the tune file, pointing at the base config by absolute path and
    // holding the command line's overrides, for --resume.
    const doc = parseDocument(readFileSync(tuneFile, 'utf8'));
    doc.setIn(['tune', 'base'], setup.baseFile);
    run.writeText('tune.yaml', withCommandLineOverrides(doc, options).toString());
    copyFileSync(setup.baseFile, run.file('base.yaml'));
    await run.recordInput(tuneFile);
    await run.recordInput(setup.baseFile);
    run.extra.config_file = resolve(tuneFile);
  }
  run = run!;
  run.addTags(g.tags);
  const limit = tune.time_limit_s;
  const endMs = limit > 0 ? budgetStart(startMs) + limit * 1000 : Infinity;
  const deadlineMs = limit > 0 ? endMs - outputReserveS(limit) * 1000 : Infinity;
  const searchDeadlineMs =
    limit > 0 && tune.rerank.top > 0 ? deadlineMs - tune.rerank.reserve * limit * 1000 : deadlineMs;
  const parallel = tune.workers > 0 ? tune.workers : executor.slots;
  const journal = new Journal(run.file('trials.jsonl'));
  const info = { command: argv, backend: g.backend, seed: tune.seed };
  run.extra.executor = executor.name;
  run.finish({ ...info, status: 'running' });
  journal.append({
    ev: 'start',
    t: 0,
    seed: tune.seed,
    segments: setup.segments.map((s) => s.name),
    scheduler: tune.scheduler,
    sampler: tune.sampler,
    ...(replay ? { resumed: true } : {}),
    executor_run: executorRun,
  });
  const driver = new TuneDriver({
    setup,
    runDir: run.path,
    executor,
    parallel,
    deadlineMs: searchDeadlineMs,
    rerankDeadlineMs: deadlineMs,
    startMs,
    log,
    backend: g.backend,
    journal,
    replay,
    checkpointIntervalMs: options.checkpointIntervalMs ?? tune.checkpoint_interval_s * 1000,
  });
  const onSignal = () => {
    log.warn('tune: interrupted; writing the leaderboard (resume with sciml tune --resume ' + run.path + ')');
    driver.interrupt();
    void executor.close();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    try {
      await run.phase('search', () => driver.run());
      await run.phase('rerank', () => driver.rerank());
    } catch (err) {
      run.finish({ ...info, status: 'failed' });
      if (replay && /^journal:/.test((err as Error).message))
        throw new UserError(`--resume ${run.path}: ${(err as Error).message}`);
      throw err;
    }
    journal.append({
      ev: 'end',
      t: (Date.now() - startMs) / 1000,
      reason: driver.wasInterrupted ? 'interrupted' : Date.now() >= searchDeadlineMs ? 'time limit' : 'done',
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    journal.close();
    await executor.close();
    log.done();
  }

  const boards = driver.segments.map((seg) => leaderboard(setup, seg));
  const winners = driver.segments.map((seg, i) => ({ seg, winner: boards[i].find((r) => r.metric !== null) }));
  await run.phase('outputs', async () => {
    writeLeaderboardArrow(run, setup, boards);
    writeTrialsArrow(run, setup, driver.segments);
    for (const { seg, winner } of winners) writeBest(run, setup, seg, winner);
    if (!tune.keep_checkpoints) {
      // Only what can never run again: configurations a resume could still continue keep theirs.
      boards
        .flat()
        .filter((r) => !winners.some((w) => w.winner === r) && ['completed', 'stopped', 'failed'].includes(r.status))
        .forEach((r) => rmSync(join(r.dir, 'checkpoint'), { recursive: true, force: true }));
    }
  });
  if (options.refit && !driver.wasInterrupted) {
    // Each winner trained from its config at full length into best/<segment>/: a complete run
    // directory (config.yaml, model/, metrics.json, report) that predict and serve take.
    const { trainInto } = await import('../session.js');
    await run.phase('refit', async () => {
      for (const { seg, winner } of winners) {
        if (winner?.metric == null) continue;
        const dir = run.file('best', seg.segment.name);
        log.info(`tune: refitting the winner of segment ${seg.segment.name} into ${dir}`);
        await trainInto(dir, join(dir, 'config.yaml'), g, [...argv, '(refit)']);
      }
    });
  }
  const metrics: Record<string, number> = {};
  const segmentsSummary: Record<string, unknown> = {};
  for (const { seg, winner } of winners) {
    if (winner?.metric != null) metrics[`${seg.segment.name}.${setup.metric}`] = winner.metric;
    if (winner?.cv_metric != null) metrics[`${seg.segment.name}.cv_${setup.metric}`] = winner.cv_metric;
    segmentsSummary[seg.segment.name] = {
      winner: winner
        ? {
            trial: winner.trial,
            values: winner.values,
            [setup.metric]: winner.metric,
            ...(winner.cv_metric !== null ? { [`cv_${setup.metric}`]: winner.cv_metric } : {}),
            epochs: winner.epochs,
            config: winner.metric !== null ? run.file('best', seg.segment.name, 'config.yaml') : null,
          }
        : null,
      configurations: seg.configs.size,
      failed: [...seg.configs.values()].filter((c) => c.status === 'failed').length,
    };
  }
  const elapsed = (Date.now() - startMs) / 1000;
  const epochsTrained = epochsTrainedBy(driver.segments);
  run.writeMetrics({
    task: 'tune',
    metrics,
    baseline: {},
    base_task: setup.task.name,
    metric: setup.metric,
    mode: setup.mode,
    segments: segmentsSummary,
    elapsed_s: elapsed,
    epochs_trained: epochsTrained,
    workers: parallel,
  });
  const curves = journalCurves(readJournal(run.file('trials.jsonl')), setup);
  await run.phase('report', () =>
    writeTuneReport(
      run,
      setup,
      driver.segments,
      boards,
      [...curves, ...(options.referenceCurves ?? [])],
      reportFacts(driver.segments, boards, parallel),
    ),
  );
  const noWinner = winners.every((w) => w.winner?.metric == null);
  const tried = boards.reduce((n, b) => n + b.length, 0);
  // Every trial failed (or none ran): an error. Trials merely cut by the time limit are not.
  const allFailed = boards.every((b) => b.every((r) => r.status === 'failed'));
  const failure =
    noWinner && allFailed && !driver.wasInterrupted
      ? `no trial finished${tried ? `: ${whyNoTrialFinished(boards)}` : ' (no configuration was tried)'}`
      : undefined;
  if (noWinner && !failure && !driver.wasInterrupted)
    log.warn(
      `tune: no trial reported a ${setup.metric} before the time limit (${whyNoTrialFinished(boards)}): no winner in ${run.path}/best; raise the time limit`,
    );
  run.finish({
    ...info,
    status: driver.wasInterrupted ? 'interrupted' : failure ? 'failed' : 'completed',
    ...(failure ? { error: failure } : {}),
  });
  const text = `${leaderboardText(
    setup,
    boards,
    driver.segments.map((s) => s.segment.name),
  )}run: ${run.path}\n`;
  if (failure) {
    // The leaderboard shows what happened to each trial; a script must not take this for a result.
    process.stdout.write(text);
    throw new UserError(`tune: ${failure}; nothing in ${run.path}/best`);
  }
  return {
    text,
    summary: {
      run_dir: run.path,
      metric: setup.metric,
      mode: setup.mode,
      segments: segmentsSummary,
      trials: boards.reduce((n, b) => n + b.length, 0),
      epochs_trained: epochsTrained,
      elapsed_s: elapsed,
    },
  };
}

/** The commonest failure reason among the trials (the leaderboard's status column says the rest). */
function whyNoTrialFinished(boards: LeaderRow[][]): string {
  const counts = new Map<string, number>();
  for (const r of boards.flat()) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const first = boards.flat().find((r) => r.error)?.error;
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ') + (first ? `; first error: ${first}` : '');
}

function hasCommandLineOverrides(options: TuneOptions): boolean {
  return options.timeLimit !== undefined || options.workers !== undefined || options.maxTrials !== undefined;
}

/**
 * The run's tune.yaml with `--time-limit`, `--workers` and `--max-trials` written in, so a resume
 * runs the search the command line asked for. (`--executor` is not: a URL may hold a password, and
 * a resume may run elsewhere; give it again.)
 */
function withCommandLineOverrides(doc: Document, options: TuneOptions): Document {
  if (options.timeLimit !== undefined) doc.setIn(['tune', 'time_limit_s'], options.timeLimit);
  if (options.workers !== undefined) doc.setIn(['tune', 'workers'], options.workers);
  if (options.maxTrials !== undefined) doc.setIn(['tune', 'max_trials'], options.maxTrials);
  return doc;
}

/**
 * The id of this run's jobs on a remote engine: the same across `--resume`, so the resumed driver
 * reattaches to jobs the killed one left queued or running (and to outcomes they stored) instead of
 * running them again. Recorded in the journal's first start event; runs from before that record
 * fall back to a hash of the run directory's absolute path.
 */
function executorRunId(replay: JournalEvent[] | undefined, resumeDir: string | undefined): string {
  const recorded = replay?.find((e): e is Extract<JournalEvent, { ev: 'start' }> => e.ev === 'start')?.executor_run;
  if (recorded) return recorded;
  if (resumeDir) return `tune-${createHash('sha256').update(resolve(resumeDir)).digest('hex').slice(0, 16)}`;
  return `tune-${randomBytes(8).toString('hex')}`;
}

/**
 * The leader against time per segment from the journal (bestSoFar: every configuration at its
 * latest epoch report), the clock of a resumed session continuing where the interrupted one stopped.
 */
export function journalCurves(events: JournalEvent[], setup: TuneSetup): BestSoFar[] {
  let offset = 0;
  let last = 0;
  const reports: { seg: string; t: number; metric: number; config: number }[] = [];
  for (const e of events) {
    if (e.ev === 'start') {
      offset += last;
      last = 0;
      continue;
    }
    last = Math.max(last, e.t);
    if (e.ev === 'epoch' && Number.isFinite(e.metrics[setup.metric]))
      reports.push({ seg: e.seg, t: offset + e.t, metric: e.metrics[setup.metric], config: e.config_index });
  }
  return setup.segments.map((s) => ({
    name: s.name,
    points: bestSoFar(
      reports.filter((r) => r.seg === s.name),
      setup.mode,
    ),
  }));
}

/** Re-renders report.html of a finished tune run from its files, with extra best-so-far curves (a benchmark's random search). */
function epochsTrainedBy(segments: SegmentState[]): number {
  return segments.reduce(
    (n, seg) => n + [...seg.configs.values()].reduce((m, c) => m + (c.history[c.history.length - 1]?.epoch ?? 0), 0),
    0,
  );
}

/** The report's summary table, the same when it is re-rendered from the run's files. */
function reportFacts(
  segments: SegmentState[],
  boards: LeaderRow[][],
  workers: number | undefined,
): Record<string, number> {
  const facts: Record<string, number> = {
    trials: boards.reduce((n, b) => n + b.length, 0),
    'epochs trained': epochsTrainedBy(segments),
  };
  if (workers !== undefined) facts.workers = workers;
  return facts;
}

function workersOf(run: RunDir): number | undefined {
  try {
    const workers = JSON.parse(readFileSync(run.file('metrics.json'), 'utf8')).workers;
    return typeof workers === 'number' ? workers : undefined;
  } catch {
    return undefined;
  }
}

export async function renderTuneReport(runDir: string, referenceCurves: BestSoFar[] = []): Promise<string> {
  if (!existsSync(join(runDir, 'tune.yaml')) || !existsSync(join(runDir, 'trials.jsonl')))
    throw new UserError(`${runDir}: not a tune run directory (no tune.yaml and trials.jsonl)`);
  const run = RunDir.open(runDir);
  const setup = await loadTuneFile(run.file('tune.yaml'));
  const events = readJournal(run.file('trials.jsonl'));
  const { segments } = TuneState.fromJournal(setup, run.path, events);
  const ended = events.filter((e) => e.ev === 'end').at(-1);
  for (const seg of segments) seg.finished = ended?.ev === 'end' && ended.reason === 'done';
  const boards = segments.map((seg) => leaderboard(setup, seg));
  await writeTuneReport(
    run,
    setup,
    segments,
    boards,
    [...journalCurves(events, setup), ...referenceCurves],
    reportFacts(segments, boards, workersOf(run)),
  );
  return run.file('report.html');
}
