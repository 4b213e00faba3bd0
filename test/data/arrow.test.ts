import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Field,
  Float64,
  List,
  Table,
  Type,
  tableToIPC,
  vectorFromArray,
  DateDay,
  TimestampMillisecond,
  Dictionary,
  Utf8,
  Int32,
  Int64,
} from 'apache-arrow';
import {
  arrowTable,
  boolColumn,
  flatFloat32Vectors,
  float32Column,
  float32VectorColumn,
  float32Vectors,
  float64Column,
  int32Column,
  looksLikeArrow,
  parseArrow,
  readArrowFile,
  utf8Column,
  writeArrowTable,
} from '../../src/data/arrow.js';
import { readTable, tableFromArrow } from '../../src/data/read-table.js';
import { Random } from '../../src/runtime/random.js';
import { UserError } from '../../src/runtime/errors.js';
import type { NumericColumn, StringColumn } from '../../src/data/table.js';

const distSrc = fileURLToPath(new URL('../../src/', import.meta.url));

/** Random float32 bit patterns that are awkward to copy: -0, subnormals, huge, tiny. */
function awkwardFloats(n: number, rng: Random): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * 10 ** rng.int(-40, 38);
  out[0] = -0;
  out[1] = 1.4e-45;
  out[2] = 3.4028234e38;
  return out;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.every((v, i) => v === ub[i]);
}

test('Arrow file round trip of every column kind, traces bit-identical', async () => {
  const rng = new Random(7);
  const n = 40;
  const L = 500;
  const traces = awkwardFloats(n * L, rng);
  const f64 = Float64Array.from({ length: n }, () => rng.normal() * 1e6);
  f64[3] = NaN;
  const f32 = awkwardFloats(n, rng);
  const ints = Int32Array.from({ length: n }, (_, i) => i * 1000 - 7);
  const names = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `trace ${i}, "quoted" ü`));
  const flags = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i % 2 === 0));
  const table = arrowTable({
    id: int32Column(ints),
    snr: float64Column(f64),
    scale: float32Column(f32),
    label: utf8Column(names),
    hit: boolColumn(flags),
    noisy: float32VectorColumn(traces, L),
  });
  const dir = mkdtempSync(join(tmpdir(), 'sciml-arrow-'));
  const file = join(dir, 'traces.arrow');
  await writeArrowTable(table, file);
  assert.deepEqual(readdirSync(dir), ['traces.arrow'], 'no temporary file left behind');

  const back = readArrowFile(file);
  assert.equal(back.numRows, n);
  const typeOf = (name: string) => String(back.schema.fields.find((f) => f.name === name)!.type);
  assert.equal(typeOf('id'), 'Int32');
  assert.equal(typeOf('snr'), 'Float64');
  assert.equal(typeOf('scale'), 'Float32');
  assert.equal(typeOf('label'), 'Utf8');
  assert.equal(typeOf('hit'), 'Bool');
  assert.equal(back.getChild('noisy')!.type.typeId, Type.FixedSizeList);
  assert.match(typeOf('noisy'), /FixedSizeList\[500\]<Float32>/);

  assert.deepEqual(back.getChild('id')!.toArray(), ints);
  const snr = back.getChild('snr')!.toArray() as Float64Array;
  assert.ok(Number.isNaN(snr[3]));
  assert.deepEqual(
    Array.from(snr).filter((_, i) => i !== 3),
    Array.from(f64).filter((_, i) => i !== 3),
  );
  assert.ok(sameBits(back.getChild('scale')!.toArray() as Float32Array, f32));
  assert.deepEqual(back.getChild('label')!.toArray(), names);
  assert.deepEqual(
    [...back.getChild('hit')!].map((v) => v),
    flags,
  );

  const flat = flatFloat32Vectors(back, 'noisy', file);
  assert.equal(flat.rows, n);
  assert.equal(flat.length, L);
  assert.ok(sameBits(flat.data, traces), 'FixedSizeList<Float32>[500] values bit-identical');
  const rows = float32Vectors(back, 'noisy', file);
  assert.equal(rows.length, n);
  assert.ok(sameBits(rows[17], traces.subarray(17 * L, 18 * L)));
});

test('vector columns: an array of Float32Arrays equals the flat form; mismatched lengths throw', () => {
  const rng = new Random(3);
  const rows = Array.from({ length: 5 }, () => awkwardFloats(8, rng));
  const flat = new Float32Array(40);
  rows.forEach((r, i) => flat.set(r, i * 8));
  const a = arrowTable({ v: float32VectorColumn(rows) });
  const b = arrowTable({ v: float32VectorColumn(flat, 8) });
  assert.ok(sameBits(flatFloat32Vectors(a, 'v').data, flatFloat32Vectors(b, 'v').data));
  assert.throws(
    () => float32VectorColumn([new Float32Array(3), new Float32Array(4)]),
    /vector 1 has 4 values, expected 3/,
  );
  assert.throws(() => float32VectorColumn(new Float32Array(10), 3), /do not split/);
  assert.throws(() => arrowTable({ a: int32Column([1, 2]), b: int32Column([1]) }), /differ in length/);
});

test('vectors across several record batches, and from List<double> with equal lengths', () => {
  const part = (start: number) =>
    arrowTable({
      v: float32VectorColumn(
        Float32Array.from({ length: 6 }, (_, i) => start + i),
        3,
      ),
    });
  const joined = new Table([...part(0).batches, ...part(100).batches]);
  assert.equal(joined.batches.length, 2);
  assert.deepEqual([...flatFloat32Vectors(joined, 'v').data], [0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105]);
  assert.deepEqual(
    [...flatFloat32Vectors(joined.slice(1, 3), 'v').data],
    [3, 4, 5, 100, 101, 102],
    'a sliced table starts at its first row',
  );

  const listType = new List(new Field('item', new Float64(), true));
  const lists = new Table({
    v: vectorFromArray(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      listType,
    ),
  });
  const fromList = flatFloat32Vectors(lists, 'v', 'user.arrow');
  assert.equal(fromList.length, 2);
  assert.deepEqual([...fromList.data], [1, 2, 3, 4, 5, 6]);
  const ragged = new Table({ v: vectorFromArray([[1, 2], [3]], listType) });
  assert.throws(
    () => flatFloat32Vectors(ragged, 'v', 'user.arrow'),
    (e: unknown) =>
      e instanceof UserError &&
      /user\.arrow: column 'v': expected every vector to have 2 values, row 1 has 1/.test(e.message),
  );
  assert.throws(
    () => flatFloat32Vectors(lists, 'nope', 'user.arrow'),
    /user\.arrow: column 'nope': missing \(columns: v\)/,
  );
  assert.throws(
    () => flatFloat32Vectors(arrowTable({ x: int32Column([1]) }), 'x', 'u.arrow'),
    /u\.arrow: column 'x': expected a list of floats/,
  );
});

test('IPC stream and file formats: both sniffed and read to the same table', async () => {
  const table = arrowTable({ x: float64Column([1, 2, 3]), s: utf8Column(['a', null, 'c']) });
  const fileBytes = tableToIPC(table, 'file');
  const streamBytes = tableToIPC(table, 'stream');
  assert.equal(looksLikeArrow(fileBytes), 'file');
  assert.equal(looksLikeArrow(streamBytes), 'stream');
  assert.equal(looksLikeArrow(new TextEncoder().encode('a,b\n1,2\n')), undefined);
  for (const bytes of [fileBytes, streamBytes]) {
    const t = parseArrow(bytes, 'mem');
    assert.deepEqual([...t.getChild('x')!.toArray()], [1, 2, 3]);
    assert.deepEqual(t.getChild('s')!.toArray(), ['a', null, 'c']);
  }
  // A stream saved under .arrow is still read.
  const dir = mkdtempSync(join(tmpdir(), 'sciml-arrow-'));
  writeFileSync(join(dir, 'stream.arrow'), streamBytes);
  const dt = await readTable(join(dir, 'stream.arrow'));
  assert.deepEqual([...(dt.columns[0] as NumericColumn).values], [1, 2, 3]);
  writeFileSync(join(dir, 'old.feather'), 'FEA1 and more bytes');
  assert.throws(
    () => readArrowFile(join(dir, 'old.feather')),
    /old\.feather: expected an Arrow IPC file, got a Feather v1 file/,
  );
  writeFileSync(join(dir, 'bad.arrow'), 'not arrow at all');
  assert.throws(
    () => readArrowFile(join(dir, 'bad.arrow')),
    (e: unknown) => e instanceof UserError && /bad\.arrow: expected an Arrow IPC file or stream/.test(e.message),
  );
});

test("'-' writes an IPC stream to stdout and readTable('-') reads Arrow or CSV from stdin", () => {
  const writer = `import { arrowTable, float64Column, utf8Column, writeArrowTable } from '${distSrc}data/arrow.js';
    await writeArrowTable(arrowTable({ x: float64Column([1.5, 2.5]), s: utf8Column(['p', 'q']) }), '-');`;
  const written = spawnSync(process.execPath, ['--input-type=module', '-e', writer]);
  assert.equal(written.status, 0, written.stderr.toString());
  assert.equal(looksLikeArrow(written.stdout), 'stream');

  const reader = `import { readTable } from '${distSrc}data/read-table.js';
    const t = await readTable('-');
    process.stdout.write(JSON.stringify({ source: t.source, rows: t.numRows, cols: t.columns.map((c) => [c.name, c.kind, Array.from(c.values)]) }));`;
  const fromArrow = spawnSync(process.execPath, ['--input-type=module', '-e', reader], { input: written.stdout });
  assert.equal(fromArrow.status, 0, fromArrow.stderr.toString());
  assert.deepEqual(JSON.parse(fromArrow.stdout.toString()), {
    source: '-',
    rows: 2,
    cols: [
      ['x', 'number', [1.5, 2.5]],
      ['s', 'string', ['p', 'q']],
    ],
  });

  const fromCsv = spawnSync(process.execPath, ['--input-type=module', '-e', reader], { input: 'x,s\n1.5,p\n2.5,q\n' });
  assert.equal(fromCsv.status, 0, fromCsv.stderr.toString());
  assert.deepEqual(JSON.parse(fromCsv.stdout.toString()), {
    source: '-',
    rows: 2,
    cols: [
      ['x', 'number', [1.5, 2.5]],
      ['s', 'string', ['p', 'q']],
    ],
  });
});

test('Arrow to DataTable: numbers, booleans, int64, dictionary, dates; vector columns rejected or skipped', () => {
  const table = new Table({
    f: vectorFromArray([1.5, null, 3], new Float64()),
    i: int32Column([1, 2, 3]),
    big: vectorFromArray([1n, -2n, 3n], new Int64()),
    b: boolColumn([true, false, null]),
    cat: vectorFromArray(['x', null, 'x'], new Dictionary(new Utf8(), new Int32())),
    day: vectorFromArray([new Date(Date.UTC(2020, 0, 2)), null, new Date(Date.UTC(1999, 11, 31))], new DateDay()),
    ts: vectorFromArray([new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)), null, new Date(0)], new TimestampMillisecond()),
    trace: float32VectorColumn(new Float32Array(6), 2),
  });
  assert.throws(
    () => tableFromArrow(table, 'in.arrow'),
    (e: unknown) =>
      e instanceof UserError &&
      /in\.arrow: column 'trace': expected numbers, booleans, text or dates, got FixedSizeList/.test(e.message),
  );
  const dt = tableFromArrow(table, 'in.arrow', { unsupported: 'skip' });
  assert.equal(dt.numRows, 3);
  const col = (name: string) => dt.columns.find((c) => c.name === name)!;
  assert.deepEqual(
    dt.columns.map((c) => c.name),
    ['f', 'i', 'big', 'b', 'cat', 'day', 'ts'],
  );
  const f = (col('f') as NumericColumn).values;
  assert.equal(f[0], 1.5);
  assert.ok(Number.isNaN(f[1]));
  assert.deepEqual([...(col('i') as NumericColumn).values], [1, 2, 3]);
  assert.deepEqual([...(col('big') as NumericColumn).values], [1, -2, 3]);
  const b = (col('b') as NumericColumn).values;
  assert.deepEqual([b[0], b[1]], [1, 0]);
  assert.ok(Number.isNaN(b[2]));
  assert.deepEqual((col('cat') as StringColumn).values, ['x', null, 'x']);
  assert.deepEqual((col('day') as StringColumn).values, ['2020-01-02', null, '1999-12-31']);
  assert.deepEqual((col('ts') as StringColumn).values, ['2020-01-02T03:04:05.006Z', null, '1970-01-01T00:00:00.000Z']);
});
