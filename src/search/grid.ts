/**
 * Grid search: the cartesian product of every parameter's grid values, in a fixed order
 * (parameters sorted by name, the last varying fastest). Choices contribute their values,
 * integer ranges every integer (or `points` evenly spread when there are more), continuous
 * ranges `points` values (log-spaced for loguniform) including both ends.
 */
import type { Config, Domain, Space, Value } from './space.js';

function gridValues(d: Domain, points = 5): Value[] {
  const spread = (lo: number, hi: number, n: number) =>
    n <= 1 ? [lo] : Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  switch (d.type) {
    case 'choice':
      return [...d.values];
    case 'uniform':
      return d.low === d.high ? [d.low] : spread(d.low, d.high, points);
    case 'loguniform':
      return d.low === d.high
        ? [d.low]
        : spread(Math.log(d.low), Math.log(d.high), points).map((v, i) =>
            i === 0 ? d.low : i === points - 1 ? d.high : Math.exp(v),
          );
    case 'randint':
    case 'qrandint': {
      const q = d.type === 'qrandint' ? d.q : 1;
      const lo = Math.ceil(d.low / q);
      const hi = d.type === 'qrandint' ? Math.floor(d.high / q) : d.high - 1;
      const count = hi - lo + 1;
      if (count <= points) return Array.from({ length: count }, (_, i) => (lo + i) * q);
      return [...new Set(spread(lo, hi, points).map((v) => Math.round(v) * q))];
    }
  }
}

export class GridSampler {
  private readonly keys: string[];
  private readonly values: Value[][];
  readonly size: number;

  constructor(space: Space, points = 5) {
    this.keys = Object.keys(space).sort();
    this.values = this.keys.map((k) => gridValues(space[k], points));
    this.size = this.values.reduce((n, v) => n * v.length, 1);
  }

  /** Grid point `index` (0 <= index < size). */
  at(index: number): Config {
    if (!(index >= 0 && index < this.size)) throw new Error(`grid point ${index} is outside the grid of ${this.size}`);
    const out: Config = {};
    let rest = index;
    for (let k = this.keys.length - 1; k >= 0; k--) {
      const n = this.values[k].length;
      out[this.keys[k]] = this.values[k][rest % n];
      rest = Math.floor(rest / n);
    }
    return out;
  }
}
