/**
 * Median stopping (Golovin et al. 2017, Google Vizier; Optuna's MedianPruner): every
 * configuration trains in steps of `step` budget units up to the full budget; after each step it
 * goes on only if its score there is no worse than the median of the scores other configurations
 * reached at the same step (once `minSamples` of them have). Each step is one trial continuing
 * the previous one (`promotedFrom`), so a task with checkpoints pays for every epoch once.
 */
import { configRandom, type Ask, type Scheduler, type SchedulerOptions, type Trial } from './scheduler.js';

export interface MedianStoppingOptions extends SchedulerOptions {
  /** Budget fraction of one step, in (0, 1]. */
  step: number;
  /** Others needed at a step before the rule applies (Optuna: n_startup_trials 5). */
  minSamples?: number;
  /** Configurations sampled at most. */
  maxConfigs?: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export class MedianStopping implements Scheduler {
  readonly name = 'median-stopping';
  private readonly budgets: number[];
  /** step -> configIndex -> score */
  private readonly scores: Map<number, number>[];
  private readonly pending = new Map<number, Trial>();
  /** Configurations whose last step is done and may go on, oldest first. */
  private readonly waiting: Trial[] = [];
  private nextId = 0;
  private nextConfig = 0;

  constructor(private readonly options: MedianStoppingOptions) {
    if (!(options.step > 0 && options.step <= 1))
      throw new Error(`median stopping step must be in (0, 1], got ${options.step}`);
    this.budgets = [];
    for (let b = options.step; b < 1 - 1e-9; b += options.step) this.budgets.push(b);
    this.budgets.push(1);
    this.scores = this.budgets.map(() => new Map());
  }

  ask(): Ask {
    const { maxTrials, maxConfigs, sample, seed } = this.options;
    if (maxTrials !== undefined && this.nextId >= maxTrials) return 'done';
    const id = this.nextId;
    const next = this.waiting.shift();
    if (next) {
      this.nextId++;
      return this.issue({
        id,
        config: { ...next.config },
        budget: this.budgets[next.rung + 1],
        rung: next.rung + 1,
        configIndex: next.configIndex,
        promotedFrom: next.id,
      });
    }
    if (maxConfigs !== undefined && this.nextConfig >= maxConfigs) return this.pending.size > 0 ? 'wait' : 'done';
    const c = this.nextConfig++;
    this.nextId++;
    return this.issue({
      id,
      config: sample(configRandom(seed, c), c),
      budget: this.budgets[0],
      rung: 0,
      configIndex: c,
    });
  }

  private issue(trial: Trial): Trial {
    this.pending.set(trial.id, trial);
    return trial;
  }

  /** Whether a configuration scoring `score` at step `rung` would be stopped now. */
  shouldStop(configIndex: number, rung: number, score: number): boolean {
    if (!Number.isFinite(score)) return true;
    const others = [...this.scores[rung]].filter(([c]) => c !== configIndex).map(([, s]) => s);
    if (others.length < (this.options.minSamples ?? 5)) return false;
    return score > median(others);
  }

  tell(id: number, score: number): void {
    const trial = this.pending.get(id);
    if (!trial) return;
    this.pending.delete(id);
    const finite = Number.isFinite(score) ? score : Infinity;
    const stop = this.shouldStop(trial.configIndex, trial.rung, finite);
    this.scores[trial.rung].set(trial.configIndex, finite);
    if (!stop && trial.rung < this.budgets.length - 1) this.waiting.push(trial);
  }
}
