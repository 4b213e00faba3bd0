/**
 * The state of a tune run: each segment's scheduler and sampler and its sampled configurations, as
 * the driver, `--resume` and the report read it. `apply` folds one journal event into it, so a
 * journal replayed event by event rebuilds the state the run had (TuneState.fromJournal).
 */
import { join } from 'node:path';
import type { EpochReport } from '../contracts/task.js';
import type { Random } from '../runtime/random.js';
import { configRandom, rungBudgets, type Scheduler, type Trial } from '../search/scheduler.js';
import { createScheduler } from '../search/schedulers.js';
import { TpeSampler } from '../search/tpe.js';
import { GridSampler } from '../search/grid.js';
import { sampleSpace, type Config, type Space } from '../search/space.js';
import type { Parameter, Segment, TuneSetup } from './config.js';
import type { JournalEvent } from './journal.js';

type ConfigStatus = 'pending' | 'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'cut';

/** One sampled configuration of a segment: its trial directory accumulates every run's epochs. */
export interface ConfigState {
  index: number;
  /** Sampled values in the search space (choice of lists: the index). */
  params: Config;
  /** The values set in the config. */
  values: Record<string, unknown>;
  dir: string;
  seed: number;
  history: (EpochReport & { t: number })[];
  checkpointEpoch: number;
  status: ConfigStatus;
  rung: number;
  runs: number;
  error?: string;
  /** Epoch budget the configuration's last run aimed at. */
  target: number;
  /** Re-ranking folds done (tune.rerank), at the budget they refitted. */
  cv?: CrossValidation;
}

interface CrossValidation {
  epochs: number;
  folds: Map<number, Record<string, number>>;
  error?: string;
}

export interface SegmentState {
  segment: Segment;
  position: number;
  scheduler: Scheduler;
  /** Tells the sampler a configuration's score (TPE learns from it; the others ignore it). */
  observe: (index: number, params: Config, score: number, rung: number) => void;
  configs: Map<number, ConfigState>;
  pending: Map<number, Trial>;
  resumeQueue: Trial[];
  finished: boolean;
  /** Rung cut points in budget units. */
  rungEpochs: number[];
  replaying: Map<number, Config> | undefined;
}

function segmentSpace(parameters: Parameter[]): Space {
  return Object.fromEntries(parameters.map((p) => [p.path, p.domain]));
}

function decode(parameters: Parameter[], params: Config): Record<string, unknown> {
  return Object.fromEntries(
    parameters.map((p) => [p.path, p.values ? p.values[params[p.path] as number] : params[p.path]]),
  );
}

function mix(seed: number, salt: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x27d4eb2f, 0x85ebca77) >>> 0;
  h = Math.imul(h ^ (salt + 0x165667b1), 0xc2b2ae3d) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A trial's own seed, from the tune seed, the segment and the configuration. */
function trialSeed(seed: number, segment: number, configIndex: number): number {
  return configRandom(mix(seed, segment), configIndex + 1_000_003).int(0, 2 ** 31 - 1);
}

function budgetEpochs(fraction: number, max: number, min: number): number {
  return Math.max(min > 0 ? Math.min(min, max) : 1, Math.min(max, Math.round(fraction * max)));
}

function makeSegment(setup: TuneSetup, segment: Segment, position: number): SegmentState {
  const { tune } = setup;
  const space = segmentSpace(setup.parameters);
  const seed = mix(tune.seed, position);
  const max = tune.budget.max;
  const minFraction = Math.min(1, tune.budget.min / max);
  let state: SegmentState | undefined;
  let observe: SegmentState['observe'] = () => {};
  let draw: (rng: Random, index: number) => Config;
  let maxConfigs = tune.max_trials > 0 ? tune.max_trials : undefined;
  if (tune.sampler === 'grid') {
    const grid = new GridSampler(space, tune.grid_points);
    maxConfigs = Math.min(maxConfigs ?? Infinity, grid.size);
    draw = (_rng, index) => grid.at(index);
  } else if (tune.sampler === 'tpe') {
    const tpe = new TpeSampler(space, { nStartup: tune.n_startup });
    observe = (index, params, score, rung) => tpe.observe(index, params, score, rung);
    draw = (rng) => tpe.sample(rng);
  } else {
    draw = (rng) => sampleSpace(space, rng);
  }
  // While the journal is replayed, a configuration is the one recorded, never a fresh draw.
  const sample = (rng: Random, index: number): Config => {
    const replaying = state?.replaying;
    const recorded = replaying?.get(index);
    if (recorded) return { ...recorded };
    if (replaying)
      throw new Error(
        `journal: segment '${segment.name}' asked for configuration ${index}, which the journal does not record`,
      );
    return draw(rng, index);
  };
  const scheduler = createScheduler(tune.scheduler, {
    sample,
    seed,
    eta: tune.eta,
    minBudget: minFraction,
    maxConfigs,
    brackets: tune.brackets,
  });
  let rungEpochs: number[];
  switch (tune.scheduler) {
    case 'random':
      rungEpochs = [max];
      break;
    case 'median_stopping': {
      const cuts: number[] = [];
      for (let b = minFraction; b < 1 - 1e-9; b += minFraction) cuts.push(budgetEpochs(b, max, 0));
      rungEpochs = [...cuts, max];
      break;
    }
    default:
      rungEpochs = rungBudgets(minFraction, tune.eta).map((b) => budgetEpochs(b, max, 0));
  }
  state = {
    segment,
    position,
    scheduler,
    observe,
    configs: new Map(),
    pending: new Map(),
    resumeQueue: [],
    finished: false,
    rungEpochs,
    replaying: undefined,
  };
  return state;
}

export class TuneState {
  readonly segments: SegmentState[];
  private readonly bySegment: Map<string, SegmentState>;

  constructor(
    readonly setup: TuneSetup,
    private readonly runDir: string,
  ) {
    this.segments = setup.segments.map((s, i) => makeSegment(setup, s, i));
    this.bySegment = new Map(this.segments.map((s) => [s.segment.name, s]));
  }

  /** The state a run's journal records (for its report: nothing on disk is touched). */
  static fromJournal(setup: TuneSetup, runDir: string, events: JournalEvent[]): TuneState {
    const state = new TuneState(setup, runDir);
    state.replay(events);
    return state;
  }

  /** Epochs a trial trains to. */
  epochsOf(trial: Trial): number {
    return budgetEpochs(trial.budget, this.setup.tune.budget.max, 0);
  }

  /** The configuration a trial runs, created at its first trial. */
  configState(seg: SegmentState, trial: Trial): ConfigState {
    let cs = seg.configs.get(trial.configIndex);
    if (!cs) {
      const { tune } = this.setup;
      cs = {
        index: trial.configIndex,
        params: trial.config,
        values: decode(this.setup.parameters, trial.config),
        dir: join(this.runDir, 'trials', seg.segment.name, String(trial.configIndex)),
        seed: tune.seed_per_trial ? trialSeed(tune.seed, seg.position, trial.configIndex) : tune.seed,
        history: [],
        checkpointEpoch: 0,
        status: 'pending',
        rung: trial.rung,
        runs: 0,
        target: 0,
      };
      seg.configs.set(trial.configIndex, cs);
    }
    return cs;
  }

  /** A trial's start (asked live or replayed): its configuration's rung, epoch target and run count, and 'running'. */
  startTrial(seg: SegmentState, trial: Trial): ConfigState {
    const cs = this.configState(seg, trial);
    cs.rung = trial.rung;
    cs.runs++;
    cs.target = this.epochsOf(trial);
    cs.status = 'running';
    return cs;
  }

  /** A trial's end: its scheduler and sampler learn the score (Infinity for a failure). */
  private settle(seg: SegmentState, run: number, score: number): void {
    const trial = seg.pending.get(run);
    seg.pending.delete(run);
    seg.scheduler.tell(run, score);
    if (trial) seg.observe(trial.configIndex, trial.config, score, trial.rung);
  }

  private recordFold(cs: ConfigState, e: Extract<JournalEvent, { ev: 'cv' }>): void {
    if (cs.cv?.epochs !== e.epochs) cs.cv = { epochs: e.epochs, folds: new Map() };
    if (e.metrics) cs.cv.folds.set(e.fold, e.metrics);
    else cs.cv.error = e.error ?? 'failed';
  }

  /** Rebuilds every segment from a journal: asks and tells replayed in order; trials asked but not told wait in `resumeQueue`. */
  replay(events: JournalEvent[]): void {
    for (const seg of this.segments) {
      seg.replaying = new Map();
      for (const e of events)
        if (e.ev === 'ask' && e.seg === seg.segment.name) seg.replaying.set(e.config_index, e.params as Config);
    }
    for (const e of events) this.apply(e);
    for (const seg of this.segments) {
      seg.replaying = undefined;
      seg.resumeQueue = [...seg.pending.values()].sort((a, b) => a.id - b.id);
    }
  }

  /** Folds one journal event into the state (asks are asked again of the scheduler, which must hand out the recorded trial). */
  apply(e: JournalEvent): void {
    if (!('seg' in e)) return;
    const seg = this.bySegment.get(e.seg);
    if (!seg) throw new Error(`journal: unknown segment '${e.seg}'`);
    if (e.ev === 'ask' || e.ev === 'promote') {
      const trial = seg.scheduler.ask();
      if (trial === 'wait' || trial === 'done' || trial.id !== e.run || trial.configIndex !== e.config_index) {
        throw new Error(
          `journal: segment '${seg.segment.name}' replays differently at trial ${e.run} (the tune file or sciml changed since the run started)`,
        );
      }
      seg.pending.set(trial.id, trial);
      this.startTrial(seg, trial);
      return;
    }
    const cs = seg.configs.get(e.config_index);
    if (!cs) return;
    switch (e.ev) {
      case 'epoch':
        cs.history = cs.history.filter((h) => h.epoch < e.epoch);
        cs.history.push({ epoch: e.epoch, metrics: e.metrics, t: e.t });
        break;
      case 'checkpoint':
        cs.checkpointEpoch = e.epoch;
        break;
      case 'resume':
        cs.history = cs.history.filter((h) => h.epoch <= e.epoch);
        break;
      case 'tell':
      case 'fail': {
        this.settle(seg, e.run, e.ev === 'tell' && e.score !== null ? e.score : Infinity);
        cs.status =
          e.ev === 'fail'
            ? 'failed'
            : cs.history.length && cs.history[cs.history.length - 1].epoch >= this.setup.tune.budget.max
              ? 'completed'
              : 'paused';
        if (e.ev === 'fail') cs.error = e.error;
        break;
      }
      case 'cut':
        cs.status = 'cut';
        break;
      case 'cv':
        if (e.folds === this.setup.tune.rerank.folds) this.recordFold(cs, e);
        break;
    }
  }
}
