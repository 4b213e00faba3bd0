import type { Random } from '../runtime/random.js';

/**
 * Search-space domains with Ray Tune's names and bounds: `randint(low, high)` excludes `high`;
 * `qrandint(low, high, q)` includes `high` and rounds to multiples of `q`.
 */
export type Domain =
  | { type: 'uniform'; low: number; high: number }
  | { type: 'loguniform'; low: number; high: number }
  | { type: 'randint'; low: number; high: number }
  | { type: 'qrandint'; low: number; high: number; q: number }
  | { type: 'choice'; values: (number | string | boolean)[] };

export type Value = number | string | boolean;
export type Config = Record<string, Value>;
export type Space = Record<string, Domain>;

export const uniform = (low: number, high: number): Domain => ({ type: 'uniform', low, high });
export const loguniform = (low: number, high: number): Domain => ({ type: 'loguniform', low, high });
export const randint = (low: number, high: number): Domain => ({ type: 'randint', low, high });
export const qrandint = (low: number, high: number, q = 1): Domain => ({ type: 'qrandint', low, high, q });
export const choice = (values: Value[]): Domain => ({ type: 'choice', values });

export function validateDomain(name: string, d: Domain): void {
  const bad = (why: string) => {
    throw new Error(`search space: ${name}: ${why}`);
  };
  switch (d.type) {
    case 'uniform':
      if (!(d.high >= d.low)) bad(`uniform needs low <= high, got ${d.low}, ${d.high}`);
      break;
    case 'loguniform':
      if (!(d.low > 0 && d.high >= d.low)) bad(`loguniform needs 0 < low <= high, got ${d.low}, ${d.high}`);
      break;
    case 'randint':
      if (!(Number.isInteger(d.low) && Number.isInteger(d.high) && d.high > d.low))
        bad(`randint needs integers low < high, got ${d.low}, ${d.high}`);
      break;
    case 'qrandint':
      if (!(d.q > 0 && d.high >= d.low)) bad(`qrandint needs q > 0 and low <= high, got ${d.low}, ${d.high}, q ${d.q}`);
      break;
    case 'choice':
      if (d.values.length === 0) bad('choice needs at least one value');
      break;
  }
}

export function sampleDomain(d: Domain, rng: Random): Value {
  switch (d.type) {
    case 'uniform':
      return rng.uniform(d.low, d.high);
    case 'loguniform':
      return Math.exp(rng.uniform(Math.log(d.low), Math.log(d.high)));
    case 'randint':
      return rng.int(d.low, d.high);
    case 'qrandint': {
      const v = Math.round(rng.uniform(d.low, d.high) / d.q) * d.q;
      return Math.min(Math.max(v, Math.ceil(d.low / d.q) * d.q), Math.floor(d.high / d.q) * d.q);
    }
    case 'choice':
      return d.values[rng.int(0, d.values.length)];
  }
}

/** Samples every key of a space, in sorted key order so the draw does not depend on object layout. */
export function sampleSpace(space: Space, rng: Random): Config {
  const out: Config = {};
  for (const key of Object.keys(space).sort()) out[key] = sampleDomain(space[key], rng);
  return out;
}

export function contains(d: Domain, v: Value): boolean {
  switch (d.type) {
    case 'uniform':
    case 'loguniform':
      return typeof v === 'number' && v >= d.low && v <= d.high;
    case 'randint':
      return typeof v === 'number' && Number.isInteger(v) && v >= d.low && v < d.high;
    case 'qrandint':
      return (
        typeof v === 'number' &&
        v >= d.low - 1e-9 &&
        v <= d.high + 1e-9 &&
        Math.abs(v / d.q - Math.round(v / d.q)) < 1e-9
      );
    case 'choice':
      return d.values.includes(v);
  }
}

/**
 * A space with one top-level choice among branches (e.g. which learner), each with its own space.
 * Sampled configs carry the branch under `branchKey`.
 */
export interface BranchedSpace {
  branchKey: string;
  branches: Record<string, Space>;
  /** Relative sampling weights per branch (default 1 each). */
  weights?: Record<string, number>;
}

export function sampleBranched(space: BranchedSpace, rng: Random): Config {
  const names = Object.keys(space.branches).sort();
  const weights = names.map((n) => space.weights?.[n] ?? 1);
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.uniform(0, total);
  let pick = names[names.length - 1];
  for (let i = 0; i < names.length; i++) {
    u -= weights[i];
    if (u < 0) {
      pick = names[i];
      break;
    }
  }
  return { [space.branchKey]: pick, ...sampleSpace(space.branches[pick], rng) };
}
