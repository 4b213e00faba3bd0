/**
 * Preprocessing shared by all tabular learners.
 *
 * - `TableEncoder`: DataTable -> Matrix. Numeric columns pass through (NaN = missing), string
 *   columns become category codes 0..k-1 (unseen or missing -> NaN) flagged as categorical. This is
 *   what tree learners consume directly. Fit on the training table, apply to any later table.
 * - `StandardEncoder`: Matrix -> dense row-major standardized design (one-hot for categorical
 *   features, mean imputation plus a missing indicator for numeric features that had gaps in
 *   training). Ridge, k-NN and the MLP embed one in their saved state.
 *
 * Both are plain-JSON serializable.
 */
import type { DataTable } from '../data/table.js';
import { UserError } from '../runtime/errors.js';
import type { Matrix } from './learner.js';
import type { Random } from '../runtime/random.js';

interface EncodedColumnSpec {
  name: string;
  kind: 'number' | 'category';
  /** For 'category': the level names, code = index. */
  levels?: string[];
}

export interface TableEncoderState {
  columns: EncodedColumnSpec[];
}

export interface TableEncoderOptions {
  /** The target column: excluded from the features. */
  target?: string;
  /** Further columns to leave out (ids, dates, leaks). */
  drop?: string[];
  /** At most this many levels per string column; rarer levels share the missing code. Default 1000. */
  maxLevels?: number;
}

export class TableEncoder {
  constructor(readonly state: TableEncoderState) {}

  static fit(table: DataTable, options: TableEncoderOptions = {}): TableEncoder {
    const drop = new Set(options.drop ?? []);
    if (options.target !== undefined) drop.add(options.target);
    for (const name of drop) {
      if (!table.columns.some((c) => c.name === name)) {
        throw new UserError(
          `${table.source}: column '${name}': expected in the table, have ${table.columns.map((c) => c.name).join(', ')}`,
        );
      }
    }
    const maxLevels = options.maxLevels ?? 1000;
    const columns: EncodedColumnSpec[] = [];
    for (const column of table.columns) {
      if (drop.has(column.name)) continue;
      if (column.kind === 'number') {
        columns.push({ name: column.name, kind: 'number' });
      } else {
        const counts = new Map<string, number>();
        for (const v of column.values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
        // Most frequent levels first (ties alphabetical), so a cap keeps the common ones.
        const levels = [...counts.entries()]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .slice(0, maxLevels)
          .map(([level]) => level);
        columns.push({ name: column.name, kind: 'category', levels });
      }
    }
    if (columns.length === 0)
      throw new UserError(`${table.source}: expected at least one feature column besides the target`);
    return new TableEncoder({ columns });
  }

  static fromJSON(state: TableEncoderState): TableEncoder {
    return new TableEncoder(state);
  }

  toJSON(): TableEncoderState {
    return this.state;
  }

  get featureNames(): string[] {
    return this.state.columns.map((c) => c.name);
  }

  transform(table: DataTable): Matrix {
    const rows = table.numRows;
    const out: Float64Array[] = [];
    const categorical: boolean[] = [];
    const categories: number[] = [];
    for (const spec of this.state.columns) {
      const column = table.columns.find((c) => c.name === spec.name);
      if (!column)
        throw new UserError(
          `${table.source}: column '${spec.name}': expected (the model was trained with it), not found`,
        );
      if (spec.kind === 'number') {
        if (column.kind !== 'number') {
          const bad = column.values.findIndex((v) => v !== null && !Number.isFinite(Number(v)));
          throw new UserError(
            `${table.source}: column '${spec.name}': expected numbers, got '${column.values[bad]}' in row ${bad + 1}`,
          );
        }
        out.push(column.values);
        categorical.push(false);
        categories.push(0);
      } else {
        const levels = spec.levels!;
        const index = new Map(levels.map((level, i) => [level, i]));
        const codes = new Float64Array(rows);
        if (column.kind === 'string') {
          for (let i = 0; i < rows; i++) {
            const v = column.values[i];
            const code = v === null ? undefined : index.get(v);
            codes[i] = code === undefined ? NaN : code;
          }
        } else {
          // A column typed as numbers in this table but as strings in training: match by text.
          for (let i = 0; i < rows; i++) {
            const v = column.values[i];
            const code = Number.isNaN(v) ? undefined : index.get(String(v));
            codes[i] = code === undefined ? NaN : code;
          }
        }
        out.push(codes);
        categorical.push(true);
        categories.push(levels.length);
      }
    }
    return { rows, columns: out, names: this.featureNames, categorical, categories };
  }
}

/** The target column as Float64Array; every value must be a finite number. */
export function extractTarget(table: DataTable, name: string): Float64Array {
  const column = table.columns.find((c) => c.name === name);
  if (!column)
    throw new UserError(
      `${table.source}: column '${name}': expected a target column, have ${table.columns.map((c) => c.name).join(', ')}`,
    );
  if (column.kind !== 'number') {
    const bad = column.values.findIndex((v) => v === null || !Number.isFinite(Number(v)));
    throw new UserError(
      `${table.source}: column '${name}': expected numbers for the target, got ${bad < 0 ? 'text' : `'${column.values[bad]}' in row ${bad + 1}`}`,
    );
  }
  const values = column.values;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new UserError(
        `${table.source}: column '${name}': expected a number in every row of the target, row ${i + 1} is ${Number.isNaN(values[i]) ? 'missing' : values[i]}`,
      );
    }
  }
  return values;
}

// ---------------------------------------------------------------------------------------------

interface StandardFeature {
  source: number;
  kind: 'number' | 'onehot';
  mean: number;
  scale: number;
  /** onehot: number of levels; number: whether a missing-indicator column follows. */
  levels?: number;
  indicator?: boolean;
}

export interface StandardEncoderState {
  features: StandardFeature[];
  width: number;
  /** Names of the output columns, for coefficients and debugging. */
  outputNames: string[];
}

/** A dense row-major design matrix: value of output column c in row i at data[i * width + c]. */
export interface DenseRows {
  rows: number;
  width: number;
  data: Float64Array;
}

export class StandardEncoder {
  constructor(readonly state: StandardEncoderState) {}

  static fit(X: Matrix, options: { standardize?: boolean; maxOneHot?: number } = {}): StandardEncoder {
    const standardize = options.standardize ?? true;
    const maxOneHot = options.maxOneHot ?? 64;
    const features: StandardFeature[] = [];
    const outputNames: string[] = [];
    for (let j = 0; j < X.columns.length; j++) {
      const col = X.columns[j];
      const name = X.names[j] ?? `x${j}`;
      const levels = X.categorical?.[j] ? (X.categories?.[j] ?? 0) : 0;
      if (levels > 0 && levels <= maxOneHot) {
        features.push({ source: j, kind: 'onehot', mean: 0, scale: 1, levels });
        for (let k = 0; k < levels; k++) outputNames.push(`${name}=${k}`);
        continue;
      }
      let n = 0;
      let sum = 0;
      for (let i = 0; i < X.rows; i++) {
        const v = col[i];
        if (v === v) {
          n++;
          sum += v;
        }
      }
      const mean = n > 0 ? sum / n : 0;
      let ss = 0;
      for (let i = 0; i < X.rows; i++) {
        const v = col[i];
        if (v === v) ss += (v - mean) * (v - mean);
      }
      const sd = n > 0 ? Math.sqrt(ss / n) : 0;
      const indicator = n < X.rows;
      features.push({
        source: j,
        kind: 'number',
        mean: standardize ? mean : 0,
        scale: standardize && sd > 0 ? sd : 1,
        indicator,
      });
      outputNames.push(name);
      if (indicator) outputNames.push(`${name}_missing`);
    }
    return new StandardEncoder({ features, width: outputNames.length, outputNames });
  }

  static fromJSON(state: StandardEncoderState): StandardEncoder {
    return new StandardEncoder(state);
  }

  toJSON(): StandardEncoderState {
    return this.state;
  }

  get width(): number {
    return this.state.width;
  }

  transform(X: Matrix): DenseRows {
    const width = this.state.width;
    const data = new Float64Array(X.rows * width);
    let offset = 0;
    for (const f of this.state.features) {
      const col = X.columns[f.source];
      if (!col) throw new UserError(`expected at least ${f.source + 1} feature columns, got ${X.columns.length}`);
      if (f.kind === 'onehot') {
        const levels = f.levels!;
        for (let i = 0; i < X.rows; i++) {
          const code = col[i];
          // Missing or unseen levels encode as all zeros.
          if (code >= 0 && code < levels) data[i * width + offset + code] = 1;
        }
        offset += levels;
      } else {
        const inv = 1 / f.scale;
        for (let i = 0; i < X.rows; i++) {
          const v = col[i];
          if (v === v) data[i * width + offset] = (v - f.mean) * inv;
          else if (f.indicator) data[i * width + offset + 1] = 1;
        }
        offset += f.indicator ? 2 : 1;
      }
    }
    return { rows: X.rows, width, data };
  }
}

// ---------------------------------------------------------------------------------------------

/** The rows `index` of X (for splits and bootstraps), keeping the feature metadata. */
export function takeRows(X: Matrix, index: ArrayLike<number>): Matrix {
  const n = index.length;
  const columns = X.columns.map((col) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = col[index[i]];
    return out;
  });
  return { rows: n, columns, names: X.names, categorical: X.categorical, categories: X.categories };
}

export function takeValues(y: ArrayLike<number>, index: ArrayLike<number>): Float64Array {
  const out = new Float64Array(index.length);
  for (let i = 0; i < index.length; i++) out[i] = y[index[i]];
  return out;
}

export interface HeldOut {
  X: Matrix;
  y: Float64Array;
  weight?: Float64Array;
  valX: Matrix;
  valY: Float64Array;
}

/** Splits a seeded random `fraction` of the rows off as a validation set (for early stopping); training rows keep their order. */
export function holdOutValidation(
  X: Matrix,
  y: Float64Array,
  weight: Float64Array | undefined,
  fraction: number,
  rng: Random,
): HeldOut {
  const perm = rng.fork('validation').permutation(X.rows);
  const nVal = Math.max(1, Math.floor(fraction * X.rows));
  const valIdx = perm.subarray(0, nVal);
  const trainIdx = perm.subarray(nVal).slice().sort();
  return {
    X: takeRows(X, trainIdx),
    y: takeValues(y, trainIdx),
    weight: weight ? takeValues(weight, trainIdx) : undefined,
    valX: takeRows(X, valIdx),
    valY: takeValues(y, valIdx),
  };
}
