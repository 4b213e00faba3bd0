/** Input checks shared by every learner's fit/predict: clear UserErrors instead of NaN models. */
import { UserError } from '../runtime/errors.js';
import type { FitOptions, Matrix, Params, SearchDomain } from './learner.js';

export function checkFitInputs(kind: string, X: Matrix, y: Float64Array, options: FitOptions, minRows = 2): void {
  if (X.rows === 0 || y.length === 0) throw new UserError(`${kind}: expected training rows, got an empty table`);
  if (X.rows < minRows) throw new UserError(`${kind}: expected at least ${minRows} training rows, got ${X.rows}`);
  if (X.columns.length === 0) throw new UserError(`${kind}: expected at least one feature column, got none`);
  if (y.length !== X.rows)
    throw new UserError(`${kind}: expected one target value per row (${X.rows}), got ${y.length}`);
  checkColumns(kind, X);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i]))
      throw new UserError(`${kind}: target: expected a finite number in every row, row ${i + 1} is ${y[i]}`);
  }
  const w = options.sampleWeight;
  if (w) {
    if (w.length !== X.rows) throw new UserError(`${kind}: sampleWeight: expected ${X.rows} weights, got ${w.length}`);
    for (let i = 0; i < w.length; i++) {
      if (!(w[i] >= 0) || !Number.isFinite(w[i]))
        throw new UserError(`${kind}: sampleWeight: expected finite non-negative weights, row ${i + 1} is ${w[i]}`);
    }
  }
  if (options.validation) {
    const v = options.validation;
    if (v.X.columns.length !== X.columns.length)
      throw new UserError(
        `${kind}: validation: expected ${X.columns.length} feature columns, got ${v.X.columns.length}`,
      );
    if (v.y.length !== v.X.rows)
      throw new UserError(`${kind}: validation: expected one target value per row (${v.X.rows}), got ${v.y.length}`);
    checkColumns(`${kind}: validation`, v.X);
    for (let i = 0; i < v.y.length; i++) {
      if (!Number.isFinite(v.y[i]))
        throw new UserError(
          `${kind}: validation target: expected a finite number in every row, row ${i + 1} is ${v.y[i]}`,
        );
    }
  }
}

function checkColumns(kind: string, X: Matrix): void {
  for (let j = 0; j < X.columns.length; j++) {
    if (X.columns[j].length !== X.rows)
      throw new UserError(
        `${kind}: feature '${X.names[j] ?? j}': expected ${X.rows} values, got ${X.columns[j].length}`,
      );
    const col = X.columns[j];
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (v === Infinity || v === -Infinity)
        throw new UserError(
          `${kind}: feature '${X.names[j] ?? j}': expected finite numbers or NaN for missing, row ${i + 1} is ${v}`,
        );
    }
  }
}

export function checkPredictInputs(kind: string, X: Matrix, features: number): void {
  if (X.columns.length !== features)
    throw new UserError(`${kind}: expected ${features} feature columns (as in training), got ${X.columns.length}`);
  for (let j = 0; j < X.columns.length; j++) {
    if (X.columns[j].length !== X.rows)
      throw new UserError(
        `${kind}: feature '${X.names[j] ?? j}': expected ${X.rows} values, got ${X.columns[j].length}`,
      );
  }
}

export function notFitted(kind: string): Error {
  return new Error(`${kind}: predict called before fit`);
}

/** Merges params over defaults, rejecting unknown names and values outside their declared kind. */
export function resolveParams(
  kind: string,
  defaults: Params,
  given: Partial<Params>,
  space: Record<string, SearchDomain> = {},
): Params {
  const out: Params = { ...defaults };
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!(name in defaults))
      throw new UserError(`${kind}: unknown parameter '${name}', expected one of ${Object.keys(defaults).join(', ')}`);
    const expected = typeof defaults[name];
    if (typeof value !== expected)
      throw new UserError(`${kind}: ${name}: expected a ${expected}, got ${JSON.stringify(value)}`);
    const domain = space[name];
    if (domain?.type === 'choice' && typeof value === 'string' && !domain.values.includes(value)) {
      throw new UserError(`${kind}: ${name}: expected one of ${domain.values.join(', ')}, got '${value}'`);
    }
    out[name] = value;
  }
  return out;
}

export function positiveInt(kind: string, params: Params, name: string, min = 1): number {
  const v = params[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new UserError(`${kind}: ${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export function numberIn(kind: string, params: Params, name: string, lo: number, hi: number, loOpen = false): number {
  const v = params[name];
  if (typeof v !== 'number' || !(loOpen ? v > lo : v >= lo) || !(v <= hi)) {
    throw new UserError(
      `${kind}: ${name}: expected a number in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(v)}`,
    );
  }
  return v;
}
