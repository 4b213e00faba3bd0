/**
 * The refit of `ensemble.deploy: compact` inside the time limit. Refitting a member once on all n
 * training rows costs about one of its k fold fits scaled to n rows: its trial's fit time (the sum
 * of the k fold fits, each on (k-1)/k of the rows) / (k - 1). So:
 * - during the search, the time for refitting the trials that may end up in the final model (those
 *   kept as ensemble candidates) is kept free: the search deadline moves earlier as they finish;
 * - after it, each member of the final model is refitted only when its estimate fits in the time
 *   left; a member that does not fit keeps its k fold models (as with `deploy: bagged`).
 */

import type { LearnerFactory } from '../../learners/learner.js';
import type { TrialRecord } from './search-run.js';
import { LEARNER_KEY, resolveTrialParams } from './zoo.js';

/** What a trial's record says about its cost. */
export interface TrialTimes {
  /** Fit time of its k fold models together, seconds. */
  fitSeconds: number;
  /** Predicting its validation folds and the holdout k times, seconds. */
  predictSeconds: number;
  /** Fraction of each fold's rows it trained on (below 1 on low rungs of learners without a budget parameter). */
  dataFraction: number;
}

/**
 * Estimated seconds to refit a member on all rows and predict the holdout with it: one fold fit
 * scaled to all rows (each fold trained on (k-1)/k of the rows, times the data fraction), and one
 * of the k holdout predictions (k-NN's grows with the rows it keeps). A third on top: trees grow
 * a little faster than linearly with the rows, and the member is written to disk (calibrated on
 * bike, 8 members: 27.4 s measured for 21 s of this estimate without it).
 */
export function refitEstimateSeconds(t: TrialTimes, k: number): number {
  return (1.3 * (t.fitSeconds / Math.max(1, k - 1) + t.predictSeconds / k)) / t.dataFraction;
}

/** A trial's times, and the data fraction its budget gave it, from its record. */
export function trialTimes(r: TrialRecord, registry: Record<string, LearnerFactory>): TrialTimes {
  const { dataFraction } = resolveTrialParams(r.config, r.budget, registry[String(r.config[LEARNER_KEY])]);
  return { fitSeconds: r.fit_time_s, predictSeconds: r.predict_time_s, dataFraction };
}

/**
 * Seconds to keep free during the search for refitting the candidates found so far (the final
 * model's members are among them), at most `capSeconds`: beyond that the refit drops members
 * instead of the search stopping.
 */
export function refitReserveSeconds(candidates: TrialTimes[], k: number, capSeconds: number): number {
  const total = candidates.reduce((s, t) => s + refitEstimateSeconds(t, k), 0);
  return Math.min(capSeconds, total);
}

/**
 * Refits the members (given by their trials' times) one at a time, each only if its estimate ends before `deadlineMs` on the clock
 * `now` (measured before each, so a refit that took longer than estimated leaves less for the rest).
 * Returns, per member, whether it was refitted.
 */
export async function refitWithinDeadline(
  members: TrialTimes[],
  k: number,
  deadlineMs: number,
  now: () => number,
  refit: (index: number) => Promise<void>,
): Promise<boolean[]> {
  const done: boolean[] = [];
  for (const [j, m] of members.entries()) {
    const fits = now() + refitEstimateSeconds(m, k) * 1000 <= deadlineMs;
    if (fits) await refit(j);
    done.push(fits);
  }
  return done;
}
