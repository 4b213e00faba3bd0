import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refitEstimateSeconds, refitReserveSeconds, refitWithinDeadline } from '../../src/models/automl/refit-budget.js';
import { runSearch } from '../../src/search/loop.js';
import { RandomSearch } from '../../src/search/scheduler.js';

// The compact refit's time accounting, on recorded fit times and a fake clock (no timing).

test('a member is refitted only when its estimate (trial fit time / (k-1)) ends before the deadline, measured before each', async () => {
  const k = 5;
  const fits = [40, 8, 20, 4]; // seconds of each member's trial: all 5 folds
  const est = fits.map((f) => refitEstimateSeconds(f, k) * 1000);
  assert.ok(Math.abs(est[0] - 11_000) < 1e-9, 'one fold on all rows: 40 / 4 s, plus a tenth');
  // Refits that take what was estimated: the one that does not fit is skipped, smaller ones after it still run.
  let clock = 0;
  const ran: number[] = [];
  const done = await refitWithinDeadline(fits.map((fitSeconds) => ({ fitSeconds })), k, 10_000, () => clock, async (j) => {
    ran.push(j);
    clock += est[j];
  });
  assert.deepEqual(done, [false, true, true, true]);
  assert.deepEqual(ran, [1, 2, 3]);
  assert.ok(clock <= 10_000, `ended at ${clock} ms`);
  // A refit that takes three times its estimate leaves less time: the next one is measured against the real clock.
  clock = 0;
  const slow = await refitWithinDeadline(fits.map((fitSeconds) => ({ fitSeconds })), k, 10_000, () => clock, async (j) => {
    clock += 3 * est[j];
  });
  assert.deepEqual(slow, [false, true, false, true], 'at 6.6 s of 10: the 5.5 s refit no longer fits, the 1.1 s one does');
});

test('the reserve kept during the search is the candidates\' refit estimate, capped', () => {
  assert.equal(refitReserveSeconds([], 5, 60), 0);
  assert.ok(Math.abs(refitReserveSeconds([40, 8], 5, 60) - 13.2) < 1e-9);
  assert.equal(refitReserveSeconds([40, 8, 400], 5, 60), 60);
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
