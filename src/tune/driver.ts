/**
 * The tune driver: one scheduler and sampler per segment, all segments sharing one executor. Each
 * scheduler trial is a `tune-trial` job that continues its configuration's checkpoint, so a
 * configuration promoted to 20 epochs has trained 20 epochs in all. Every event goes to the journal
 * first; after a crash the state is rebuilt from it (TuneState.replay) and the trials asked but not
 * told run again from their checkpoints.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ranOn, type Executor, type Job, type JobOutcome, type SubmitOptions } from '../execution/job.js';
import { packDir, unpackDir } from '../execution/files.js';
import { writeFileAtomic, writeJsonAtomic } from '../runtime/atomic.js';
import type { Logger } from '../runtime/log.js';
import type { BackendChoice } from '../runtime/backend.js';
import type { Trial } from '../search/scheduler.js';
import type { EpochReport, FoldOutcome } from '../contracts/task.js';
import { checkTrialConfig, trialConfig, type TuneSetup } from './config.js';
import { Journal, type JournalEvent } from './journal.js';
import type { TuneProgress, TuneTrialPayload, TuneTrialResult } from './trial-job.js';
import type { TuneFoldPayload } from './cv-job.js';
import { TUNE_CV_KIND, TUNE_TRIAL_KIND } from './kinds.js';
import { rankedByValidation } from './outputs.js';
import { TuneState, type ConfigState, type SegmentState } from './state.js';

export interface DriverOptions {
  setup: TuneSetup;
  runDir: string;
  executor: Executor;
  parallel: number;
  /** Date.now() ms: no trial starts after this; running ones are cut (and resumable). */
  deadlineMs: number;
  /** Date.now() ms the re-ranking must end by (default: deadlineMs). */
  rerankDeadlineMs?: number;
  startMs: number;
  log: Logger;
  backend: BackendChoice;
  journal: Journal;
  /** Journal events of an interrupted run to rebuild the state from. */
  replay?: JournalEvent[];
  checkpointIntervalMs?: number;
}

/** A job's error as one line, without the class name. */
function errorLine(error: string): string {
  return error.split('\n')[0].replace(/^(User)?Error: /, '');
}

/** The score the scheduler minimises: the metric at the run's last epoch, negated for 'max'. */
function scoreOf(setup: TuneSetup, history: EpochReport[]): { score: number; metric: number | null } {
  const last = history[history.length - 1];
  const metric = last?.metrics[setup.metric];
  if (metric === undefined || !Number.isFinite(metric)) return { score: Infinity, metric: null };
  return { score: setup.mode === 'max' ? -metric : metric, metric };
}

export class TuneDriver {
  readonly state: TuneState;
  private readonly inFlight = new Map<string, Promise<void>>();
  private turn = 0;
  private interrupted = false;

  constructor(private readonly o: DriverOptions) {
    this.state = new TuneState(o.setup, o.runDir);
  }

  get segments(): SegmentState[] {
    return this.state.segments;
  }

  private now(): number {
    return Date.now();
  }

  private elapsed(): number {
    return (this.now() - this.o.startMs) / 1000;
  }

  private write(event: JournalEvent): void {
    this.o.journal.append(event);
  }

  /** Journals an event, then folds it into the state as a replay of the journal would (TuneState.apply). */
  private record(event: Exclude<JournalEvent, { ev: 'ask' | 'promote' }>): void {
    this.write(event);
    this.state.apply(event);
  }

  /** Finishes or drops a checkpoint swap a kill interrupted (see storeCheckpoint). */
  private settleCheckpoint(cs: ConfigState): void {
    if (!existsSync(cs.dir)) return;
    for (const name of readdirSync(cs.dir)) {
      const m = /^\.checkpoint-(\d+)$/.exec(name);
      if (!m) continue;
      const staged = join(cs.dir, name);
      if (Number(m[1]) === cs.checkpointEpoch) {
        rmSync(join(cs.dir, 'checkpoint'), { recursive: true, force: true });
        renameSync(staged, join(cs.dir, 'checkpoint'));
      } else rmSync(staged, { recursive: true, force: true });
    }
  }

  /** Staged under its epoch, journaled, then swapped in: a kill at any point leaves a checkpoint the journal names. */
  private storeCheckpoint(seg: SegmentState, cs: ConfigState, run: number, epoch: number, blob: Uint8Array): void {
    const staged = join(cs.dir, `.checkpoint-${epoch}`);
    unpackDir(blob, staged);
    this.record({ ev: 'checkpoint', t: this.elapsed(), seg: seg.segment.name, config_index: cs.index, run, epoch });
    rmSync(join(cs.dir, 'checkpoint'), { recursive: true, force: true });
    renameSync(staged, join(cs.dir, 'checkpoint'));
  }

  private writeTrialFiles(seg: SegmentState, cs: ConfigState, config?: Record<string, unknown>): void {
    if (config) writeFileAtomic(join(cs.dir, 'config.yaml'), stringify(config, { lineWidth: 0 }));
    writeJsonAtomic(
      join(cs.dir, 'history.json'),
      cs.history.map((h) => ({ epoch: h.epoch, ...h.metrics, elapsed_s: h.t })),
    );
    const last = cs.history[cs.history.length - 1];
    writeJsonAtomic(join(cs.dir, 'metrics.json'), {
      task: this.o.setup.task.name,
      metrics: last?.metrics ?? {},
      baseline: {},
      segment: seg.segment.name,
      trial: cs.index,
      status: cs.status,
      epochs: last?.epoch ?? 0,
      rung: cs.rung,
      ...(cs.error ? { error: cs.error } : {}),
    });
  }

  private next(): { seg: SegmentState; trial: Trial } | undefined {
    const n = this.segments.length;
    for (let k = 0; k < n; k++) {
      const seg = this.segments[(this.turn + k) % n];
      if (seg.finished && seg.resumeQueue.length === 0) continue;
      const resumed = seg.resumeQueue.shift();
      if (resumed) {
        this.turn = (this.turn + k + 1) % n;
        return { seg, trial: resumed };
      }
      const ask = seg.scheduler.ask();
      if (ask === 'done') {
        seg.finished = true;
        continue;
      }
      if (ask === 'wait') continue;
      seg.pending.set(ask.id, ask);
      this.write({
        ev: ask.promotedFrom === undefined ? 'ask' : 'promote',
        t: this.elapsed(),
        seg: seg.segment.name,
        run: ask.id,
        config_index: ask.configIndex,
        rung: ask.rung,
        budget: this.state.epochsOf(ask),
        promoted_from: ask.promotedFrom ?? null,
        params: ask.config,
      });
      this.turn = (this.turn + k + 1) % n;
      return { seg, trial: ask };
    }
    return undefined;
  }

  interrupt(): void {
    this.interrupted = true;
  }

  get wasInterrupted(): boolean {
    return this.interrupted;
  }

  async run(): Promise<void> {
    if (this.o.replay) {
      this.state.replay(this.o.replay);
      for (const seg of this.segments) for (const cs of seg.configs.values()) this.settleCheckpoint(cs);
    }
    for (;;) {
      while (!this.interrupted && this.inFlight.size < this.o.parallel && this.now() < this.o.deadlineMs) {
        const next = this.next();
        if (!next) break;
        const key = `${next.seg.segment.name}/${next.trial.id}`;
        const job = this.launch(next.seg, next.trial).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, job);
      }
      if (this.inFlight.size === 0) break;
      await Promise.race(this.inFlight.values());
    }
  }

  private async launch(seg: SegmentState, trial: Trial): Promise<void> {
    const { setup } = this.o;
    const cs = this.state.configState(seg, trial);
    const name = seg.segment.name;
    const target = this.state.epochsOf(trial);
    const config = trialConfig(setup, seg.segment, cs.values, target, cs.seed);
    const checked = checkTrialConfig(setup, config);
    this.state.startTrial(seg, trial);
    if (!checked.ok) return this.fail(seg, cs, trial, `the task rejects this configuration: ${checked.error}`, config);
    if (cs.checkpointEpoch > 0 && cs.history.some((h) => h.epoch > cs.checkpointEpoch)) {
      this.record({
        ev: 'resume',
        t: this.elapsed(),
        seg: name,
        config_index: cs.index,
        run: trial.id,
        epoch: cs.checkpointEpoch,
      });
    }
    this.writeTrialFiles(seg, cs, config);
    const inputs: Record<string, Uint8Array> = {};
    if (cs.checkpointEpoch > 0 && existsSync(join(cs.dir, 'checkpoint')))
      inputs.checkpoint = packDir(join(cs.dir, 'checkpoint'));
    const timeout = setup.tune.trial_timeout_s > 0 ? this.now() + setup.tune.trial_timeout_s * 1000 : Infinity;
    const payload: TuneTrialPayload = {
      task: setup.task.name,
      config: checked.config,
      configFile: setup.baseFile,
      budget: target,
      backend: this.o.backend,
      checkpointIntervalMs: this.o.checkpointIntervalMs,
    };
    const outcome = await this.submit<TuneTrialResult>(
      {
        kind: TUNE_TRIAL_KIND,
        id: `${name}/${cs.index}/${trial.id}`,
        payload,
        inputs,
        deadlineMs: Math.min(this.o.deadlineMs, timeout),
      },
      {
        onProgress: (event) => {
          const e = event as TuneProgress;
          if (e.type === 'epoch') {
            this.record({
              ev: 'epoch',
              t: this.elapsed(),
              seg: name,
              config_index: cs.index,
              run: trial.id,
              epoch: e.report.epoch,
              metrics: e.report.metrics,
            });
            const m = e.report.metrics[setup.metric];
            this.writeTrialFiles(seg, cs);
            this.o.log.progress(
              `tune: ${name} trial ${cs.index} epoch ${e.report.epoch}/${target} ${setup.metric} ${Number.isFinite(m) ? m.toFixed(4) : '-'}${this.queueLine()} (${this.elapsed().toFixed(0)} s)`,
            );
          } else if (e.type === 'checkpoint') this.storeCheckpoint(seg, cs, trial.id, e.epoch, e.blob);
        },
      },
    );
    const cutByTime = this.interrupted || (outcome.status !== 'ok' && this.now() >= this.o.deadlineMs - 250);
    if (outcome.status === 'ok') {
      const result = outcome.result!;
      const done = result.budgetUsed;
      if (outcome.artifacts?.checkpoint) this.storeCheckpoint(seg, cs, trial.id, done, outcome.artifacts.checkpoint);
      for (const report of result.history)
        if (!cs.history.some((h) => h.epoch === report.epoch)) cs.history.push({ ...report, t: this.elapsed() });
      cs.history.sort((a, b) => a.epoch - b.epoch);
      const { score, metric } = scoreOf(setup, cs.history);
      const worker = ranOn(outcome);
      this.record({
        ev: 'tell',
        t: this.elapsed(),
        seg: name,
        config_index: cs.index,
        run: trial.id,
        score: Number.isFinite(score) ? score : null,
        metric,
        epochs: done,
        ...(worker ? { worker, attempts: outcome.attempts } : {}),
      });
      // Live, a run that stopped short of its target is 'stopped' (a replay, not knowing why, says 'paused').
      cs.status = done >= setup.tune.budget.max ? 'completed' : done < target ? 'stopped' : 'paused';
      this.writeTrialFiles(seg, cs);
      return;
    }
    if (cutByTime) {
      // Cut by the time limit or Ctrl-C: unfinished, so `--resume` continues it from its checkpoint.
      this.record({
        ev: 'cut',
        t: this.elapsed(),
        seg: name,
        config_index: cs.index,
        run: trial.id,
        epochs: cs.history[cs.history.length - 1]?.epoch ?? 0,
      });
      this.writeTrialFiles(seg, cs);
      return;
    }
    const why =
      outcome.status === 'killed'
        ? `stopped at the trial time limit (${setup.tune.trial_timeout_s} s)`
        : errorLine(outcome.error ?? 'unknown error');
    this.fail(seg, cs, trial, why);
  }

  /**
   * Re-ranking (tune.rerank): each segment's best `top` configurations by the search's validation
   * metric are cross-validated at the budget they reached, the winner's first, folds in parallel on
   * the executor. Folds already in the journal at the same budget are not run again. A fold cut by
   * the deadline leaves its configuration out of the re-ranking (and resumable).
   */
  async rerank(): Promise<void> {
    const { setup } = this.o;
    const { top, folds } = setup.tune.rerank;
    if (top === 0 || this.interrupted) return;
    const deadlineMs = this.o.rerankDeadlineMs ?? this.o.deadlineMs;
    const work: { seg: SegmentState; cs: ConfigState; epochs: number; fold: number; rank: number }[] = [];
    for (const seg of this.segments) {
      rankedByValidation(setup, seg)
        .filter((r) => r.metric !== null)
        .slice(0, top)
        .forEach((row, rank) => {
          const cs = seg.configs.get(row.trial)!;
          if (cs.cv?.epochs !== row.epochs) cs.cv = { epochs: row.epochs, folds: new Map() };
          if (cs.cv.error) return;
          for (let fold = 0; fold < folds; fold++)
            if (!cs.cv.folds.has(fold)) work.push({ seg, cs, epochs: row.epochs, fold, rank });
        });
    }
    work.sort((a, b) => a.rank - b.rank || a.seg.position - b.seg.position || a.fold - b.fold);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < work.length && !this.interrupted && this.now() < deadlineMs) {
        const { seg, cs, epochs, fold } = work[next++];
        if (cs.cv?.error) continue;
        await this.runFold(seg, cs, epochs, fold, deadlineMs);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.o.parallel) }, lane));
  }

  private async runFold(
    seg: SegmentState,
    cs: ConfigState,
    epochs: number,
    fold: number,
    deadlineMs: number,
  ): Promise<void> {
    const { setup } = this.o;
    const { folds } = setup.tune.rerank;
    const checked = checkTrialConfig(setup, trialConfig(setup, seg.segment, cs.values, epochs, cs.seed));
    if (!checked.ok) return;
    const payload: TuneFoldPayload = {
      task: setup.task.name,
      config: checked.config,
      configFile: setup.baseFile,
      budget: epochs,
      fold,
      folds,
    };
    this.o.log.progress(
      `tune: re-ranking ${seg.segment.name} trial ${cs.index}, fold ${fold + 1}/${folds}${this.queueLine()} (${this.elapsed().toFixed(0)} s)`,
    );
    const outcome = await this.submit<FoldOutcome>({
      kind: TUNE_CV_KIND,
      id: `${seg.segment.name}/${cs.index}/cv-${epochs}-${fold}-of-${folds}`,
      payload,
      deadlineMs,
    });
    // Cut by the deadline or Ctrl-C: nothing recorded, so --resume runs the fold.
    if (outcome.status !== 'ok' && (this.interrupted || this.now() >= deadlineMs - 250)) return;
    const worker = ranOn(outcome);
    const where = {
      ev: 'cv',
      t: this.elapsed(),
      seg: seg.segment.name,
      config_index: cs.index,
      fold,
      folds,
      epochs,
    } as const;
    const event: Extract<JournalEvent, { ev: 'cv' }> =
      outcome.status === 'ok'
        ? {
            ...where,
            metrics: outcome.result!.metrics,
            rows: outcome.result!.rows,
            ...(worker ? { worker } : {}),
          }
        : { ...where, error: errorLine(outcome.error ?? outcome.status) };
    this.record(event);
    if (event.error)
      this.o.log.info(
        `tune: ${seg.segment.name} trial ${cs.index}: re-ranking fold ${fold + 1} failed: ${event.error}`,
      );
  }

  /** Submits a job; an executor that throws gives a failed outcome instead. */
  private async submit<T>(job: Job, options?: SubmitOptions): Promise<JobOutcome<T>> {
    try {
      return await this.o.executor.submit<T>(job, options);
    } catch (err) {
      return {
        id: '',
        status: 'failed',
        error: err instanceof Error ? err.message : String(err),
        attempts: 1,
        startedMs: 0,
        endedMs: 0,
      };
    }
  }

  /** `, 2 queued / 2 running / 17 done on redis://...` for an engine that counts its jobs. */
  private queueLine(): string {
    const stats = this.o.executor.stats?.();
    return stats
      ? `, ${stats.queued} queued / ${stats.running} running / ${stats.done} done on ${this.o.executor.name}`
      : '';
  }

  private fail(
    seg: SegmentState,
    cs: ConfigState,
    trial: Trial,
    error: string,
    config?: Record<string, unknown>,
  ): void {
    this.record({ ev: 'fail', t: this.elapsed(), seg: seg.segment.name, config_index: cs.index, run: trial.id, error });
    this.writeTrialFiles(seg, cs, config);
    this.o.log.info(`tune: ${seg.segment.name} trial ${cs.index} failed: ${error}`);
  }
}
