import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataTableToArrow, writeArrowTable } from '../../src/data/arrow.js';
import { parseCsv } from '../../src/data/csv.js';
import { readTable } from '../../src/data/read-table.js';
import { requireColumn, requireNumericColumn, type NumericColumn, type StringColumn } from '../../src/data/table.js';
import { UserError } from '../../src/runtime/errors.js';

test('CSV -> DataTable -> Arrow file -> DataTable keeps names, kinds, NaN and nulls', async () => {
  const csv = parseCsv('x,name,y\n1.25,a,\n,,-3\n1e-7,"c, d",4\n', 'in.csv');
  const dir = mkdtempSync(join(tmpdir(), 'sciml-table-'));
  await writeArrowTable(dataTableToArrow(csv), join(dir, 'out.arrow'));
  const back = await readTable(join(dir, 'out.arrow'));
  assert.equal(back.numRows, 3);
  assert.deepEqual(
    back.columns.map((c) => [c.name, c.kind]),
    csv.columns.map((c) => [c.name, c.kind]),
  );
  const same = (a: Float64Array, b: Float64Array) => a.every((v, i) => Object.is(v, b[i]));
  for (const name of ['x', 'y'])
    assert.ok(
      same((requireColumn(back, name) as NumericColumn).values, (requireColumn(csv, name) as NumericColumn).values),
      name,
    );
  assert.deepEqual((requireColumn(back, 'name') as StringColumn).values, ['a', null, 'c, d']);
});

test('requireColumn / requireNumericColumn: UserErrors naming file, column, a close name and an offending value', () => {
  const t = parseCsv('temperature,city\n1,Oslo\n2,Rome\n', 'weather.csv');
  assert.throws(
    () => requireColumn(t, 'temprature'),
    (e: unknown) =>
      e instanceof UserError &&
      e.message ===
        "weather.csv: column 'temprature': missing (did you mean 'temperature'?); columns: temperature, city",
  );
  assert.throws(
    () => requireNumericColumn(t, 'city'),
    /weather\.csv: column 'city': expected numbers, got text \(e\.g\. 'Oslo'\)/,
  );
  assert.equal(requireNumericColumn(t, 'temperature').values[1], 2);
});
