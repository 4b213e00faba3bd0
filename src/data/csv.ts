/**
 * CSV (and TSV) to DataTable and back. Header row required; column types inferred (columns.ts);
 * every malformed input is a UserError naming the file and line.
 */
import { parse } from 'csv-parse/sync';
import { CsvError } from 'csv-parse';
import { locatedError } from '../runtime/errors.js';
import { writeFileAtomic } from '../runtime/atomic.js';
import { cellText, inferColumn } from './columns.js';
import type { DataTable } from './table.js';

export interface CsvOptions {
  /** Field separator; ',' by default ('\t' for .tsv). */
  delimiter?: string;
}

/** Parses CSV text; `source` names the input in errors ('-' for stdin). */
export function parseCsv(input: string | Uint8Array, source: string, options: CsvOptions = {}): DataTable {
  let records: string[][];
  const text = typeof input === 'string' ? input : decodeUtf8(input, source);
  try {
    records = parse(text, {
      bom: true,
      delimiter: options.delimiter ?? ',',
      skip_empty_lines: true,
    }) as string[][];
  } catch (err) {
    throw csvUserError(err, source);
  }
  if (records.length === 0)
    throw locatedError(source, 1, 'header', 'expected a header row of column names, got an empty file');
  const header = records[0];
  checkHeader(header, source);
  const numRows = records.length - 1;
  const columns = header.map((name, j) => {
    const cells = new Array<string>(numRows);
    for (let i = 0; i < numRows; i++) cells[i] = records[i + 1][j];
    return inferColumn(name, cells);
  });
  return { source, numRows, columns };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The bytes as UTF-8 text; anything else (a Latin-1 `K\xf6ln`) is a UserError naming the line, not
 * text with U+FFFD in it.
 */
function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const hex = `0x${bytes[at].toString(16).padStart(2, '0')}`;
    throw locatedError(
      source,
      line,
      undefined,
      `not valid UTF-8 (byte ${hex} at byte ${at - lineStart + 1} of the line); expected UTF-8 text: convert the file, e.g. iconv -f latin1 -t utf-8 ${source} > ${source.replace(/(\.[^./]*)?$/, '-utf8$1')}`,
    );
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    // Overlong three-byte forms, UTF-16 surrogates and code points past U+10FFFF.
    if (
      (c === 0xe0 && b[i + 1] < 0xa0) ||
      (c === 0xed && b[i + 1] > 0x9f) ||
      (c === 0xf0 && b[i + 1] < 0x90) ||
      (c === 0xf4 && b[i + 1] > 0x8f)
    )
      return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}

function checkHeader(header: string[], source: string): void {
  const seen = new Map<string, number>();
  header.forEach((raw, j) => {
    // pandas writes its index as a first column with an empty name; name it as pandas reads it back.
    const name = raw.trim() || `Unnamed: ${j}`;
    const first = seen.get(name);
    if (first !== undefined)
      throw locatedError(
        source,
        1,
        'header',
        `duplicate column name '${name}' (columns ${first + 1} and ${j + 1}); expected unique names`,
      );
    seen.set(name, j);
    header[j] = name;
  });
}

function csvUserError(err: unknown, source: string): Error {
  if (!(err instanceof CsvError)) return err as Error;
  const e = err as CsvError & { lines?: number; record?: string[] };
  const line = e.lines;
  switch (e.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const expected = /expect (\d+)/.exec(e.message)?.[1];
      return locatedError(
        source,
        line,
        undefined,
        `expected ${expected ?? 'as many'} fields as the header, got ${e.record?.length ?? 'a different number'} (a ragged row)`,
      );
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return locatedError(source, line, undefined, 'a quoted field is never closed (expected a closing ")');
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return locatedError(
        source,
        line,
        undefined,
        'unexpected characters after a closing quote (expected a delimiter or end of line)',
      );
    default:
      return locatedError(source, line, undefined, `not valid CSV: ${e.message}`);
  }
}

function quoteCell(text: string, delimiter: string): string {
  return text.includes(delimiter) || text.includes('"') || text.includes('\n') || text.includes('\r')
    ? `"${text.replace(/"/g, '""')}"`
    : text;
}

/** Formats a DataTable as CSV text (missing cells empty, numbers in shortest round-trip form). */
export function formatCsv(table: DataTable, options: CsvOptions = {}): string {
  const d = options.delimiter ?? ',';
  const lines = [table.columns.map((c) => quoteCell(c.name, d)).join(d)];
  for (let i = 0; i < table.numRows; i++) lines.push(table.columns.map((c) => quoteCell(cellText(c, i), d)).join(d));
  return lines.join('\n') + '\n';
}

/** Writes a DataTable as CSV atomically, or to stdout with '-'. */
export async function writeCsv(table: DataTable, path: string, options: CsvOptions = {}): Promise<void> {
  const text = formatCsv(table, options);
  if (path === '-') {
    await new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
    return;
  }
  writeFileAtomic(path, text);
}
