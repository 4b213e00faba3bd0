/**
 * The refit of `ensemble.deploy: compact` inside the time limit. Refitting a member once on all n
 * training rows costs about one of its k fold fits scaled to n rows: its trial's fit time (the sum
 * of the k fold fits, each on (k-1)/k of the rows) / (k - 1). So:
 * - during the search, the time for refitting the trials that may end up in the final model (those
 *   kept as ensemble candidates) is kept free: the search deadline moves earlier as they finish;
 * - after it, each member of the final model is refitted only when its estimate fits in the time
 *   left; a member that does not fit keeps its k fold models (as with `deploy: bagged`).
 */

/** Estimated seconds to refit a member on all rows, from its trial's fit time (all k folds). */
export function refitEstimateSeconds(fitSeconds: number, k: number): number {
  // Trees grow a little faster than linearly with the rows: a tenth on top.
  return (1.1 * fitSeconds) / Math.max(1, k - 1);
}

/**
 * Seconds to keep free during the search for refitting the candidates found so far (the final
 * model's members are among them), at most `capSeconds`: beyond that the refit drops members
 * instead of the search stopping.
 */
export function refitReserveSeconds(candidateFitSeconds: number[], k: number, capSeconds: number): number {
  const total = candidateFitSeconds.reduce((s, f) => s + refitEstimateSeconds(f, k), 0);
  return Math.min(capSeconds, total);
}

export interface RefitMemberPlan {
  /** The member's trial fit time (all k folds), seconds. */
  fitSeconds: number;
}

/**
 * Refits the members one at a time, each only if its estimate ends before `deadlineMs` on the clock
 * `now` (measured before each, so a refit that took longer than estimated leaves less for the rest).
 * Returns, per member, whether it was refitted.
 */
export async function refitWithinDeadline(members: RefitMemberPlan[], k: number, deadlineMs: number, now: () => number, refit: (index: number) => Promise<void>): Promise<boolean[]> {
  const done: boolean[] = [];
  for (const [j, m] of members.entries()) {
    const fits = now() + refitEstimateSeconds(m.fitSeconds, k) * 1000 <= deadlineMs;
    if (fits) await refit(j);
    done.push(fits);
  }
  return done;
}
