import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Asha,
  RandomSearch,
  SuccessiveHalving,
  hyperbandAllocation,
  rungBudgets,
  type Scheduler,
  type Trial,
} from '../../src/search/scheduler.js';
import { runSearch, type TrialOutcome } from '../../src/search/loop.js';
import { uniform, sampleSpace } from '../../src/search/space.js';

const space = { x: uniform(0, 1) };
const sample = (rng: import('../../src/runtime/random.js').Random) => sampleSpace(space, rng);

/** A noisy objective whose noise shrinks with budget: best near x = 0.3. */
function objective(trial: Trial): number {
  const x = trial.config.x as number;
  return (x - 0.3) ** 2 + 0.02 / trial.budget;
}

function drive(s: Scheduler, limit = 1000): Trial[] {
  const trials: Trial[] = [];
  for (let i = 0; i < limit; i++) {
    const t = s.ask();
    if (t === 'done' || t === 'wait') break;
    trials.push(t);
    s.tell(t.id, objective(t));
  }
  return trials;
}

test('rung budgets grow by eta up to the full budget', () => {
  const b = rungBudgets(1 / 9, 3);
  assert.equal(b.length, 3);
  assert.ok(Math.abs(b[0] - 1 / 9) < 1e-12 && Math.abs(b[1] - 1 / 3) < 1e-12 && b[2] === 1);
});

test('random search hands out maxTrials full-budget trials, initial configs first, reproducibly', () => {
  const a = drive(new RandomSearch({ sample, seed: 1, maxTrials: 5, initial: [{ x: 0.5 }] }));
  const b = drive(new RandomSearch({ sample, seed: 1, maxTrials: 5, initial: [{ x: 0.5 }] }));
  assert.equal(a.length, 5);
  assert.deepEqual(a[0].config, { x: 0.5 });
  assert.ok(a.every((t) => t.budget === 1));
  assert.deepEqual(a, b);
});

test('successive halving promotes exactly the best 1/eta of each rung of a bracket', () => {
  const s = new SuccessiveHalving({ sample, seed: 2, eta: 3, minBudget: 1 / 9, maxTrials: 13 });
  const trials = drive(s);
  assert.equal(trials.length, 13);
  const rung0 = trials.filter((t) => t.rung === 0);
  const rung1 = trials.filter((t) => t.rung === 1);
  const rung2 = trials.filter((t) => t.rung === 2);
  assert.deepEqual([rung0.length, rung1.length, rung2.length], [9, 3, 1]);
  const best0 = [...rung0]
    .sort((a, b) => objective(a) - objective(b))
    .slice(0, 3)
    .map((t) => t.configIndex)
    .sort();
  assert.deepEqual(rung1.map((t) => t.configIndex).sort(), best0);
  const best1 = [...rung1].sort((a, b) => objective(a) - objective(b))[0];
  assert.equal(rung2[0].configIndex, best1.configIndex);
  assert.ok(rung1.every((t) => t.budget > rung0[0].budget) && rung2[0].budget === 1);
});

test('successive halving waits for a rung rather than guessing, and runs a later bracket meanwhile', () => {
  const s = new SuccessiveHalving({ sample, seed: 3, eta: 3, minBudget: 1 / 3 });
  // Bracket of 3 at rung 0, 1 at rung 1. Hand out the 3, report only 2: next is a new bracket's config.
  const first = [s.ask(), s.ask(), s.ask()] as Trial[];
  s.tell(first[0].id, 1);
  s.tell(first[1].id, 2);
  const next = s.ask() as Trial;
  assert.equal(next.rung, 0);
  assert.equal(next.id, 4, 'the promotion keeps id 3 for when the rung completes');
  s.tell(first[2].id, 0.5);
  const promoted = s.ask() as Trial;
  assert.equal(promoted.id, 3);
  assert.equal(promoted.configIndex, first[2].configIndex);
});

async function searchWithDelays(scheduler: Scheduler, delays: (t: Trial) => number): Promise<string> {
  const records = await runSearch({
    scheduler,
    parallel: 3,
    deadlineMs: Date.now() + 60_000,
    run: async (t: Trial): Promise<TrialOutcome> => {
      await new Promise((r) => setTimeout(r, delays(t)));
      return { status: 'ok', score: objective(t) };
    },
  });
  return JSON.stringify(records.map((r) => [r.trial.id, r.trial.config, r.trial.budget, r.outcome.score]));
}

test('with maxTrials, successive halving runs the same trials whatever order results arrive in', async () => {
  const a = await searchWithDelays(new SuccessiveHalving({ sample, seed: 9, maxTrials: 20 }), (t) => (t.id * 7) % 5);
  const b = await searchWithDelays(
    new SuccessiveHalving({ sample, seed: 9, maxTrials: 20 }),
    (t) => 5 - ((t.id * 3) % 5),
  );
  assert.equal(JSON.parse(a).length, 20);
  assert.equal(a, b);
});

test('ASHA promotes only configurations in the top 1/eta of their rung so far, and finds a good x', () => {
  const s = new Asha({ sample, seed: 4, eta: 3, minBudget: 1 / 9, maxTrials: 60 });
  const trials = drive(s);
  assert.equal(trials.length, 60);
  const scores = new Map(trials.map((t) => [t.id, objective(t)]));
  for (const t of trials.filter((t) => t.promotedFrom !== undefined)) {
    const below = trials.filter((u) => u.rung === t.rung - 1 && u.id < t.id);
    const rank = below.filter((u) => scores.get(u.id)! < scores.get(t.promotedFrom!)!).length;
    assert.ok(rank < Math.floor(below.length / 3), `trial ${t.id} promoted from rank ${rank} of ${below.length}`);
  }
  const full = trials.filter((t) => t.budget === 1);
  assert.ok(full.length >= 2);
  const bestX = full.reduce((a, b) => (objective(a) < objective(b) ? a : b)).config.x as number;
  assert.ok(Math.abs(bestX - 0.3) < 0.1, `best x ${bestX}`);
});

test('the loop starts no trial after the deadline and records failures as infinite scores', async () => {
  const t0 = Date.now();
  const records = await runSearch({
    scheduler: new RandomSearch({ sample, seed: 5 }),
    parallel: 2,
    deadlineMs: t0 + 250,
    run: async (t) => {
      await new Promise((r) => setTimeout(r, 40));
      if (t.id === 1) throw new Error('boom');
      return { status: 'ok', score: objective(t) };
    },
  });
  assert.ok(records.every((r) => r.startedMs < t0 + 250));
  assert.ok(Date.now() - t0 < 250 + 200);
  const failed = records.find((r) => r.trial.id === 1)!;
  assert.equal(failed.outcome.status, 'failed');
  assert.equal(failed.outcome.score, Infinity);
  assert.match(failed.outcome.error!, /boom/);
});

/** Runs a scheduler on `slots` simulated workers where a trial takes its budget in time; returns the trials and the makespan. */
function simulate(s: Scheduler, slots: number): { trials: string[]; makespan: number } {
  const running: { trial: Trial; end: number }[] = [];
  const trials: string[] = [];
  let clock = 0;
  for (;;) {
    let asked: ReturnType<Scheduler['ask']> = 'wait';
    while (running.length < slots && typeof (asked = s.ask()) === 'object') {
      running.push({ trial: asked, end: clock + asked.budget });
      trials.push(JSON.stringify([asked.id, asked.configIndex, asked.budget, asked.config]));
    }
    if (running.length === 0) break;
    running.sort((a, b) => a.end - b.end || a.trial.id - b.trial.id);
    const next = running.shift()!;
    clock = next.end;
    s.tell(next.trial.id, objective(next.trial));
  }
  return { trials: trials.sort(), makespan: clock };
}

test('with maxTrials, initial trials handed out at rung barriers run the same trials in less wall time', () => {
  const initial = Array.from({ length: 6 }, (_, i) => ({ x: i / 6 }));
  const eager = simulate(new SuccessiveHalving({ sample, seed: 4, maxTrials: 34, initial }), 2);
  const idle = simulate(new SuccessiveHalving({ sample, seed: 4, maxTrials: 34, initial, initialWhenIdle: true }), 2);
  assert.equal(eager.trials.length, 34);
  assert.deepEqual(idle.trials, eager.trials, 'the same trials (ids, configurations, budgets)');
  assert.ok(
    idle.makespan < eager.makespan,
    `makespan ${idle.makespan} with initial trials at barriers, ${eager.makespan} with them first`,
  );
});

test('Hyperband allocation: every bracket gets about the same budget (Optuna and Li et al.: 9, 5, 3 at eta 3)', () => {
  assert.deepEqual(hyperbandAllocation(3, 3, 3), [9, 5, 3]);
  assert.deepEqual(hyperbandAllocation(3, 3, 1), [9]);
  assert.deepEqual(hyperbandAllocation(4, 2, 4), [8, 6, 4, 4]);
});

test('ASHA with brackets starts configurations at rungs in Hyperband proportions and promotes within each bracket', () => {
  const s = new Asha({ sample, seed: 4, eta: 3, minBudget: 1 / 9, maxTrials: 400, brackets: 3 });
  const trials = drive(s);
  const fresh = trials.filter((t) => t.promotedFrom === undefined);
  const firstRound = fresh.slice(0, 17).map((t) => t.rung);
  assert.deepEqual(
    [0, 1, 2].map((r) => firstRound.filter((x) => x === r).length),
    [9, 5, 3],
  );
  const startOf = new Map(fresh.map((t) => [t.configIndex, t.rung]));
  const scores = new Map(trials.map((t) => [t.id, objective(t)]));
  const promoted = trials.filter((t) => t.promotedFrom !== undefined);
  assert.ok(
    promoted.some((t) => startOf.get(t.configIndex) === 1),
    'bracket 1 promotes too',
  );
  for (const t of promoted) {
    const bracket = startOf.get(t.configIndex)!;
    assert.ok(bracket < t.rung);
    // Its peers: configurations of the same bracket measured at the rung below before it was promoted.
    const below = trials.filter((u) => u.rung === t.rung - 1 && u.id < t.id && startOf.get(u.configIndex) === bracket);
    const rank = below.filter((u) => scores.get(u.id)! < scores.get(t.promotedFrom!)!).length;
    assert.ok(
      rank < Math.floor(below.length / 3),
      `trial ${t.id} promoted from rank ${rank} of ${below.length} in bracket ${bracket}`,
    );
  }
});

test('ASHA brackets find an optimum that the lowest rung ranks last, where one bracket does not', () => {
  // Short-horizon bias: at 1/9 of the budget small x looks best, at the full budget x = 0.9 is.
  const biased = (t: Trial) => {
    const x = t.config.x as number;
    return t.budget * (x - 0.9) ** 2 + (1 - t.budget) * x;
  };
  const bestX = (brackets: number, seed: number) => {
    const s = new Asha({ sample, seed, eta: 3, minBudget: 1 / 9, maxTrials: 200, brackets });
    let best: { x: number; score: number } = { x: NaN, score: Infinity };
    for (;;) {
      const t = s.ask();
      if (t === 'done' || t === 'wait') break;
      const score = biased(t);
      if (t.budget === 1 && score < best.score) best = { x: t.config.x as number, score };
      s.tell(t.id, score);
    }
    return best.x;
  };
  for (const seed of [1, 2, 3]) {
    assert.ok(Math.abs(bestX(3, seed) - 0.9) < 0.1, `brackets 3, seed ${seed}: best x ${bestX(3, seed)}`);
    assert.ok(Math.abs(bestX(1, seed) - 0.9) > 0.3, `brackets 1, seed ${seed}: best x ${bestX(1, seed)}`);
  }
});
