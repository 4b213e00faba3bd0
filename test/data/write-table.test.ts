import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arrowTable, float32VectorColumn, float64Column, utf8Column } from '../../src/data/arrow.js';
import { readTable } from '../../src/data/read-table.js';
import { checkStdoutOutput, outputFormat, writeTableFile } from '../../src/data/write-table.js';
import { leadingColumns } from '../../src/data/predictions.js';
import type { DataTable } from '../../src/data/table.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-write-table-'));
const table = arrowTable({ id: utf8Column(['a', 'b,c', null]), prediction: float64Column([1.5, NaN, -2]) });

test('-o writes the format its extension names, and each reads back to the same table', async () => {
  for (const ext of ['csv', 'tsv', 'arrow', 'parquet']) {
    const path = join(dir, `out.${ext}`);
    await writeTableFile(table, path);
    const back = await readTable(path);
    assert.deepEqual(back.columns.find((c) => c.name === 'id')!.values, ['a', 'b,c', null], ext);
    const p = Array.from(back.columns.find((c) => c.name === 'prediction')!.values as Float64Array);
    assert.deepEqual(
      p.map((v) => (Number.isNaN(v) ? null : v)),
      [1.5, null, -2],
      ext,
    );
  }
  await writeTableFile(table, join(dir, 'out.jsonl'));
  assert.deepEqual(
    readFileSync(join(dir, 'out.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [
      { id: 'a', prediction: 1.5 },
      { id: 'b,c', prediction: null },
      { id: null, prediction: -2 },
    ],
  );
  assert.ok(!readFileSync(join(dir, 'out.csv'), 'utf8').startsWith('ARROW'), 'a .csv holds text, not Arrow bytes');
});

test('vectors go to Arrow, Parquet or JSON lines, not CSV; unknown extensions and binary to a terminal are refused', async () => {
  const traces = arrowTable({ denoised: float32VectorColumn(Float32Array.of(1, 2, 3, 4), 2) });
  await assert.rejects(
    writeTableFile(traces, join(dir, 'traces.csv')),
    /traces\.csv: column 'denoised' holds a vector per row, which CSV cannot/,
  );
  await writeTableFile(traces, join(dir, 'traces.jsonl'));
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'traces.jsonl'), 'utf8').split('\n')[1]), { denoised: [3, 4] });
  assert.throws(() => outputFormat('-o', 'preds.txt'), /-o preds\.txt: expected a file name ending in \.csv/);
  assert.equal(outputFormat('-o', '-'), 'arrow-stream');
  assert.throws(() => checkStdoutOutput('-o', '-', true), /refusing to write binary Arrow to a terminal/);
  checkStdoutOutput('-o', '-', false);
  checkStdoutOutput('-o', 'x.arrow', true);
});

test('--keep passes input columns through beside the row number; a missing or clashing name is refused', () => {
  const input: DataTable = {
    source: 'new.csv',
    numRows: 2,
    columns: [
      { name: 'site', kind: 'string', values: ['x', 'y'] },
      { name: 'id', kind: 'number', values: Float64Array.of(7, 9) },
    ],
  };
  const leading = leadingColumns(input, ['id', 'site'], ['prediction']);
  assert.deepEqual(Object.keys(leading), ['row', 'id', 'site']);
  assert.deepEqual(Array.from(leading.id.toArray() as Float64Array), [7, 9]);
  assert.throws(
    () => leadingColumns(input, ['sit'], []),
    /--keep: column 'sit' is not in new\.csv \(did you mean 'site'\?\)/,
  );
  assert.throws(() => leadingColumns(input, ['site'], ['site']), /--keep: column 'site' would clash/);
});
