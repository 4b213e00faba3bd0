import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  refitEstimateSeconds,
  refitReserveSeconds,
  refitWithinDeadline,
  trialTimes,
} from '../../src/models/automl/refit-budget.js';
import type { TrialRecord } from '../../src/models/automl/search-run.js';
import { LEARNERS } from '../../src/learners/registry.js';
import { runSearch } from '../../src/search/loop.js';
import { RandomSearch } from '../../src/search/scheduler.js';

// The compact refit's time accounting, on recorded fit times and a fake clock (no timing).

const times = (fitSeconds: number) => ({ fitSeconds, predictSeconds: 0, dataFraction: 1 });

test('a refit is estimated from its trial: one fold fit on all rows, one holdout prediction, scaled by the data fraction', () => {
  assert.ok(
    Math.abs(refitEstimateSeconds(times(40), 5) - 1.3 * 10) < 1e-9,
    'one fold on all rows: 40 / 4 s, and a third on top',
  );
  assert.ok(
    Math.abs(refitEstimateSeconds({ fitSeconds: 8, predictSeconds: 5, dataFraction: 0.5 }, 5) - (1.3 * (2 + 1)) / 0.5) <
      1e-9,
  );
  // A low rung: gbm scales its rounds (same rows), k-NN its rows.
  const record = (learner: string, budget: number) =>
    ({ config: { learner }, budget, fit_time_s: 3, predict_time_s: 2 }) as unknown as TrialRecord;
  assert.deepEqual(trialTimes(record('gbm', 1 / 3), LEARNERS), { fitSeconds: 3, predictSeconds: 2, dataFraction: 1 });
  assert.equal(trialTimes(record('knn', 1 / 3), LEARNERS).dataFraction, 1 / 3);
  assert.equal(trialTimes(record('knn', 1), LEARNERS).dataFraction, 1);
});

test('a member is refitted only when its estimate ends before the deadline, measured before each', async () => {
  const k = 5;
  const fits = [40, 8, 20, 4]; // seconds of each member's trial: all 5 folds
  const est = fits.map((f) => refitEstimateSeconds(times(f), k) * 1000); // 13, 2.6, 6.5, 1.3 s
  // Refits that take what was estimated: the one that does not fit is skipped, smaller ones after it still run.
  let clock = 0;
  const ran: number[] = [];
  const done = await refitWithinDeadline(
    fits.map(times),
    k,
    11_000,
    () => clock,
    async (j) => {
      ran.push(j);
      clock += est[j];
    },
  );
  assert.deepEqual(done, [false, true, true, true]);
  assert.deepEqual(ran, [1, 2, 3]);
  assert.ok(clock <= 11_000, `ended at ${clock} ms`);
  // A refit that takes three times its estimate leaves less time: the next one is measured against the real clock.
  clock = 0;
  const slow = await refitWithinDeadline(
    fits.map(times),
    k,
    11_000,
    () => clock,
    async (j) => {
      clock += 3 * est[j];
    },
  );
  assert.deepEqual(
    slow,
    [false, true, false, true],
    'at 7.8 s of 11: the 6.5 s refit no longer fits, the 1.3 s one does',
  );
});

test("the reserve kept during the search is the candidates' refit estimate, capped", () => {
  assert.equal(refitReserveSeconds([], 5, 60), 0);
  assert.ok(Math.abs(refitReserveSeconds([times(40), times(8)], 5, 60) - 1.3 * 12) < 1e-9);
  assert.equal(refitReserveSeconds([times(40), times(8), times(400)], 5, 60), 60);
});

test('a search whose deadline moves earlier as candidates finish starts no trial past the deadline of its moment', async () => {
  let clock = 0;
  let finished = 0;
  const starts: { at: number; deadline: number }[] = [];
  const deadline = () => 100 - 15 * finished; // each finished trial adds 15 s of refit to keep free
  const records = await runSearch({
    scheduler: new RandomSearch({ sample: () => ({}), seed: 1 }),
    parallel: 1,
    now: () => clock,
    deadlineMs: deadline,
    run: async () => {
      starts.push({ at: clock, deadline: deadline() });
      clock += 10;
      finished++;
      return { status: 'ok', score: 1 };
    },
  });
  // Fixed at 100 it would run 10 trials; moving, the 5th would start at 40 s past a deadline of 100 - 60 s.
  assert.equal(records.length, 4);
  for (const s of starts) assert.ok(s.at < s.deadline, JSON.stringify(s));
});
