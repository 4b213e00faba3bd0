import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/runtime/random.js';
import { TpeSampler, defaultWeights, normalCdf, normalQuantile, rankObservations } from '../../src/search/tpe.js';
import { GridSampler } from '../../src/search/grid.js';
import { MedianStopping } from '../../src/search/median.js';
import { Asha, SuccessiveHalving, configRandom, type Trial } from '../../src/search/scheduler.js';
import {
  choice,
  contains,
  loguniform,
  randint,
  sampleSpace,
  uniform,
  qrandint,
  type Config,
} from '../../src/search/space.js';

const space = {
  x: uniform(-5, 5),
  y: uniform(-5, 5),
  lr: loguniform(1e-5, 1e-1),
  n: randint(1, 20),
  c: choice(['a', 'b', 'c', 'd']),
};

/** Known optimum 0 at x = 1, y = -2, lr = 1e-3, n = 7, c = 'b'. */
function objective(c: Config): number {
  const x = c.x as number;
  const y = c.y as number;
  return (
    (x - 1) ** 2 +
    0.5 * (y + 2) ** 2 +
    (Math.log10(c.lr as number) + 3) ** 2 +
    (((c.n as number) - 7) / 3) ** 2 +
    (c.c === 'b' ? 0 : 1)
  );
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
}

function bestAfter(trials: number, seed: number, tpe: boolean): number {
  const sampler = new TpeSampler(space);
  let best = Infinity;
  for (let i = 0; i < trials; i++) {
    const rng = configRandom(seed, i);
    const config = tpe ? sampler.sample(rng) : sampleSpace(space, rng);
    for (const [k, d] of Object.entries(space))
      assert.ok(contains(d, config[k]), `${k}=${config[k]} outside its domain`);
    const score = objective(config);
    sampler.observe(i, config, score);
    best = Math.min(best, score);
  }
  return best;
}

test('TPE beats random search on a synthetic objective with a known optimum (median over 10 seeds, 60 trials)', () => {
  const seeds = Array.from({ length: 10 }, (_, i) => 100 + i);
  const tpe = median(seeds.map((s) => bestAfter(60, s, true)));
  const random = median(seeds.map((s) => bestAfter(60, s, false)));
  assert.ok(tpe < random * 0.7, `TPE median best ${tpe.toFixed(3)} should clearly beat random's ${random.toFixed(3)}`);
});

test('TPE is reproducible and random during its startup draws', () => {
  const a = new TpeSampler(space, { nStartup: 5 });
  const b = new TpeSampler(space, { nStartup: 5 });
  for (let i = 0; i < 20; i++) {
    const ca = a.sample(configRandom(7, i));
    const cb = b.sample(configRandom(7, i));
    assert.deepEqual(ca, cb);
    if (i < 5) assert.deepEqual(ca, sampleSpace(space, configRandom(7, i)));
    a.observe(i, ca, objective(ca));
    b.observe(i, cb, objective(cb));
  }
});

test('TPE ranks a higher rung first, keeps each configuration at its highest rung, ignores failures', () => {
  const obs = [
    { config: { x: 0 }, score: 0.1, rung: 0 },
    { config: { x: 1 }, score: 0.5, rung: 1 },
    { config: { x: 2 }, score: Infinity, rung: 2 },
    { config: { x: 3 }, score: 0.2, rung: 1 },
  ];
  assert.deepEqual(
    rankObservations(obs).map((o) => o.config.x),
    [3, 1, 0],
  );
  const s = new TpeSampler({ x: uniform(0, 5) });
  s.observe(0, { x: 0 }, 0.3, 1);
  s.observe(0, { x: 0 }, 0.1, 0);
  assert.deepEqual(s.observations, [{ config: { x: 0 }, score: 0.3, rung: 1 }]);
});

test('TPE concentrates a categorical parameter on the good category', () => {
  const sp = { c: choice(['a', 'b', 'c', 'd', 'e']) };
  const s = new TpeSampler(sp, { nStartup: 10 });
  let hits = 0;
  for (let i = 0; i < 80; i++) {
    const c = s.sample(configRandom(3, i));
    if (i >= 30 && c.c === 'd') hits++;
    s.observe(i, c, c.c === 'd' ? 0 : 1);
  }
  assert.ok(hits > 35, `only ${hits}/50 draws on the good category`);
});

test('Parzen helpers: normal CDF and quantile invert each other; Optuna weights', () => {
  for (const p of [1e-6, 0.01, 0.3, 0.5, 0.9, 0.999])
    assert.ok(Math.abs(normalCdf(normalQuantile(p)) - p) < 1e-6 * Math.max(1, p * 10));
  assert.deepEqual(defaultWeights(3), [1, 1, 1]);
  const w = defaultWeights(30);
  assert.equal(w.length, 30);
  assert.ok(w[0] < w[4] && w[29] === 1 && Math.abs(w[0] - 1 / 30) < 1e-12);
});

test('integer and quantised domains stay on their grid under TPE', () => {
  const sp = { n: randint(2, 9), q: qrandint(10, 100, 10) };
  const s = new TpeSampler(sp, { nStartup: 3 });
  for (let i = 0; i < 40; i++) {
    const c = s.sample(new Random(i));
    assert.ok(contains(sp.n, c.n) && contains(sp.q, c.q), JSON.stringify(c));
    s.observe(i, c, Math.abs((c.n as number) - 4) + Math.abs((c.q as number) - 30) / 10);
  }
});

test('grid sampler enumerates the cartesian product in a fixed order', () => {
  const g = new GridSampler({ b: choice([1, 2]), a: choice(['x', 'y', 'z']), r: loguniform(1e-3, 1e-1) }, 3);
  assert.equal(g.size, 18);
  const all = Array.from({ length: g.size }, (_, i) => JSON.stringify(g.at(i)));
  assert.equal(new Set(all).size, 18);
  assert.deepEqual(g.at(0), { a: 'x', b: 1, r: 1e-3 });
  assert.ok(Math.abs((g.at(1).r as number) - 1e-2) < 1e-12);
});

function drive(
  s: { ask(): Trial | 'wait' | 'done'; tell(id: number, score: number): void },
  f: (t: Trial) => number,
  limit = 500,
): Trial[] {
  const out: Trial[] = [];
  for (let i = 0; i < limit; i++) {
    const t = s.ask();
    if (t === 'wait' || t === 'done') break;
    out.push(t);
    s.tell(t.id, f(t));
  }
  return out;
}

test('median stopping continues configurations no worse than the median at each step, stops the rest', () => {
  const sample = (rng: Random) => sampleSpace({ x: uniform(0, 1) }, rng);
  const s = new MedianStopping({ sample, seed: 1, step: 0.25, minSamples: 3, maxConfigs: 12 });
  const trials = drive(s, (t) => (t.config.x as number) + 0.1 / t.budget);
  const configs = new Set(trials.map((t) => t.configIndex));
  assert.equal(configs.size, 12);
  const full = trials.filter((t) => t.budget === 1);
  assert.ok(full.length >= 1 && full.length < 12, `${full.length} configurations trained fully`);
  for (const t of trials.filter((t) => t.rung > 0))
    assert.equal(trials.find((p) => p.id === t.promotedFrom)!.configIndex, t.configIndex);
  // The best configuration is never stopped.
  const bestIndex = trials.reduce((a, b) => ((a.config.x as number) < (b.config.x as number) ? a : b)).configIndex;
  assert.ok(full.some((t) => t.configIndex === bestIndex));
});

test('maxConfigs caps sampled configurations of ASHA and successive halving, and still promotes', () => {
  const sample = (rng: Random) => sampleSpace({ x: uniform(0, 1) }, rng);
  const f = (t: Trial) => t.config.x as number;
  const asha = drive(new Asha({ sample, seed: 4, eta: 3, minBudget: 1 / 9, maxConfigs: 10 }), f);
  assert.equal(new Set(asha.map((t) => t.configIndex)).size, 10);
  assert.ok(asha.some((t) => t.rung > 0));
  const sh = drive(new SuccessiveHalving({ sample, seed: 4, eta: 3, minBudget: 1 / 9, maxConfigs: 12 }), f);
  assert.equal(new Set(sh.map((t) => t.configIndex)).size, 12);
  // A full bracket of 9 (9 + 3 + 1) and a cut one of 3 (3 + 1 + 1: its best still reaches the full budget).
  assert.deepEqual(
    [0, 1, 2].map((k) => sh.filter((t) => t.rung === k).length),
    [12, 4, 2],
  );
});
