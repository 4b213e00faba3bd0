import { Random } from '../runtime/random.js';
import type { Config } from './space.js';

/**
 * Ask-and-tell hyperparameter search. `ask()` hands out the next trial (a config and a budget
 * fraction in (0, 1]), `'wait'` when the next trial needs results still running, or `'done'`;
 * `tell(id, score)` reports a trial's score (lower is better; NaN or Infinity for a failure).
 */
export interface Trial {
  id: number;
  config: Config;
  /** Fraction of the full budget (boosting rounds, trees, epochs or data) in (0, 1]. */
  budget: number;
  rung: number;
  /** Index of the sampled configuration (a promotion keeps its configuration's index). */
  configIndex: number;
  /** The trial this one continues at a larger budget. */
  promotedFrom?: number;
}

export type Ask = Trial | 'wait' | 'done';

export interface Scheduler {
  readonly name: string;
  ask(): Ask;
  tell(id: number, score: number): void;
}

/** Draws configuration number `index`: its own random stream, so the draw does not depend on timing. */
type Sampler = (rng: Random, index: number) => Config;

export interface SchedulerOptions {
  sample: Sampler;
  seed: number;
  /** Trials beyond this are never handed out. */
  maxTrials?: number;
  /** Configurations evaluated first at full budget (e.g. library defaults). */
  initial?: Config[];
}

/** A generator for configuration `index` derived from the seed alone. */
export function configRandom(seed: number, index: number): Random {
  let h = Math.imul((seed >>> 0) ^ 0x85ebca6b, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (index + 0x27d4eb2f), 0x165667b1) >>> 0;
  return new Random(h ^ (h >>> 15));
}

function finite(score: number): number {
  return Number.isFinite(score) ? score : Infinity;
}

/** Every trial at full budget: initial configs, then random samples. */
export class RandomSearch implements Scheduler {
  readonly name = 'random';
  private next = 0;
  constructor(private readonly options: SchedulerOptions) {}

  ask(): Ask {
    const { maxTrials, initial = [], sample, seed } = this.options;
    if (maxTrials !== undefined && this.next >= maxTrials) return 'done';
    const id = this.next++;
    const config = id < initial.length ? { ...initial[id] } : sample(configRandom(seed, id), id);
    return { id, config, budget: 1, rung: 0, configIndex: id };
  }

  tell(): void {}
}

export interface HalvingOptions extends SchedulerOptions {
  /** Reduction factor between rungs (keep the best 1/eta). */
  eta?: number;
  /** Budget fraction of the lowest rung. */
  minBudget?: number;
  /** Sampled configurations at most (promotions of those already sampled go on). */
  maxConfigs?: number;
  /**
   * Hand out the `initial` configurations only when the brackets have nothing to run (a rung
   * waiting for its last result), instead of first. The trials and their ids stay the same, only
   * the order changes: for a fixed amount of work (max trials) the full-budget initial trials fill
   * the slots rung barriers would leave idle.
   */
  initialWhenIdle?: boolean;
  /**
   * ASHA only: brackets of asynchronous Hyperband (Li et al. 2020, section 3; Ray Tune's
   * `ASHAScheduler(brackets=...)`). Bracket b starts its configurations at rung b, so the later
   * brackets judge configurations at larger budgets only, hedging against a lowest rung that ranks
   * them unlike the full budget does. 1: plain ASHA.
   */
  brackets?: number;
}

/** Budgets of the rungs: minBudget * eta^k below 1, then 1. */
export function rungBudgets(minBudget: number, eta: number): number[] {
  if (!(minBudget > 0 && minBudget <= 1)) throw new Error(`minBudget must be in (0, 1], got ${minBudget}`);
  if (!(eta > 1)) throw new Error(`eta must be > 1, got ${eta}`);
  const budgets: number[] = [];
  for (let b = minBudget; b < 1 - 1e-9; b *= eta) budgets.push(b);
  budgets.push(1);
  return budgets;
}

interface RungEntry {
  trialId: number;
  configIndex: number;
  config: Config;
  score: number;
}

function byScore(a: RungEntry, b: RungEntry): number {
  return a.score - b.score || a.configIndex - b.configIndex;
}

/**
 * Configurations per bracket in one round of Hyperband (Li et al. 2018): bracket b of S + 1 rungs
 * starts ceil((S + 1) / (S + 1 - b) * eta^(S - b)) of them at rung b, so every bracket spends
 * about the same budget. Optuna's HyperbandPruner allocates its trials by the same counts.
 */
export function hyperbandAllocation(rungs: number, eta: number, brackets: number): number[] {
  const S = rungs - 1;
  return Array.from({ length: brackets }, (_, b) => Math.ceil(((S + 1) / (S + 1 - b)) * eta ** (S - b)));
}

/** Bracket of each new configuration, in order: a smooth weighted round robin over the allocation. */
function bracketSequence(weights: number[]): () => number {
  const current = weights.map(() => 0);
  const total = weights.reduce((a, b) => a + b, 0);
  return () => {
    let pick = 0;
    for (let b = 0; b < weights.length; b++) {
      current[b] += weights[b];
      if (current[b] > current[pick]) pick = b;
    }
    current[pick] -= total;
    return pick;
  };
}

/**
 * Asynchronous successive halving (ASHA, Li et al. 2020): a configuration is promoted as soon as it
 * is in the top 1/eta of the results its rung has so far; otherwise a new configuration starts at
 * the lowest rung. Workers never wait, but the sequence of trials depends on which finish first.
 * With `brackets` > 1 it is asynchronous Hyperband: each bracket promotes among its own
 * configurations, and new configurations go to the brackets in Hyperband's proportions.
 */
export class Asha implements Scheduler {
  readonly name = 'asha';
  private readonly budgets: number[];
  private readonly eta: number;
  /** bracket -> rung -> results. */
  private readonly rungs: RungEntry[][][];
  /** rung -> configurations promoted from it (an index belongs to one bracket only). */
  private readonly promoted: Set<number>[];
  private readonly pending = new Map<number, Trial>();
  private readonly initialIds = new Set<number>();
  private readonly bracketOf = new Map<number, number>();
  private readonly nextBracket: () => number;
  private nextId = 0;
  private nextConfig = 0;

  constructor(private readonly options: HalvingOptions) {
    this.eta = options.eta ?? 3;
    this.budgets = rungBudgets(options.minBudget ?? 1 / 9, this.eta);
    const brackets = Math.max(1, Math.min(options.brackets ?? 1, this.budgets.length));
    this.rungs = Array.from({ length: brackets }, () => this.budgets.map(() => []));
    this.promoted = this.budgets.map(() => new Set<number>());
    this.nextBracket = bracketSequence(hyperbandAllocation(this.budgets.length, this.eta, brackets));
  }

  ask(): Ask {
    const { maxTrials, initial = [], sample, seed } = this.options;
    if (maxTrials !== undefined && this.nextId >= maxTrials) return 'done';
    const id = this.nextId;
    if (this.nextConfig < initial.length) {
      const c = this.nextConfig++;
      this.nextId++;
      this.initialIds.add(id);
      return this.issue({ id, config: { ...initial[c] }, budget: 1, rung: this.budgets.length - 1, configIndex: c });
    }
    for (let k = this.budgets.length - 2; k >= 0; k--) {
      for (let b = 0; b < this.rungs.length && b <= k; b++) {
        const rung = this.rungs[b][k];
        const done = rung.filter((e) => e.score < Infinity).sort(byScore);
        const quota = Math.floor(rung.length / this.eta);
        for (const entry of done.slice(0, quota)) {
          if (this.promoted[k].has(entry.configIndex)) continue;
          this.promoted[k].add(entry.configIndex);
          this.nextId++;
          return this.issue({
            id,
            config: { ...entry.config },
            budget: this.budgets[k + 1],
            rung: k + 1,
            configIndex: entry.configIndex,
            promotedFrom: entry.trialId,
          });
        }
      }
    }
    const { maxConfigs } = this.options;
    if (maxConfigs !== undefined && this.nextConfig - initial.length >= maxConfigs)
      return this.pending.size > 0 ? 'wait' : 'done';
    const c = this.nextConfig++;
    this.nextId++;
    const bracket = this.nextBracket();
    this.bracketOf.set(c, bracket);
    return this.issue({
      id,
      config: sample(configRandom(seed, c), c),
      budget: this.budgets[bracket],
      rung: bracket,
      configIndex: c,
    });
  }

  private issue(trial: Trial): Trial {
    this.pending.set(trial.id, trial);
    return trial;
  }

  tell(id: number, score: number): void {
    const trial = this.pending.get(id);
    if (!trial) return;
    this.pending.delete(id);
    if (this.initialIds.has(id)) return;
    this.rungs[this.bracketOf.get(trial.configIndex)!][trial.rung].push({
      trialId: id,
      configIndex: trial.configIndex,
      config: trial.config,
      score: finite(score),
    });
  }
}

interface Bracket {
  /** rung -> entries in slot order (configs at rung 0; promotions at higher rungs). */
  issued: Trial[][];
  results: Map<number, number>;
}

/**
 * Synchronous successive halving in brackets of eta^(rungs-1) configurations, whose trial numbers
 * are fixed by their place in the sequence (bracket, rung, slot). A rung's promotions wait for the
 * whole rung below it, and a later bracket starts while an earlier one waits, so workers stay busy
 * but the trials themselves (and with maxTrials, the set of trials) never depend on timing.
 */
export class SuccessiveHalving implements Scheduler {
  readonly name = 'successive-halving';
  private readonly budgets: number[];
  private readonly eta: number;
  /** Trials per rung within a bracket. */
  private readonly sizes: number[];
  private readonly bracketSize: number;
  private readonly brackets: Bracket[] = [];
  private readonly where = new Map<number, { bracket: number; rung: number }>();
  private initialIssued = 0;
  private readonly initialPending = new Set<number>();

  constructor(private readonly options: HalvingOptions) {
    this.eta = options.eta ?? 3;
    this.budgets = rungBudgets(options.minBudget ?? 1 / 9, this.eta);
    const n0 = Math.round(this.eta ** (this.budgets.length - 1));
    this.sizes = this.budgets.map((_, k) => Math.max(1, Math.floor(n0 / this.eta ** k)));
    this.bracketSize = this.sizes.reduce((a, b) => a + b, 0);
  }

  private get initialCount(): number {
    return this.options.initial?.length ?? 0;
  }

  ask(): Ask {
    const initialLeft = this.initialIssued < (this.options.initial?.length ?? 0);
    if (initialLeft && !this.options.initialWhenIdle) return this.askInitial();
    if (!initialLeft) return this.askBrackets(true);
    // Work in brackets already begun first, then an initial trial, and a new bracket only once no begun one is left.
    const fromBegun = this.askBrackets(false);
    return typeof fromBegun === 'object' ? fromBegun : this.askInitial();
  }

  private begunAndUnfinished(): boolean {
    return this.brackets.some((bracket, b) => bracket.results.size < this.bracketSizes(b).reduce((a, n) => a + n, 0));
  }

  private allowed(id: number): boolean {
    return this.options.maxTrials === undefined || id < this.options.maxTrials;
  }

  private askInitial(): Ask {
    const id = this.initialIssued++;
    if (!this.allowed(id)) return this.anythingRunning() ? 'wait' : 'done';
    this.initialPending.add(id);
    return { id, config: { ...this.options.initial![id] }, budget: 1, rung: this.budgets.length - 1, configIndex: id };
  }

  private askBrackets(mayBegin: boolean): Ask {
    const allowed = (id: number) => this.allowed(id);
    for (let b = 0; ; b++) {
      const base = this.initialCount + b * this.bracketSize;
      if (!allowed(base)) return this.anythingRunning() ? 'wait' : 'done';
      const sizes = this.bracketSizes(b);
      if (sizes[0] <= 0) return this.anythingRunning() ? 'wait' : 'done';
      if (b === this.brackets.length) {
        if (!mayBegin && this.begunAndUnfinished()) return 'wait';
        this.brackets.push({ issued: this.sizes.map(() => []), results: new Map() });
      }
      const bracket = this.brackets[b];
      let offset = base;
      for (let k = 0; k < this.sizes.length; offset += this.sizes[k], k++) {
        if (bracket.issued[k].length >= sizes[k]) continue;
        const id = offset + bracket.issued[k].length;
        if (!allowed(id)) break;
        if (k === 0) {
          const slot = bracket.issued[0].length;
          const c = this.initialCount + b * this.sizes[0] + slot;
          return this.issue(b, 0, {
            id,
            config: this.options.sample(configRandom(this.options.seed, c), c),
            budget: this.budgets[0],
            rung: 0,
            configIndex: c,
          });
        }
        const below = bracket.issued[k - 1];
        if (below.length < sizes[k - 1] || below.some((t) => !bracket.results.has(t.id))) break;
        const ranked = below
          .map((t) => ({
            trialId: t.id,
            configIndex: t.configIndex,
            config: t.config,
            score: bracket.results.get(t.id)!,
          }))
          .sort(byScore);
        const entry = ranked[bracket.issued[k].length];
        return this.issue(b, k, {
          id,
          config: { ...entry.config },
          budget: this.budgets[k],
          rung: k,
          configIndex: entry.configIndex,
          promotedFrom: entry.trialId,
        });
      }
    }
  }

  /**
   * Trials per rung of bracket `b`: the full shape, or with maxConfigs a last bracket cut to the
   * configurations left (still keeping the best 1/eta per rung). Trial ids keep the full shape's
   * positions, so they never depend on the cut.
   */
  private bracketSizes(b: number): number[] {
    const { maxConfigs } = this.options;
    if (maxConfigs === undefined) return this.sizes;
    const n0 = Math.min(this.sizes[0], maxConfigs - b * this.sizes[0]);
    if (n0 >= this.sizes[0]) return this.sizes;
    if (n0 <= 0) return this.sizes.map(() => 0);
    return this.sizes.map((s, k) => (k === 0 ? n0 : Math.min(s, Math.max(1, Math.floor(n0 / this.eta ** k)))));
  }

  private anythingRunning(): boolean {
    if (this.initialPending.size > 0) return true;
    for (const [id] of this.where) {
      const w = this.where.get(id)!;
      if (!this.brackets[w.bracket].results.has(id)) return true;
    }
    return false;
  }

  private issue(bracket: number, rung: number, trial: Trial): Trial {
    this.brackets[bracket].issued[rung].push(trial);
    this.where.set(trial.id, { bracket, rung });
    return trial;
  }

  tell(id: number, score: number): void {
    if (this.initialPending.delete(id)) return;
    const w = this.where.get(id);
    if (!w) return;
    this.brackets[w.bracket].results.set(id, finite(score));
  }
}
