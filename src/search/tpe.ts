/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), after Optuna 3.1's default
 * TPESampler (univariate): the first `nStartup` configurations are random; after that the observed
 * configurations are split into the best `gamma(n)` ("good", l(x)) and the rest ("bad", g(x)),
 * each parameter gets a Parzen estimator per group (truncated Gaussians in the domain's own scale,
 * log for loguniform, probability masses for integers, smoothed category weights for choices),
 * `nCandidates` values are drawn from l(x) and the one with the largest l(x)/g(x) is kept.
 *
 * Observations carry the rung they were measured at: a configuration stopped at a lower rung ranks
 * below every configuration that reached a higher one (Optuna's order for pruned trials), so under
 * ASHA each configuration counts with its highest rung.
 */
import type { Random } from '../runtime/random.js';
import { sampleDomain, type Config, type Domain, type Space, type Value } from './space.js';

export interface TpeOptions {
  /** Random configurations before the model is used (Optuna: 10). */
  nStartup?: number;
  /** Candidates drawn from l(x) per parameter (Optuna: 24). */
  nCandidates?: number;
  /** Size of the good group for n observations (Optuna: min(ceil(0.1 n), 25)). */
  gamma?: (n: number) => number;
  /** Weight of the prior component (Optuna: 1). */
  priorWeight?: number;
}

export interface Observation {
  config: Config;
  /** Lower is better; non-finite observations (failures) are ignored. */
  score: number;
  /** The rung (or step) the score was measured at: higher rungs rank first. */
  rung: number;
}

const optunaGamma = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

/** Optuna's default_weights: flat for up to 25 observations, older ones ramped down beyond. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++) out.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

// ---------------------------------------------------------------- normal distribution helpers

const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erf with |error| < 1.2e-7 (Numerical Recipes erfc, Chebyshev fit). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / SQRT2);
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

function logSumExp(values: number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

// ---------------------------------------------------------------- Parzen estimators

interface NumericScale {
  /** Bounds in the model's scale (log for loguniform; widened by half a step for integers). */
  low: number;
  high: number;
  /** Integer step in the original scale (0: continuous). */
  step: number;
  log: boolean;
  toModel(v: number): number;
}

function numericScale(d: Domain): NumericScale | undefined {
  switch (d.type) {
    case 'uniform':
      return { low: d.low, high: d.high, step: 0, log: false, toModel: (v) => v };
    case 'loguniform':
      return { low: Math.log(d.low), high: Math.log(d.high), step: 0, log: true, toModel: (v) => Math.log(v) };
    case 'randint':
      return { low: d.low - 0.5, high: d.high - 1 + 0.5, step: 1, log: false, toModel: (v) => v };
    case 'qrandint': {
      const lo = Math.ceil(d.low / d.q) * d.q;
      const hi = Math.floor(d.high / d.q) * d.q;
      return { low: lo - d.q / 2, high: hi + d.q / 2, step: d.q, log: false, toModel: (v) => v };
    }
    case 'choice':
      return undefined;
  }
}

/** A mixture of Gaussians truncated to [low, high]: one per observation plus a wide prior. */
class NumericParzen {
  readonly mus: number[] = [];
  readonly sigmas: number[] = [];
  readonly logWeights: number[] = [];

  constructor(
    private readonly scale: NumericScale,
    values: number[],
    weights: number[],
    priorWeight: number,
  ) {
    const { low, high } = scale;
    const mus = [...values.map((v) => scale.toModel(v)), (low + high) / 2];
    const ws = [...weights, priorWeight];
    const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b]);
    const sorted = order.map((i) => mus[i]);
    const priorSigma = high - low;
    const sig = new Array<number>(sorted.length);
    // Each kernel as wide as its larger gap to a neighbour; the outermost ones look inwards only
    // (Optuna's consider_endpoints=False).
    for (let j = 0; j < sorted.length; j++) {
      const left = j > 0 ? sorted[j] - sorted[j - 1] : 0;
      const right = j < sorted.length - 1 ? sorted[j + 1] - sorted[j] : 0;
      sig[j] = sorted.length === 1 ? high - low : Math.max(left, right);
    }
    // Optuna's "magic clip": no kernel narrower than the range / min(100, 1 + n).
    const minSigma = priorSigma / Math.min(100, 1 + sorted.length);
    const total = ws.reduce((a, b) => a + b, 0);
    order.forEach((i, j) => {
      const isPrior = i === mus.length - 1;
      this.mus.push(mus[i]);
      this.sigmas.push(isPrior ? priorSigma : Math.min(Math.max(sig[j], minSigma), priorSigma));
      this.logWeights.push(Math.log(ws[i] / total));
    });
  }

  /** A draw in the model's scale (log for loguniform). */
  sample(rng: Random): number {
    const { low, high } = this.scale;
    let u = rng.next();
    let k = 0;
    for (; k < this.mus.length - 1; k++) {
      u -= Math.exp(this.logWeights[k]);
      if (u < 0) break;
    }
    const mu = this.mus[k];
    const sigma = this.sigmas[k];
    const a = normalCdf((low - mu) / sigma);
    const b = normalCdf((high - mu) / sigma);
    if (!(b - a > 1e-12)) return Math.min(Math.max(mu, low), high);
    const x = mu + sigma * normalQuantile(a + rng.next() * (b - a));
    return Math.min(Math.max(x, low), high);
  }

  /** log density at x (model scale); for integer domains the log probability of x's bin. */
  logPdf(x: number): number {
    const { low, high, step } = this.scale;
    const terms: number[] = [];
    for (let k = 0; k < this.mus.length; k++) {
      const mu = this.mus[k];
      const sigma = this.sigmas[k];
      const mass = normalCdf((high - mu) / sigma) - normalCdf((low - mu) / sigma);
      const logMass = Math.log(Math.max(mass, 1e-300));
      if (step > 0) {
        const p =
          normalCdf((Math.min(x + step / 2, high) - mu) / sigma) -
          normalCdf((Math.max(x - step / 2, low) - mu) / sigma);
        terms.push(this.logWeights[k] + Math.log(Math.max(p, 1e-300)) - logMass);
      } else {
        const z = (x - mu) / sigma;
        terms.push(this.logWeights[k] - 0.5 * z * z - LOG_SQRT_2PI - Math.log(sigma) - logMass);
      }
    }
    return logSumExp(terms);
  }
}

/** Category weights: observation weights plus the prior spread evenly over the choices. */
class CategoricalParzen {
  readonly logProbs: number[];

  constructor(
    private readonly count: number,
    indices: number[],
    weights: number[],
    priorWeight: number,
  ) {
    const w = new Array<number>(count).fill(priorWeight / count);
    indices.forEach((i, j) => (w[i] += weights[j]));
    const total = w.reduce((a, b) => a + b, 0);
    this.logProbs = w.map((x) => Math.log(x / total));
  }

  sample(rng: Random): number {
    let u = rng.next();
    for (let i = 0; i < this.count - 1; i++) {
      u -= Math.exp(this.logProbs[i]);
      if (u < 0) return i;
    }
    return this.count - 1;
  }

  logPdf(i: number): number {
    return this.logProbs[i];
  }
}

function fromModel(d: Domain, x: number): Value {
  switch (d.type) {
    case 'uniform':
      return Math.min(Math.max(x, d.low), d.high);
    case 'loguniform':
      return Math.min(Math.max(Math.exp(x), d.low), d.high);
    case 'randint':
      return Math.min(Math.max(Math.round(x), d.low), d.high - 1);
    case 'qrandint': {
      const lo = Math.ceil(d.low / d.q) * d.q;
      const hi = Math.floor(d.high / d.q) * d.q;
      return Math.min(Math.max(Math.round(x / d.q) * d.q, lo), hi);
    }
    case 'choice':
      return d.values[Math.round(x)];
  }
}

/** Orders observations best first: higher rung first, then lower score, then insertion order. */
export function rankObservations(observations: Observation[]): Observation[] {
  return observations
    .map((o, i) => ({ o, i }))
    .filter(({ o }) => Number.isFinite(o.score))
    .sort((a, b) => b.o.rung - a.o.rung || a.o.score - b.o.score || a.i - b.i)
    .map(({ o }) => o);
}

/**
 * The TPE sampler over a space. `observe` records (or updates, by configuration index) a result;
 * `sample` draws configuration `index` from the given generator, at random during the startup
 * phase. Observations are kept in the order they first arrived, so a replayed journal rebuilds
 * the same state.
 */
export class TpeSampler {
  private readonly nStartup: number;
  private readonly nCandidates: number;
  private readonly gamma: (n: number) => number;
  private readonly priorWeight: number;
  private readonly byIndex = new Map<number, Observation>();

  constructor(
    private readonly space: Space,
    options: TpeOptions = {},
  ) {
    this.nStartup = options.nStartup ?? 10;
    this.nCandidates = options.nCandidates ?? 24;
    this.gamma = options.gamma ?? optunaGamma;
    this.priorWeight = options.priorWeight ?? 1;
  }

  /** Records configuration `index`'s score at `rung`; a result at a lower rung than one already known is ignored. */
  observe(index: number, config: Config, score: number, rung = 0): void {
    const known = this.byIndex.get(index);
    if (
      known &&
      (known.rung > rung || (known.rung === rung && Number.isFinite(known.score) && !Number.isFinite(score)))
    )
      return;
    this.byIndex.set(index, { config, score, rung });
  }

  get observations(): Observation[] {
    return [...this.byIndex.values()];
  }

  sample(rng: Random): Config {
    const ranked = rankObservations(this.observations);
    const keys = Object.keys(this.space).sort();
    const out: Config = {};
    if (ranked.length < this.nStartup) {
      for (const key of keys) out[key] = sampleDomain(this.space[key], rng);
      return out;
    }
    const nGood = Math.max(1, Math.min(this.gamma(ranked.length), ranked.length - 1));
    const good = ranked.slice(0, nGood);
    const bad = ranked.slice(nGood);
    for (const key of keys) out[key] = this.sampleParameter(this.space[key], key, good, bad, rng);
    return out;
  }

  private sampleParameter(d: Domain, key: string, good: Observation[], bad: Observation[], rng: Random): Value {
    // Weights follow arrival order (older observations weigh less beyond 25), as in Optuna.
    const arrival = new Map(this.observations.map((o, i) => [o, i]));
    const byArrival = (group: Observation[]) =>
      [...group].sort((a, b) => arrival.get(a)! - arrival.get(b)!).filter((o) => key in o.config);
    const g = byArrival(good);
    const b = byArrival(bad);
    if (d.type === 'choice') {
      const indexOf = (v: Value) => d.values.findIndex((x) => x === v);
      const gi = g.map((o) => indexOf(o.config[key])).filter((i) => i >= 0);
      const bi = b.map((o) => indexOf(o.config[key])).filter((i) => i >= 0);
      const l = new CategoricalParzen(d.values.length, gi, defaultWeights(gi.length), this.priorWeight);
      const gg = new CategoricalParzen(d.values.length, bi, defaultWeights(bi.length), this.priorWeight);
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < this.nCandidates; c++) {
        const x = l.sample(rng);
        const s = l.logPdf(x) - gg.logPdf(x);
        if (s > bestScore) [best, bestScore] = [x, s];
      }
      return d.values[best];
    }
    const scale = numericScale(d)!;
    const values = (group: Observation[]) =>
      group.map((o) => o.config[key]).filter((v): v is number => typeof v === 'number');
    const gv = values(g);
    const bv = values(b);
    const l = new NumericParzen(scale, gv, defaultWeights(gv.length), this.priorWeight);
    const gg = new NumericParzen(scale, bv, defaultWeights(bv.length), this.priorWeight);
    let best = l.sample(rng);
    let bestScore = -Infinity;
    for (let c = 0; c < this.nCandidates; c++) {
      const raw = l.sample(rng);
      // Integer domains are scored at the value they will take.
      const x = scale.step > 0 ? (fromModel(d, raw) as number) : raw;
      const s = l.logPdf(x) - gg.logPdf(x);
      if (s > bestScore) [best, bestScore] = [x, s];
    }
    return fromModel(d, best);
  }
}
