/**
 * When a command's wall-clock limit starts counting: at process start when the process was started
 * for this command a few seconds ago (loading sciml's modules counts against the user's wall clock),
 * else at most 10 s before now (a later command of the same process).
 */
export function budgetStart(now = Date.now()): number {
  return Math.max(performance.timeOrigin, now - 10_000);
}
