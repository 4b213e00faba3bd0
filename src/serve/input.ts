/**
 * Request bodies to a validated ServeBatch: JSON ({"rows": [{...}]} or {"columns": {...}}) or
 * Arrow IPC (stream or file). Every problem names its row and field; nothing reaches a model
 * before the whole request is valid.
 */
import { type Table } from 'apache-arrow';
import { flatFloat32Vectors, parseArrow } from '../data/arrow.js';
import { tableFromArrow } from '../data/read-table.js';
import { parseDateTime } from '../tabular/features.js';
import { isUserError } from '../runtime/errors.js';
import type { DataTable } from '../data/table.js';
import { HttpProblem, invalidInput, type FieldProblem } from './problem.js';
import type { InputField, ServeBatch, ServeColumn } from '../contracts/servable.js';

const MAX_PROBLEMS = 20;

class Problems {
  readonly list: FieldProblem[] = [];
  truncated = false;
  add(p: FieldProblem): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push(p);
    else this.truncated = true;
  }
  /** True once a problem beyond the listed ones was found: no need to look further. */
  get full(): boolean {
    return this.truncated;
  }
  throwIfAny(): void {
    if (this.list.length) throw invalidInput(this.list, this.truncated);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function expected(field: InputField): string {
  switch (field.type) {
    case 'number':
      return field.nullable ? 'a number (or null)' : 'a number';
    case 'datetime':
      return 'an ISO date or timestamp such as "2012-06-01 08:00" (or null)';
    case 'category':
      return `one of ${listLevels(field.categories ?? [])}${field.nullable ? ' (or null)' : ''}`;
    case 'trace':
      return `a list of ${field.length} numbers`;
    case 'sequence':
      return `a list of items, each a list of ${field.length} numbers`;
  }
}

function listLevels(levels: string[]): string {
  const shown = levels
    .slice(0, 12)
    .map((l) => JSON.stringify(l))
    .join(', ');
  return levels.length > 12 ? `${shown}, … (${levels.length} categories)` : shown;
}

/** Builds one column from per-row values, reporting problems by row. */
function buildColumn(
  field: InputField,
  rows: number,
  value: (i: number) => unknown,
  present: (i: number) => boolean,
  problems: Problems,
): ServeColumn {
  const name = field.name;
  const missing = (i: number) => problems.add({ row: i, field: name, message: `missing; expected ${expected(field)}` });
  switch (field.type) {
    case 'number': {
      const values = new Float64Array(rows);
      for (let i = 0; i < rows && !problems.full; i++) {
        if (!present(i)) {
          missing(i);
          continue;
        }
        const v = value(i);
        if (typeof v === 'number' && Number.isFinite(v)) values[i] = v;
        else if ((v === null || (typeof v === 'number' && Number.isNaN(v))) && field.nullable) values[i] = NaN;
        else problems.add({ row: i, field: name, message: `expected ${expected(field)}, got ${describe(v)}` });
      }
      return { name, kind: 'number', values };
    }
    case 'category':
    case 'datetime': {
      const levels = field.type === 'category' ? new Set(field.categories ?? []) : undefined;
      const values = new Array<string | null>(rows);
      for (let i = 0; i < rows && !problems.full; i++) {
        if (!present(i)) {
          missing(i);
          continue;
        }
        const v = value(i);
        if (v === null || (typeof v === 'number' && Number.isNaN(v))) {
          if (field.nullable) values[i] = null;
          else problems.add({ row: i, field: name, message: `expected ${expected(field)}, got null` });
          continue;
        }
        if (typeof v !== 'string' && !(levels && typeof v === 'number')) {
          problems.add({ row: i, field: name, message: `expected ${expected(field)}, got ${describe(v)}` });
          continue;
        }
        const text = String(v);
        if (levels && !levels.has(text))
          problems.add({
            row: i,
            field: name,
            message: `unknown category ${describe(text)}; expected ${expected(field)}`,
          });
        else if (!levels && !parseDateTime(text))
          problems.add({ row: i, field: name, message: `expected ${expected(field)}, got ${describe(text)}` });
        else values[i] = text;
      }
      return { name, kind: 'string', values };
    }
    case 'trace': {
      const L = field.length!;
      const values = new Float32Array(rows * L);
      for (let i = 0; i < rows && !problems.full; i++) {
        if (!present(i)) {
          missing(i);
          continue;
        }
        const v = value(i);
        if (!Array.isArray(v)) {
          problems.add({ row: i, field: name, message: `expected ${expected(field)}, got ${describe(v)}` });
          continue;
        }
        if (v.length !== L) {
          problems.add({ row: i, field: name, message: `expected a trace of ${L} samples, got ${v.length}` });
          continue;
        }
        for (let t = 0; t < L; t++) {
          const x = v[t];
          if (typeof x !== 'number' || !Number.isFinite(x)) {
            problems.add({
              row: i,
              field: name,
              message: `expected ${expected(field)}, sample ${t} is ${describe(x)}`,
            });
            break;
          }
          values[i * L + t] = x;
        }
      }
      return { name, kind: 'trace', length: L, values };
    }
    case 'sequence':
      return sequenceColumn(field, rows, (i) => (present(i) ? value(i) : undefined), problems);
  }
}

/**
 * A list of items of `length` numbers per row (particles of 19 features) as a zero-padded trace of
 * items x length; a row with more items keeps its last `items` (the model's own cut).
 */
function sequenceColumn(
  field: InputField,
  rows: number,
  value: (i: number) => unknown,
  problems: Problems,
): ServeColumn {
  const L = field.length!;
  const cap = field.items!;
  const values = new Float32Array(rows * cap * L);
  for (let i = 0; i < rows && !problems.full; i++) {
    const v = value(i);
    if (v === undefined) {
      problems.add({ row: i, field: field.name, message: `missing; expected ${expected(field)}` });
      continue;
    }
    const list = listLike(v);
    if (!list) {
      problems.add({ row: i, field: field.name, message: `expected ${expected(field)}, got ${describe(v)}` });
      continue;
    }
    // trailing all-zero items are padding: the cut keeps the last `cap` real ones
    let real = list.length;
    while (real > 0) {
      const item = listLike(list[real - 1]);
      if (!item || item.length !== L || Array.from(item).some((x) => x !== 0)) break;
      real--;
    }
    const from = Math.max(0, real - cap);
    for (let p = 0; p < list.length; p++) {
      const item = listLike(list[p]);
      if (!item || item.length !== L) {
        problems.add({
          row: i,
          field: field.name,
          message: `item ${p}: expected ${L} numbers, got ${item ? item.length : describe(list[p])}`,
        });
        break;
      }
      if (p < from || p >= from + cap) continue;
      let bad = -1;
      for (let k = 0; k < L; k++) {
        const x = Number(item[k]);
        if (typeof item[k] !== 'number' || !Number.isFinite(x)) {
          bad = k;
          break;
        }
        values[(i * cap + p - from) * L + k] = x;
      }
      if (bad >= 0) {
        problems.add({
          row: i,
          field: field.name,
          message: `item ${p}: number ${bad} is ${describe(item[bad])}; expected finite numbers`,
        });
        break;
      }
    }
  }
  return { name: field.name, kind: 'trace', length: cap * L, values };
}

/** A JSON array or an Arrow list value, as an indexable list. */
function listLike(v: unknown): ArrayLike<unknown> | undefined {
  if (Array.isArray(v)) return v;
  if (
    v &&
    typeof v === 'object' &&
    typeof (v as { toArray?: unknown }).toArray === 'function' &&
    typeof (v as { length?: unknown }).length === 'number'
  ) {
    const vec = v as { get(i: number): unknown; length: number };
    return Array.from({ length: vec.length }, (_, k) => vec.get(k));
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SHAPE_HINT = 'expected a JSON object {"rows": [{field: value, ...}, ...]} or {"columns": {field: [values], ...}}';

export type JsonShape = 'rows' | 'columns';

export function batchFromJson(body: unknown, fields: InputField[]): { batch: ServeBatch; shape: JsonShape } {
  if (!isRecord(body)) throw new HttpProblem(400, 'Invalid input', `${SHAPE_HINT}, got ${describe(body)}`);
  const problems = new Problems();
  if (Object.hasOwn(body, 'rows')) {
    const rows = body.rows;
    if (!Array.isArray(rows))
      throw new HttpProblem(400, 'Invalid input', `rows: expected a list of objects, got ${describe(rows)}`);
    if (rows.length === 0)
      throw new HttpProblem(400, 'Invalid input', 'rows: expected at least one row, got an empty list');
    for (let i = 0; i < rows.length && !problems.full; i++)
      if (!isRecord(rows[i]))
        problems.add({ row: i, message: `expected an object of fields, got ${describe(rows[i])}` });
    problems.throwIfAny();
    const records = rows as Record<string, unknown>[];
    const columns = fields.map((f) =>
      buildColumn(
        f,
        records.length,
        (i) => records[i][f.name],
        (i) => Object.hasOwn(records[i], f.name),
        problems,
      ),
    );
    problems.throwIfAny();
    return { batch: { rows: records.length, columns }, shape: 'rows' };
  }
  if (Object.hasOwn(body, 'columns')) {
    const cols = body.columns;
    if (!isRecord(cols))
      throw new HttpProblem(400, 'Invalid input', `columns: expected an object of lists, got ${describe(cols)}`);
    let rows = -1;
    for (const f of fields) {
      if (!Object.hasOwn(cols, f.name)) {
        problems.add({ field: f.name, message: `missing; expected a list of ${expected(f)}` });
        continue;
      }
      const list = cols[f.name];
      if (!Array.isArray(list))
        problems.add({ field: f.name, message: `expected a list of values, got ${describe(list)}` });
      else if (rows < 0) rows = list.length;
      else if (list.length !== rows)
        problems.add({
          field: f.name,
          message: `expected ${rows} values (as many as '${fields.find((g) => Array.isArray(cols[g.name]))!.name}'), got ${list.length}`,
        });
    }
    problems.throwIfAny();
    if (rows === 0) throw new HttpProblem(400, 'Invalid input', 'columns: expected at least one row, got empty lists');
    const columns = fields.map((f) => {
      const list = cols[f.name] as unknown[];
      return buildColumn(
        f,
        rows,
        (i) => list[i],
        () => true,
        problems,
      );
    });
    problems.throwIfAny();
    return { batch: { rows, columns }, shape: 'columns' };
  }
  throw new HttpProblem(
    400,
    'Invalid input',
    `${SHAPE_HINT}, got an object with keys ${
      Object.keys(body)
        .slice(0, 8)
        .map((k) => JSON.stringify(k))
        .join(', ') || 'none'
    }`,
  );
}

/**
 * A table read from a file (`sciml predict`) checked by the same rules as a request body (a date
 * column holds dates, a number column numbers, a category a known level): one validator for both.
 */
export function batchFromTable(table: DataTable, fields: InputField[]): ServeBatch {
  const problems = new Problems();
  const names = new Set(table.columns.map((c) => c.name));
  for (const f of fields)
    if (!names.has(f.name)) problems.add({ field: f.name, message: `missing column; expected ${expected(f)} per row` });
  problems.throwIfAny();
  const columns = fields.map((f) => {
    const column = table.columns.find((c) => c.name === f.name)!;
    const values = column.values as ArrayLike<number | string | null>;
    // A number column with a stray text cell is read as text: give its numeric cells as numbers.
    const value =
      f.type === 'number' && column.kind === 'string'
        ? (i: number) => {
            const v = values[i] as string | null;
            return v !== null && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
          }
        : (i: number) => values[i];
    return buildColumn(f, table.numRows, value, () => true, problems);
  });
  problems.throwIfAny();
  return { rows: table.numRows, columns };
}

function arrowProblem(err: unknown, field?: string): HttpProblem {
  const message = isUserError(err)
    ? err.message.replace(/^request(: column '[^']*')?: /, '')
    : `unreadable Arrow data (${(err as Error)?.message ?? String(err)})`;
  return field ? invalidInput([{ field, message }]) : new HttpProblem(400, 'Malformed body', message);
}

export function batchFromArrow(bytes: Uint8Array, fields: InputField[]): ServeBatch {
  let table: Table;
  try {
    table = parseArrow(bytes, 'request');
    // Reading the schema and batches is lazy in places: touch every column now, inside the try.
    for (const f of table.schema.fields) void table.getChild(f.name)?.length;
  } catch (err) {
    throw arrowProblem(err);
  }
  if (table.numRows === 0)
    throw new HttpProblem(400, 'Invalid input', 'expected at least one row, got an empty Arrow table');
  // Row counts and list sizes come from the message headers: check them against the body before allocating for them.
  if (table.numRows > bytes.length)
    throw new HttpProblem(
      400,
      'Malformed body',
      `the Arrow data declares ${table.numRows} rows in ${bytes.length} bytes`,
    );
  for (const f of fields) {
    const type = table.schema.fields.find((x) => x.name === f.name)?.type as { listSize?: number } | undefined;
    if (f.type === 'trace' && type?.listSize !== undefined && type.listSize !== f.length) {
      throw invalidInput([{ field: f.name, message: `expected traces of ${f.length} samples, got ${type.listSize}` }]);
    }
  }
  const problems = new Problems();
  const names = new Set(table.schema.fields.map((f) => f.name));
  for (const f of fields)
    if (!names.has(f.name)) problems.add({ field: f.name, message: `missing column; expected ${expected(f)} per row` });
  problems.throwIfAny();
  const scalarNames = new Set(fields.filter((f) => f.type !== 'trace' && f.type !== 'sequence').map((f) => f.name));
  let scalars;
  try {
    const wanted = table.select([...scalarNames]);
    scalars = tableFromArrow(wanted, 'request');
  } catch (err) {
    const field = /column '([^']+)'/.exec((err as Error)?.message ?? '')?.[1];
    throw arrowProblem(err, field);
  }
  const columns: ServeColumn[] = [];
  for (const f of fields) {
    if (f.type === 'sequence') {
      const vector = table.getChild(f.name)!;
      columns.push(sequenceColumn(f, table.numRows, (i) => (vector.get(i) === null ? null : vector.get(i)), problems));
      continue;
    }
    if (f.type === 'trace') {
      let flat;
      try {
        flat = flatFloat32Vectors(table, f.name, 'request');
      } catch (err) {
        throw arrowProblem(err, f.name);
      }
      if (flat.length !== f.length) {
        problems.add({ field: f.name, message: `expected traces of ${f.length} samples, got ${flat.length}` });
        continue;
      }
      for (let i = 0; i < flat.rows && !problems.full; i++) {
        for (let t = i * flat.length; t < (i + 1) * flat.length; t++) {
          if (!Number.isFinite(flat.data[t])) {
            problems.add({
              row: i,
              field: f.name,
              message: `expected finite numbers, sample ${t - i * flat.length} is ${flat.data[t]}`,
            });
            break;
          }
        }
      }
      columns.push({ name: f.name, kind: 'trace', length: flat.length, values: flat.data });
      continue;
    }
    const column = scalars.columns.find((c) => c.name === f.name)!;
    if (f.type === 'number' && column.kind !== 'number') {
      problems.add({ field: f.name, message: `expected a numeric column, got text` });
      continue;
    }
    const values = column.values as ArrayLike<number | string | null>;
    columns.push(
      buildColumn(
        f,
        table.numRows,
        (i) => values[i],
        () => true,
        problems,
      ),
    );
  }
  problems.throwIfAny();
  return { rows: table.numRows, columns };
}
