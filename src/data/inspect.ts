/**
 * `sciml data inspect`: what a table holds, per column: type, missing cells, and min/max/mean for
 * numbers or the most frequent values for text. Arrow columns that are not one value per cell
 * (traces as fixed-size lists, structs) are listed with their Arrow type and null count.
 */
import { extname } from 'node:path';
import type { Table } from 'apache-arrow';
import { looksLikeArrow, parseArrow } from './arrow.js';
import { parseCsv } from './csv.js';
import { readTableBytes, tableFromArrow } from './read-table.js';
import { looksLikeParquet, parquetBytesToArrow } from './parquet.js';
import type { Column } from './table.js';
import { textTable } from '../runtime/text-table.js';

interface ColumnSummary {
  name: string;
  type: string;
  missing: number;
  min?: number;
  max?: number;
  mean?: number;
  distinct?: number;
  top?: { value: string; count: number }[];
}

export interface TableSummary {
  source: string;
  format: 'arrow' | 'parquet' | 'csv' | 'tsv';
  rows: number;
  columns: ColumnSummary[];
}

const TOP_VALUES = 3;

export async function inspectTable(path: string): Promise<TableSummary> {
  const bytes = await readTableBytes(path);
  if (looksLikeArrow(bytes)) return summarizeArrow(parseArrow(bytes, path), path);
  if (looksLikeParquet(bytes))
    return { ...summarizeArrow(await parquetBytesToArrow(bytes, path), path), format: 'parquet' };
  const ext = extname(path).toLowerCase();
  if (['.arrow', '.feather', '.ipc', '.arrows'].includes(ext)) parseArrow(bytes, path);
  const tsv = ext === '.tsv' || ext === '.tab';
  const table = parseCsv(bytes, path, tsv ? { delimiter: '\t' } : {});
  return {
    source: path,
    format: tsv ? 'tsv' : 'csv',
    rows: table.numRows,
    columns: table.columns.map(summarizeColumn),
  };
}

function summarizeArrow(arrow: Table, source: string): TableSummary {
  const table = tableFromArrow(arrow, source, { unsupported: 'skip' });
  const converted = new Map(table.columns.map((c) => [c.name, c]));
  const columns = arrow.schema.fields.map((field): ColumnSummary => {
    const column = converted.get(field.name);
    if (column) return { ...summarizeColumn(column), type: String(field.type) };
    return { name: field.name, type: String(field.type), missing: arrow.getChild(field.name)?.nullCount ?? 0 };
  });
  return { source, format: 'arrow', rows: arrow.numRows, columns };
}

function summarizeColumn(column: Column): ColumnSummary {
  if (column.kind === 'number') {
    let missing = 0;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of column.values) {
      if (Number.isNaN(v)) {
        missing++;
        continue;
      }
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    const present = column.values.length - missing;
    return present === 0
      ? { name: column.name, type: 'number', missing }
      : { name: column.name, type: 'number', missing, min, max, mean: sum / present };
  }
  const counts = new Map<string, number>();
  let missing = 0;
  for (const v of column.values) {
    if (v === null) missing++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP_VALUES)
    .map(([value, count]) => ({ value, count }));
  return { name: column.name, type: 'string', missing, distinct: counts.size, top };
}

function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3 ? v.toExponential(3) : Number(v.toPrecision(6)).toString();
}

/** A readable table: one line per column. */
export function formatTableSummary(s: TableSummary): string {
  const rows = s.columns.map((c) => {
    let stats = '';
    if (c.min !== undefined)
      stats = `min ${formatValue(c.min)}  max ${formatValue(c.max!)}  mean ${formatValue(c.mean!)}`;
    else if (c.top)
      stats = `${c.distinct} distinct; top ${c.top.map((t) => `${JSON.stringify(t.value)} (${t.count})`).join(', ')}`;
    return [c.name, c.type, String(c.missing), stats];
  });
  return (
    `${s.source}: ${s.format}, ${s.rows} rows, ${s.columns.length} columns\n` +
    textTable([['column', 'type', 'missing', 'summary'], ...rows])
  );
}
