import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  arrowTable,
  float32VectorColumn,
  float64Column,
  utf8Column,
  writeArrowTable,
  flatFloat32Vectors,
} from '../../src/data/arrow.js';
import { openParquet, readParquetAsArrow, readParquetColumns, writeParquetFile } from '../../src/data/parquet.js';
import { readTable } from '../../src/data/read-table.js';
import { listShards } from '../../src/data/shards.js';
import { UserError } from '../../src/runtime/errors.js';
import { sciml } from '../helpers/cli.js';
import type { NumericColumn, StringColumn } from '../../src/data/table.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-parquet-'));

test('an Arrow table written as .parquet reads back with the same numbers, text and vectors', async () => {
  const traces = new Float32Array([1, 2, 3, 4, 5, 6]);
  const table = arrowTable({
    x: float64Column([1.5, NaN, -3]),
    name: utf8Column(['a', null, 'c']),
    trace: float32VectorColumn(traces, 2),
  });
  const path = join(dir, 'mixed.parquet');
  await writeArrowTable(table, path);
  const back = await readTable(path, { unsupported: 'skip' });
  assert.equal(back.numRows, 3);
  const x = back.columns.find((c) => c.name === 'x') as NumericColumn;
  assert.deepEqual(Array.from(x.values), [1.5, NaN, -3]);
  assert.deepEqual((back.columns.find((c) => c.name === 'name') as StringColumn).values, ['a', null, 'c']);
  const vectors = flatFloat32Vectors(await readParquetAsArrow(path), 'trace', path);
  assert.deepEqual([vectors.rows, vectors.length], [3, 2]);
  assert.deepEqual(Array.from(vectors.data), Array.from(traces));
});

test('a directory or glob of shards is one table, rows in shard order; row ranges stream by row group', async () => {
  const shards = join(dir, 'shards');
  mkdirSync(shards);
  for (let s = 0; s < 3; s++) {
    writeParquetFile(
      join(shards, `part-${s}.parquet`),
      [{ name: 'v', type: 'DOUBLE', data: [s * 10, s * 10 + 1, s * 10 + 2] }],
      { rowGroupSize: 2 },
    );
  }
  assert.equal(listShards(shards).length, 3);
  const whole = await readTable(shards);
  assert.deepEqual(Array.from((whole.columns[0] as NumericColumn).values), [0, 1, 2, 10, 11, 12, 20, 21, 22]);
  const globbed = await readTable(join(shards, 'part-[12].parquet'));
  assert.equal(globbed.numRows, 6);
  const pf = await openParquet(join(shards, 'part-1.parquet'));
  assert.deepEqual(pf.rowGroups, [
    { start: 0, rows: 2 },
    { start: 2, rows: 1 },
  ]);
  assert.deepEqual(Array.from((await readParquetColumns(pf, ['v'], 1, 3)).v as ArrayLike<number>), [11, 12]);
});

test('nested list<list<double>> columns round-trip', async () => {
  const path = join(dir, 'nested.parquet');
  const rows = [
    [
      [1, 2],
      [3, 4],
    ],
    [[5, 6]],
  ];
  writeParquetFile(path, [{ name: 'GRU_input', type: 'DOUBLE', list: 2, data: rows }]);
  const pf = await openParquet(path);
  const got = (await readParquetColumns(pf, ['GRU_input'])).GRU_input as number[][][];
  assert.deepEqual(
    got.map((r) => r.map((p) => Array.from(p))),
    rows,
  );
});

test('a truncated Parquet file or a missing column is a UserError naming the file (exit 2 from the CLI)', async () => {
  const path = join(dir, 'good.parquet');
  writeParquetFile(path, [
    { name: 'a', type: 'DOUBLE', data: [1, 2, 3] },
    { name: 'b', type: 'DOUBLE', data: [4, 5, 6] },
  ]);
  const bytes = readFileSync(path);
  const cut = join(dir, 'cut.parquet');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 20));
  await assert.rejects(readTable(cut), (e: Error) => e instanceof UserError && e.message.startsWith(cut));
  await assert.rejects(
    readParquetColumns(await openParquet(path), ['c']),
    (e: Error) => e instanceof UserError && /column 'c': missing/.test(e.message),
  );
  const r = sciml(['data', 'inspect', cut]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cut\.parquet/);
});
