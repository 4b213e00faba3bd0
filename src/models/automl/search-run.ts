/**
 * Runs the model search: a first round that settles the target transform (when log1p is a
 * candidate), then the scheduler over the whole zoo, every trial an `automl-trial` job on the
 * executor (local threads, or remote workers) under the wall-clock budget. Keeps the fold models
 * of the best `candidates` trials on disk.
 */
import { rmSync } from 'node:fs';
import type { Logger } from '../../runtime/log.js';
import { isUserError } from '../../runtime/errors.js';
import { RandomSearch, type Scheduler, type Trial } from '../../search/scheduler.js';
import { createScheduler } from '../../search/schedulers.js';
import { runSearch, type TrialOutcome } from '../../search/loop.js';
import { ranOn, type Executor } from '../../execution/job.js';
import { blobHash } from '../../execution/files.js';
import { sampleBranched, type Config } from '../../search/space.js';
import type { AutomlConfig } from './config.js';
import type { TargetTransform } from '../../tabular/target.js';
import type { TrialData, TrialResult, TrialTask } from './trial-common.js';
import { AUTOML_TRIAL_KIND } from './kinds.js';
import { encodeTable, trialPayload, trialResultOf } from './trial-job.js';
import { defaultConfig, initialKinds, portfolio, zooSpace } from './zoo.js';
import { metricOfLoss, type RegressionMetric } from '../../metrics/regression.js';
import type { ClassificationMetric } from '../../metrics/classification.js';
import type { LearnerFactory } from '../../learners/learner.js';

export interface TrialRecord {
  id: number;
  phase: 'transform' | 'search';
  config: Config;
  budget: number;
  rung: number;
  promoted_from: number | null;
  transform: TargetTransform;
  seed: number;
  status: string;
  loss: number;
  fold_losses: number[];
  fit_time_s: number;
  predict_time_s: number;
  wall_s: number;
  started_s: number;
  ended_s: number;
  error?: string;
  /** Who ran it: `local`, or the name of the remote worker. */
  worker?: string;
  /** Times it was started (2 after its worker was lost once). */
  attempts?: number;
  /** Seconds the job ran where it ran; wall_s minus this is what the executor added (queue round trip, input fetch, result transfer). */
  run_s?: number;
  /** Kept in memory only (not in trials.jsonl). */
  result?: TrialResult;
}

export interface SearchSummary {
  records: TrialRecord[];
  transform: TargetTransform;
  transformLosses: Partial<Record<TargetTransform, number>>;
  scheduler: string;
}

export interface SearchSettings {
  config: AutomlConfig;
  kinds: string[];
  data: TrialData;
  /** Where trials run; `workers` caps how many are in flight (0: as many as the executor has slots). */
  executor: Executor;
  workers: number;
  tryLog: boolean;
  /** Date.now() ms: no trial starts after this, running ones stop early. */
  searchDeadlineMs: number;
  /** Milliseconds before searchDeadlineMs the search ends, given the trials kept as ensemble candidates so far (the compact refit's time). */
  refitReserveMs?: (candidates: TrialRecord[]) => number;
  /** Date.now() ms: running trials are killed. */
  hardDeadlineMs: number;
  startMs: number;
  log: Logger;
  metric: RegressionMetric | ClassificationMetric;
  /** The learners' registry (regressors or classifiers). */
  registry?: Record<string, LearnerFactory>;
}

function trialSeed(seed: number, configIndex: number, phase: number): number {
  return (
    (Math.imul((seed >>> 0) + 0x3c6ef372, 0x85ebca77) ^ Math.imul(configIndex + 1, 0xc2b2ae3d) ^ (phase << 29)) >>> 0
  );
}

function makeScheduler(settings: SearchSettings, initial: Config[], maxTrials: number | undefined): Scheduler {
  const { config } = settings;
  const space = zooSpace(settings.kinds, { nonNegativeTarget: settings.data.clampMin !== null }, settings.registry);
  const sample = (rng: import('../../runtime/random.js').Random) => sampleBranched(space, rng);
  const kind =
    config.search.scheduler === 'auto'
      ? config.search.max_trials > 0
        ? 'successive_halving'
        : 'asha'
      : config.search.scheduler;
  return createScheduler(kind, {
    sample,
    seed: config.seed,
    maxTrials,
    initial,
    eta: config.search.eta,
    minBudget: config.search.min_budget,
    // A fixed number of trials (successive halving): the initial full-budget trials fill rung barriers (same trials, less idle).
    initialWhenIdle: maxTrials !== undefined,
  });
}

export async function searchModels(settings: SearchSettings): Promise<SearchSummary> {
  const { config, data, log } = settings;
  const candidates = config.ensemble.candidates;
  const saved = new Map<number, number>(); // trial id -> loss, for trials whose fold models are on disk
  const records: TrialRecord[] = [];
  const { executor } = settings;
  const table = encodeTable(data);
  const tableHash = blobHash(table);
  const ran = new Map<number, { worker?: string; attempts: number; run_s: number }>();
  const inFlight = () => (settings.workers > 0 ? settings.workers : executor.slots);
  const stats = executor.stats?.bind(executor);
  const maxTotal = config.search.max_trials > 0 ? config.search.max_trials : undefined;
  let best = Infinity;

  const saveThreshold = () => {
    if (saved.size < candidates) return Infinity;
    return [...saved.values()].sort((a, b) => a - b)[candidates - 1];
  };
  const pruneSaved = () => {
    while (saved.size > candidates) {
      let worstId = -1;
      let worst = -Infinity;
      for (const [id, loss] of saved)
        if (loss > worst || (loss === worst && id > worstId)) [worst, worstId] = [loss, id];
      saved.delete(worstId);
      rmSync(`${data.candidatesDir}/trial-${worstId}.json`, { force: true });
      const record = records.find((r) => r.id === worstId);
      if (record?.result) record.result.modelFile = null;
    }
  };

  // The search deadline moves earlier as candidates whose refit must fit in the budget finish.
  const searchDeadline = () => {
    if (!settings.refitReserveMs) return settings.searchDeadlineMs;
    return settings.searchDeadlineMs - settings.refitReserveMs(records.filter((r) => saved.has(r.id)));
  };

  let lastRan = '';
  // One line per finished trial; on a terminal the clock also ticks between trials.
  const showProgress = (show: (m: string) => void, trial = '') => {
    const shown = Number.isFinite(best) ? metricOfLoss(settings.metric, best).toFixed(4) : '-';
    const s = stats?.();
    const queue = s
      ? `, ${s.queued} queued / ${s.running} running / ${s.done} done on ${executor.name}${lastRan ? ` (${lastRan})` : ''}`
      : '';
    show(
      `automl: ${trial}${records.length} trials, best cv ${settings.metric} ${shown}${queue}, ${((Date.now() - settings.startMs) / 1000).toFixed(0)} s`,
    );
  };
  const ticker = stats && log.interactive ? setInterval(() => showProgress(log.transient), 1000) : undefined;

  const runPhase = async (
    phase: TrialRecord['phase'],
    scheduler: Scheduler,
    transformOf: (trial: Trial) => TargetTransform,
    idOffset: number,
    phaseIndex: number,
  ): Promise<TrialRecord[]> => {
    const trialTimeout = config.search.trial_timeout_s > 0 ? config.search.trial_timeout_s * 1000 : Infinity;
    const run = async (trial: Trial): Promise<TrialOutcome<TrialResult>> => {
      const id = idOffset + trial.id;
      const now = Date.now();
      const task: TrialTask = {
        id,
        config: trial.config,
        budget: trial.budget,
        transform: transformOf(trial),
        seed: trialSeed(config.seed, trial.configIndex, phaseIndex),
        softDeadlineEpochMs: Math.min(searchDeadline(), now + trialTimeout),
        saveBelow: saveThreshold(),
      };
      const outcome = await executor.submit({
        kind: AUTOML_TRIAL_KIND,
        id: `trial-${id}`,
        payload: trialPayload(task, tableHash),
        inputs: { table },
        deadlineMs: Math.min(settings.hardDeadlineMs, now + trialTimeout + 2000),
      });
      ran.set(id, {
        worker: ranOn(outcome),
        attempts: outcome.attempts,
        run_s: (outcome.endedMs - outcome.startedMs) / 1000,
      });
      if (outcome.status === 'ok') {
        const result = trialResultOf(outcome, id, data.candidatesDir);
        return { status: 'ok', score: result.loss, result };
      }
      const error = outcome.error ?? 'unknown error';
      if (outcome.status === 'killed')
        return {
          status: 'killed',
          score: Infinity,
          error: /queued/.test(error) ? `stopped at the time budget (${error})` : 'stopped at the time budget',
        };
      const deadline = /time budget reached/.test(error);
      return {
        status: deadline ? 'killed' : 'failed',
        score: Infinity,
        error: deadline ? 'stopped at the time budget' : error.split('\n')[0],
      };
    };
    const phaseRecords: TrialRecord[] = [];
    await runSearch<TrialResult>({
      scheduler,
      run,
      parallel: inFlight,
      deadlineMs: searchDeadline,
      // A lost engine (Redis gone) ends the search instead of failing every later trial.
      isFatal: (err) => isUserError(err),
      onRecord: ({ trial, outcome, startedMs, endedMs }) => {
        const result = outcome.result;
        const record: TrialRecord = {
          id: idOffset + trial.id,
          phase,
          config: trial.config,
          budget: trial.budget,
          rung: trial.rung,
          promoted_from: trial.promotedFrom === undefined ? null : idOffset + trial.promotedFrom,
          transform: transformOf(trial),
          seed: trialSeed(config.seed, trial.configIndex, phaseIndex),
          status: outcome.status,
          loss: outcome.score,
          fold_losses: result?.foldLosses ?? [],
          fit_time_s: result?.fitSeconds ?? 0,
          predict_time_s: result?.predictSeconds ?? 0,
          wall_s: (endedMs - startedMs) / 1000,
          started_s: (startedMs - settings.startMs) / 1000,
          ended_s: (endedMs - settings.startMs) / 1000,
          ...(outcome.error ? { error: outcome.error } : {}),
          ...(ran.get(idOffset + trial.id) ?? {}),
          result,
        };
        phaseRecords.push(record);
        records.push(record);
        if (result?.modelFile) {
          saved.set(record.id, result.loss);
          pruneSaved();
        }
        if (outcome.status === 'ok' && outcome.score < best) best = outcome.score;
        lastRan = `trial ${record.id} ${outcome.status} on ${record.worker ?? '?'}`;
        const loss =
          outcome.status === 'ok'
            ? ` cv ${settings.metric} ${metricOfLoss(settings.metric, outcome.score).toFixed(4)}`
            : '';
        showProgress(log.progress, `trial ${record.id} ${String(trial.config.learner)} ${outcome.status}${loss}; `);
        if (outcome.status === 'failed')
          log.info(`trial ${record.id} (${String(trial.config.learner)}) failed: ${outcome.error}`);
      },
    });
    return phaseRecords.sort((a, b) => a.id - b.id);
  };

  try {
    let transform: TargetTransform = config.features.log_target === 'always' ? 'log1p' : 'none';
    const transformLosses: SearchSummary['transformLosses'] = {};
    let nextId = 0;
    const lead = settings.kinds.includes('gbm') ? 'gbm' : settings.kinds[0];
    if (settings.tryLog && config.features.log_target === 'auto') {
      // The same default model under both transforms; the search keeps whichever CV prefers.
      const transforms: TargetTransform[] = ['none', 'log1p'];
      const count = maxTotal === undefined ? 2 : Math.min(2, maxTotal);
      const firstRound = new RandomSearch({
        sample: () => ({}),
        seed: config.seed,
        initial: [defaultConfig(lead, settings.registry), defaultConfig(lead, settings.registry)],
        maxTrials: count,
      });
      const results = await runPhase('transform', firstRound, (trial) => transforms[trial.id], 0, 1);
      nextId = count;
      for (const r of results) transformLosses[r.transform] = r.loss;
      if ((transformLosses.log1p ?? Infinity) < (transformLosses.none ?? Infinity)) transform = 'log1p';
    }
    const remaining = maxTotal === undefined ? undefined : Math.max(0, maxTotal - nextId);
    const done = new Set(records.filter((r) => r.transform === transform).map((r) => String(r.config.learner)));
    const picks = portfolio(settings.kinds, { nonNegativeTarget: data.clampMin !== null }, settings.registry);
    const initial =
      data.classes !== undefined
        ? picks
        : [
            ...initialKinds(settings.kinds)
              .filter((k) => !done.has(k))
              .map((k) => defaultConfig(k, settings.registry)),
            ...picks,
          ];
    const scheduler = makeScheduler(settings, initial, remaining);
    if (remaining === undefined || remaining > 0) await runPhase('search', scheduler, () => transform, nextId, 0);
    return { records: records.sort((a, b) => a.id - b.id), transform, transformLosses, scheduler: scheduler.name };
  } finally {
    if (ticker) clearInterval(ticker);
  }
}
