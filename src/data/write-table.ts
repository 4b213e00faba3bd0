/**
 * A command's output table (`sciml predict -o`, `sciml data generate -o`) in the format its file
 * name says: .csv/.tsv, .arrow/.feather/.ipc (Arrow IPC file), .arrows (IPC stream), .parquet,
 * .jsonl/.ndjson (JSON lines). `-` is an Arrow IPC stream on stdout, refused when stdout is a
 * terminal (binary would garble it). Files are written atomically.
 */
import { extname } from 'node:path';
import { Type, tableToIPC, type Table } from 'apache-arrow';
import { writeFileAtomic } from '../runtime/atomic.js';
import { UserError } from '../runtime/errors.js';
import { arrowToParquetColumns, parquetBytes, PARQUET_EXTENSIONS } from './parquet.js';

export type TableFormat = 'csv' | 'tsv' | 'arrow' | 'arrow-stream' | 'parquet' | 'jsonl';

const BY_EXTENSION: Record<string, TableFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.arrows': 'arrow-stream',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  ...Object.fromEntries([...PARQUET_EXTENSIONS].map((e) => [e, 'parquet' as const])),
};

const OUTPUT_EXTENSIONS = Object.keys(BY_EXTENSION);

/** The format `path` names by its extension; `-` is an Arrow stream; anything else is a UserError naming the flag. */
export function outputFormat(flag: string, path: string): TableFormat {
  if (path === '-') return 'arrow-stream';
  const ext = extname(path).toLowerCase();
  const format = BY_EXTENSION[ext];
  if (!format)
    throw new UserError(
      `${flag} ${path}: expected a file name ending in ${OUTPUT_EXTENSIONS.join(', ')} (the extension picks the format), got '${ext || 'no extension'}'`,
    );
  return format;
}

/** Binary on a terminal garbles it: `-` to a TTY is refused before any work. */
export function checkStdoutOutput(flag: string, path: string, stdoutIsTTY = Boolean(process.stdout.isTTY)): void {
  if (path === '-' && stdoutIsTTY)
    throw new UserError(
      `${flag} -: refusing to write binary Arrow to a terminal; give a file (${flag} predictions.csv, .arrow, .parquet or .jsonl) or pipe the output`,
    );
}

function isVectorColumn(table: Table, name: string): boolean {
  const type = table.getChild(name)!.type;
  return type.typeId === Type.FixedSizeList || type.typeId === Type.List;
}

/** One cell as JSON: NaN and missing as null, vectors as arrays. */
function jsonCell(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value))
    return Array.from(value as unknown as ArrayLike<number>, (v) => (Number.isFinite(v) ? v : null));
  if (typeof value === 'object' && value !== null && 'toArray' in value)
    return jsonCell((value as { toArray(): unknown }).toArray());
  return value;
}

function csvCell(value: unknown, delimiter: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value);
  const text = String(value);
  return text.includes(delimiter) || text.includes('"') || text.includes('\n') || text.includes('\r')
    ? `"${text.replace(/"/g, '""')}"`
    : text;
}

function textLines(table: Table, format: 'csv' | 'tsv' | 'jsonl', path: string): string {
  const names = table.schema.fields.map((f) => f.name);
  const columns = names.map((n) => table.getChild(n)!);
  const lines: string[] = [];
  if (format === 'jsonl') {
    for (let i = 0; i < table.numRows; i++)
      lines.push(JSON.stringify(Object.fromEntries(names.map((n, j) => [n, jsonCell(columns[j].get(i))]))));
    return lines.length ? lines.join('\n') + '\n' : '';
  }
  const vectors = names.filter((n) => isVectorColumn(table, n));
  if (vectors.length)
    throw new UserError(
      `${path}: column${vectors.length > 1 ? 's' : ''} ${vectors.map((n) => `'${n}'`).join(', ')} hold${vectors.length > 1 ? '' : 's'} a vector per row, which ${format.toUpperCase()} cannot: write .arrow, .parquet or .jsonl`,
    );
  const d = format === 'tsv' ? '\t' : ',';
  lines.push(names.map((n) => csvCell(n, d)).join(d));
  for (let i = 0; i < table.numRows; i++) lines.push(columns.map((c) => csvCell(c.get(i), d)).join(d));
  return lines.join('\n') + '\n';
}

/** The bytes of `table` in `format`. */
function tableBytes(table: Table, format: TableFormat, path: string): Uint8Array | string {
  switch (format) {
    case 'arrow':
      return tableToIPC(table, 'file');
    case 'arrow-stream':
      return tableToIPC(table, 'stream');
    case 'parquet':
      return parquetBytes(arrowToParquetColumns(table), { metadata: Object.fromEntries(table.schema.metadata) });
    default:
      return textLines(table, format, path);
  }
}

/** Writes `table` to `path` in the format of its extension (`-`: an Arrow stream on stdout). */
export async function writeTableFile(table: Table, path: string, flag = '-o'): Promise<void> {
  const format = outputFormat(flag, path);
  const bytes = tableBytes(table, format, path);
  if (path === '-') {
    await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (err) => (err ? reject(err) : resolve())));
    return;
  }
  writeFileAtomic(path, bytes);
}
