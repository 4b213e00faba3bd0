/**
 * What kind of problem the target poses. Inferred like AutoGluon: a text (or true/false) target is
 * classification; a numeric target of integers with few distinct values (at most 20, and at most
 * one per 20 rows unless there are only two) is classification too; anything else is regression.
 * Two classes make it binary. `--problem-type` (data.problem_type) overrides the inference; the
 * decision and its reason go to the log and to metrics.json.
 */
import type { Column, DataTable } from '../data/table.js';
import { UserError } from '../runtime/errors.js';

export type ProblemType = 'regression' | 'binary' | 'multiclass';

export interface Problem {
  type: ProblemType;
  reason: string;
  /** Class labels in index order (sorted: numerically for numbers, else as text); null for regression. */
  classes: string[] | null;
}

const MAX_INTEGER_CLASSES = 20;

export function inferProblem(table: DataTable, target: string, override: 'auto' | ProblemType, where: string): Problem {
  const column = table.columns.find((c) => c.name === target)!;
  const levels = distinctLabels(column, table.source);
  if (override === 'regression') {
    if (column.kind !== 'number')
      throw new UserError(
        `${where}: problem_type: regression needs a numeric target, column '${target}' holds text (e.g. '${levels[0]}')`,
      );
    return { type: 'regression', reason: 'set by problem_type', classes: null };
  }
  const sorted = sortLabels(levels, column.kind === 'number');
  if (override === 'binary' || override === 'multiclass') {
    checkClassCount(sorted, table.source, target);
    if (override === 'binary' && sorted.length !== 2)
      throw new UserError(
        `${where}: problem_type: binary needs a target with exactly 2 classes, column '${target}' has ${sorted.length}`,
      );
    if (override === 'multiclass' && sorted.length < 3)
      throw new UserError(
        `${where}: problem_type: multiclass needs at least 3 classes, column '${target}' has ${sorted.length} (use binary)`,
      );
    return { type: override, reason: 'set by problem_type', classes: sorted };
  }
  let reason: string;
  if (column.kind === 'string') {
    const bool = sorted.every((l) => /^(true|false)$/i.test(l));
    reason = bool ? 'the target holds true/false values' : 'the target holds text labels';
  } else {
    const values = column.values;
    let integers = true;
    for (let i = 0; i < values.length; i++)
      if (values[i] === values[i] && !Number.isInteger(values[i])) integers = false;
    const n = values.length;
    const few = sorted.length <= MAX_INTEGER_CLASSES && (sorted.length <= 2 || sorted.length * 20 <= n);
    if (!integers || !few) {
      return {
        type: 'regression',
        reason: integers
          ? `numeric target with ${sorted.length} distinct integers (classification needs at most ${MAX_INTEGER_CLASSES}, and one per 20 rows)`
          : 'numeric target with non-integer values',
        classes: null,
      };
    }
    reason = `numeric target with only ${sorted.length} distinct integer values`;
  }
  checkClassCount(sorted, table.source, target);
  return {
    type: sorted.length === 2 ? 'binary' : 'multiclass',
    reason: `${reason} (${sorted.length} classes)`,
    classes: sorted,
  };
}

function checkClassCount(sorted: string[], source: string, target: string): void {
  if (sorted.length < 2)
    throw new UserError(
      `${source}: column '${target}': expected at least two classes for classification, got only '${sorted[0] ?? ''}'`,
    );
}

function distinctLabels(column: Column, source: string): string[] {
  const seen = new Set<string>();
  for (let i = 0; i < column.values.length; i++) {
    const label = labelAt(column, i, source);
    if (label !== null) seen.add(label);
  }
  return [...seen];
}

function sortLabels(labels: string[], numeric: boolean): string[] {
  return numeric ? labels.sort((a, b) => Number(a) - Number(b)) : labels.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A cell's class label as text; null when missing. An empty-string label is an error. */
function labelAt(column: Column, i: number, source: string): string | null {
  if (column.kind === 'number') {
    const v = column.values[i];
    return v === v ? String(v) : null;
  }
  const v = column.values[i];
  if (v === null) return null;
  if (v.trim() === '')
    throw new UserError(
      `${source}: column '${column.name}': row ${i + 1}: expected a class label, got an empty string`,
    );
  return v;
}

/** Class index of each row (labels as in `classes`); missing or unknown labels are errors. */
export function encodeLabels(table: DataTable, target: string, classes: string[]): Float64Array {
  const column = table.columns.find((c) => c.name === target);
  if (!column)
    throw new UserError(
      `${table.source}: column '${target}': expected the target column, have ${table.columns.map((c) => c.name).join(', ')}`,
    );
  const index = new Map(classes.map((c, k) => [c, k]));
  const out = new Float64Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const label = labelAt(column, i, table.source);
    if (label === null)
      throw new UserError(
        `${table.source}: column '${target}': row ${i + 1}: expected a class label, got an empty cell (every row of a classification target needs a label)`,
      );
    const k = index.get(label);
    if (k === undefined)
      throw new UserError(
        `${table.source}: column '${target}': row ${i + 1}: class '${label}' does not occur in the training rows (classes: ${classes.slice(0, 10).join(', ')}${classes.length > 10 ? ', ...' : ''})`,
      );
    out[i] = k;
  }
  return out;
}
