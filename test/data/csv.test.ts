import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatCsv, parseCsv, writeCsv } from '../../src/data/csv.js';
import { readTable } from '../../src/data/read-table.js';
import { findColumn, type DataTable, type NumericColumn, type StringColumn } from '../../src/data/table.js';
import { UserError } from '../../src/runtime/errors.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function num(table: DataTable, name: string): Float64Array {
  const c = findColumn(table, name);
  assert.equal(c?.kind, 'number', `${name} should be numeric`);
  return (c as NumericColumn).values;
}

function str(table: DataTable, name: string): (string | null)[] {
  const c = findColumn(table, name);
  assert.equal(c?.kind, 'string', `${name} should be a string column`);
  return (c as StringColumn).values;
}

test('CSV: types inferred, empty cells missing, quoted commas, quotes and newlines kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-csv-'));
  const file = join(dir, 'mixed.csv');
  writeFileSync(
    file,
    '\uFEFFid,x,label,note,maybe\n' +
      '1,1.5,a,"hello, world",NA\n' +
      '2,,b,"say ""hi""",3\n' +
      '3,-2e-3,,"two\nlines",\n' +
      '4, 7 ,"c, d",,nan\n',
  );
  const t = await readTable(file);
  assert.equal(t.source, file);
  assert.equal(t.numRows, 4);
  assert.deepEqual(
    t.columns.map((c) => c.name),
    ['id', 'x', 'label', 'note', 'maybe'],
  );
  assert.deepEqual([...num(t, 'id')], [1, 2, 3, 4]);
  const x = num(t, 'x');
  assert.equal(x[0], 1.5);
  assert.ok(Number.isNaN(x[1]));
  assert.equal(x[2], -0.002);
  assert.equal(x[3], 7);
  assert.deepEqual(str(t, 'label'), ['a', 'b', null, 'c, d']);
  assert.deepEqual(str(t, 'note'), ['hello, world', 'say "hi"', 'two\nlines', null]);
  const maybe = num(t, 'maybe');
  assert.ok(Number.isNaN(maybe[0]) && Number.isNaN(maybe[2]) && Number.isNaN(maybe[3]));
  assert.equal(maybe[1], 3);
});

test('CSV: a column with any non-number is text; NA stays a value there; inf and hex are text', () => {
  const t = parseCsv('a,b,c,d\n1,NA,inf,0x10\n2,x,1,3\n', 'm.csv');
  assert.deepEqual(str(t, 'b'), ['NA', 'x']);
  assert.deepEqual(str(t, 'c'), ['inf', '1']);
  assert.deepEqual(str(t, 'd'), ['0x10', '3']);
  assert.deepEqual([...num(t, 'a')], [1, 2]);
});

test('CSV: formatCsv then parseCsv round-trips numbers, NaN, nulls, commas and quotes', () => {
  const original: DataTable = {
    source: 'mem',
    numRows: 4,
    columns: [
      { name: 'value', kind: 'number', values: Float64Array.from([0.1 + 0.2, NaN, -1e-300, 123456789.125]) },
      { name: 'name, with comma', kind: 'string', values: ['plain', null, 'has "quotes"', 'a,b\nc'] },
    ],
  };
  const back = parseCsv(formatCsv(original), 'round.csv');
  assert.equal(back.numRows, 4);
  assert.deepEqual(
    back.columns.map((c) => c.name),
    ['value', 'name, with comma'],
  );
  const v = num(back, 'value');
  assert.equal(v[0], 0.1 + 0.2);
  assert.ok(Number.isNaN(v[1]));
  assert.equal(v[2], -1e-300);
  assert.equal(v[3], 123456789.125);
  assert.deepEqual(str(back, 'name, with comma'), ['plain', null, 'has "quotes"', 'a,b\nc']);
});

test('CSV: writeCsv writes atomically (no temporary left) and reads back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-csv-'));
  const file = join(dir, 'out.csv');
  await writeCsv(
    { source: 'mem', numRows: 2, columns: [{ name: 'a', kind: 'number', values: Float64Array.from([1, 2]) }] },
    file,
  );
  assert.deepEqual(readdirSync(dir), ['out.csv']);
  assert.deepEqual([...num(await readTable(file), 'a')], [1, 2]);
});

test('CSV: a ragged row is a UserError naming the file and the physical line', () => {
  // The quoted field spans lines 3-4, so the short row is on line 6.
  const text = 'a,b,c\n1,2,3\n"x\ny",5,6\n7,8,9\n10,11\n';
  assert.throws(
    () => parseCsv(text, 'data/ragged.csv'),
    (err: unknown) =>
      err instanceof UserError && /^data\/ragged\.csv:6: expected 3 fields as the header, got 2/.test(err.message),
  );
  assert.throws(() => parseCsv('a,b\n1,2,3\n', 'long.csv'), /long\.csv:2: expected 2 fields as the header, got 3/);
  assert.throws(
    () => parseCsv('a,b\r\n1,x\r\n2\r\n', 'crlf.csv'),
    /crlf\.csv:3: expected 2 fields as the header, got 1/,
  );
});

test('CSV: bad headers and unclosed quotes are UserErrors with a line', () => {
  assert.throws(
    () => parseCsv('a,b,a\n1,2,3\n', 'dup.csv'),
    (e: unknown) =>
      e instanceof UserError && /dup\.csv:1: header: duplicate column name 'a' \(columns 1 and 3\)/.test(e.message),
  );
  const pandas = parseCsv(',a\n0,5\n1,6\n', 'pandas.csv');
  assert.deepEqual(
    pandas.columns.map((c) => c.name),
    ['Unnamed: 0', 'a'],
    'a pandas index column is named as pandas reads it back',
  );
  assert.throws(() => parseCsv('', 'nothing.csv'), /nothing\.csv:1: header: expected a header row/);
  assert.throws(
    () => parseCsv('a,b\n1,"open\n', 'quote.csv'),
    (e: unknown) => e instanceof UserError && /quote\.csv:\d+: a quoted field is never closed/.test(e.message),
  );
});

test('TSV by extension; unknown extension and missing file are UserErrors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-csv-'));
  writeFileSync(join(dir, 't.tsv'), 'a\tb\n1\tx, y\n');
  const t = await readTable(join(dir, 't.tsv'));
  assert.deepEqual(str(t, 'b'), ['x, y']);
  writeFileSync(join(dir, 't.xlsx'), 'whatever');
  await assert.rejects(
    readTable(join(dir, 't.xlsx')),
    (e: unknown) => e instanceof UserError && /expected a table file ending in \.csv/.test(e.message),
  );
  await assert.rejects(readTable(join(dir, 'absent.csv')), /absent\.csv: no such file/);
});

test('the bundled bike-sharing CSV loads with the right types (cnt = casual + registered)', async () => {
  const t = await readTable(join(repoRoot, 'data/bikes/hour.csv'));
  assert.equal(t.numRows, 17379);
  assert.equal(t.columns.length, 17);
  assert.equal(findColumn(t, 'dteday')?.kind, 'string');
  const cnt = num(t, 'cnt');
  const casual = num(t, 'casual');
  const registered = num(t, 'registered');
  for (let i = 0; i < t.numRows; i++) assert.equal(cnt[i], casual[i] + registered[i]);
  assert.ok(num(t, 'temp').every((v) => v >= 0 && v <= 1));
});

test('a CSV that is not UTF-8 (Latin-1 K\\xf6ln) is refused naming its line, not read as K\\ufffdln', () => {
  const latin1 = Buffer.concat([Buffer.from('city,y\nBonn,1\nK'), Buffer.from([0xf6]), Buffer.from('ln,2\n')]);
  assert.throws(
    () => parseCsv(latin1, 'cities.csv'),
    /^UserError: cities\.csv:3: not valid UTF-8 \(byte 0xf6 at byte 2 of the line\)/,
  );
  const utf8 = parseCsv(Buffer.from('\ufeffcity,y\nKöln,2\n'), 'ok.csv');
  assert.deepEqual(utf8.columns[0].values, ['Köln']);
});
