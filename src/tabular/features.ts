/**
 * Feature engineering before the learners' own encoding: which columns are features, which are
 * dropped (by the user, ID-like, constant), and which date/timestamp columns are expanded into
 * calendar parts. The plan is fitted on the training table and saved with the model.
 */
import type { Column, DataTable, NumericColumn } from '../data/table.js';
import { UserError } from '../runtime/errors.js';

const DATE_PARTS = ['year', 'month', 'day', 'dayofweek', 'dayofyear', 'hour'] as const;
type DatePart = (typeof DATE_PARTS)[number];

interface DateExpansion {
  column: string;
  parts: DatePart[];
}

export interface FeaturePlan {
  target: string;
  /** Columns a table must have for prediction (before date expansion). */
  inputs: string[];
  dates: DateExpansion[];
  dropped: { column: string; reason: string }[];
}

const ISO_DATE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$/;

interface DateTime {
  ms: number;
  hasTime: boolean;
  hour: number;
}

/** Parses an ISO date or timestamp as wall-clock time (time zone suffixes are ignored). */
export function parseDateTime(text: string): DateTime | undefined {
  const m = ISO_DATE.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  if (hour > 23) return undefined;
  const ms = Date.UTC(y, mo - 1, d, hour, m[5] === undefined ? 0 : Number(m[5]), m[6] === undefined ? 0 : Number(m[6]));
  return { ms, hasTime: m[4] !== undefined, hour };
}

function datePartValue(part: DatePart, dt: DateTime): number {
  const date = new Date(dt.ms);
  switch (part) {
    case 'year':
      return date.getUTCFullYear();
    case 'month':
      return date.getUTCMonth() + 1;
    case 'day':
      return date.getUTCDate();
    case 'dayofweek':
      return date.getUTCDay();
    case 'dayofyear':
      return Math.floor((dt.ms - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    case 'hour':
      return dt.hour;
  }
}

/** A string column is a date column when at least 95% of its non-missing cells parse as dates. */
function dateColumnParts(values: (string | null)[]): DatePart[] | undefined {
  let present = 0;
  let parsed = 0;
  let withTime = false;
  for (const v of values) {
    if (v === null) continue;
    present++;
    const dt = parseDateTime(v);
    if (dt) {
      parsed++;
      if (dt.hasTime) withTime = true;
    }
  }
  if (present === 0 || parsed < 0.95 * present) return undefined;
  return withTime ? [...DATE_PARTS] : DATE_PARTS.filter((p) => p !== 'hour');
}

const ID_NAME = /^(id|_id|index|row|rowid|row_id|instant|uuid|key)$|[_ ]id$/i;

/** Unique integers in (nearly) a consecutive run, or a string per row: a row identifier, not a feature. */
export function looksLikeId(column: Column, rows: number): boolean {
  if (rows < 10) return false;
  if (column.kind === 'string') {
    if (dateColumnParts(column.values)) return false;
    const distinct = new Set(column.values.filter((v) => v !== null)).size;
    return distinct >= 0.95 * rows && (ID_NAME.test(column.name) || distinct === rows);
  }
  const v = column.values;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < rows; i++) {
    const x = v[i];
    if (!Number.isInteger(x)) return false;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (new Set(v).size !== rows) return false;
  return ID_NAME.test(column.name) || max - min + 1 <= 2 * rows;
}

function isConstant(column: Column): boolean {
  const first = column.values[0];
  if (column.kind === 'number') {
    const v = column.values;
    for (let i = 1; i < v.length; i++)
      if (!(v[i] === first || (Number.isNaN(v[i]) && Number.isNaN(first as number)))) return false;
    return true;
  }
  return column.values.every((x) => x === first);
}

export interface PlanOptions {
  target: string;
  drop: string[];
  expandDates: boolean;
  dropIdLike: boolean;
}

/** Decides the features from the training table. */
export function planFeatures(table: DataTable, options: PlanOptions): FeaturePlan {
  const names = new Set(table.columns.map((c) => c.name));
  for (const name of options.drop) {
    if (!names.has(name))
      throw new UserError(
        `${table.source}: column '${name}' (in drop): expected one of the table's columns ${[...names].join(', ')}`,
      );
  }
  const userDrop = new Set(options.drop);
  const plan: FeaturePlan = { target: options.target, inputs: [], dates: [], dropped: [] };
  for (const column of table.columns) {
    if (column.name === options.target) continue;
    if (userDrop.has(column.name)) {
      plan.dropped.push({ column: column.name, reason: 'dropped by the user' });
      continue;
    }
    if (isConstant(column)) {
      plan.dropped.push({ column: column.name, reason: 'constant' });
      continue;
    }
    const dateParts = options.expandDates && column.kind === 'string' ? dateColumnParts(column.values) : undefined;
    if (dateParts) {
      plan.inputs.push(column.name);
      plan.dates.push({ column: column.name, parts: dateParts });
      continue;
    }
    if (options.dropIdLike && looksLikeId(column, table.numRows)) {
      plan.dropped.push({ column: column.name, reason: 'ID-like (a distinct value per row)' });
      continue;
    }
    plan.inputs.push(column.name);
  }
  if (plan.inputs.length === 0)
    throw new UserError(
      `${table.source}: expected at least one feature column besides the target '${options.target}' (dropped: ${plan.dropped.map((d) => `${d.column} (${d.reason})`).join(', ') || 'none'})`,
    );
  return plan;
}

/** The feature table for a plan: input columns, dates replaced by their calendar parts. */
export function applyPlan(table: DataTable, plan: FeaturePlan): DataTable {
  const columns: Column[] = [];
  const dates = new Map(plan.dates.map((d) => [d.column, d.parts]));
  for (const name of plan.inputs) {
    const column = table.columns.find((c) => c.name === name);
    if (!column)
      throw new UserError(
        `${table.source}: column '${name}': expected (the model was trained with it), have ${table.columns.map((c) => c.name).join(', ')}`,
      );
    const parts = dates.get(name);
    if (!parts) {
      columns.push(column);
      continue;
    }
    const expanded: NumericColumn[] = parts.map((p) => ({
      name: `${name}_${p}`,
      kind: 'number',
      values: new Float64Array(table.numRows).fill(NaN),
    }));
    for (let i = 0; i < table.numRows; i++) {
      const cell = column.kind === 'string' ? column.values[i] : String(column.values[i]);
      const dt = cell === null ? undefined : parseDateTime(cell);
      if (!dt) continue;
      for (let k = 0; k < parts.length; k++) expanded[k].values[i] = datePartValue(parts[k], dt);
    }
    columns.push(...expanded);
  }
  return { source: table.source, numRows: table.numRows, columns };
}

/** The rows `index` of a table. */
export function takeTableRows(table: DataTable, index: ArrayLike<number>): DataTable {
  const n = index.length;
  const columns: Column[] = table.columns.map((c) => {
    if (c.kind === 'number') {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = c.values[index[i]];
      return { name: c.name, kind: 'number', values };
    }
    const values = new Array<string | null>(n);
    for (let i = 0; i < n; i++) values[i] = c.values[index[i]];
    return { name: c.name, kind: 'string', values };
  });
  return { source: table.source, numRows: n, columns };
}
