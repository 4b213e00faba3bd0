import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { sciml } from '../helpers/cli.js';
import { readTable } from '../../src/data/read-table.js';
import { postJson, startServer, tempDir, trainKnots, type Server } from './helpers.js';

const dir = tempDir('knots');
let run: string;
let data: string;
let server: Server;

before(async () => {
  ({ run, data } = trainKnots(dir));
  server = await startServer(run, ['--workers', '1']);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function arrowColumns(path: string): Record<string, number[]> {
  const t = tableFromIPC(readFileSync(path));
  return Object.fromEntries(
    t.schema.fields.map((f) => [f.name, Array.from(t.getChild(f.name)!.toArray() as Float64Array, Number)]),
  );
}

async function rowsOf(count: number, features: string[]): Promise<Record<string, number>[]> {
  const table = await readTable(data);
  return Array.from({ length: count }, (_, i) =>
    Object.fromEntries(features.map((f) => [f, (table.columns.find((c) => c.name === f)!.values as Float64Array)[i]])),
  );
}

test('knots: the signature and integrated-gradients attributions over HTTP equal sciml predict', async () => {
  const info = (await (await fetch(`${server.url}/v1/model`)).json()) as {
    task: string;
    inputs: { name: string; type: string; nullable: boolean }[];
    options: { name: string; values: string[] }[];
  };
  assert.equal(info.task, 'knots');
  assert.equal(info.inputs.length, 17);
  assert.ok(info.inputs.every((f) => f.type === 'number' && !f.nullable));
  assert.deepEqual(
    info.options.map((o) => [o.name, o.values]),
    [['explain', ['integrated_gradients']]],
  );
  const features = info.inputs.map((f) => f.name);

  const plain = join(dir, 'plain.arrow');
  const explained = join(dir, 'explained.arrow');
  assert.equal(sciml(['predict', '--model', run, '--input', data, '-o', plain]).code, 0);
  const e = sciml([
    'predict',
    '--model',
    join(run, 'model'),
    '--input',
    data,
    '-o',
    explained,
    '--explain',
    'integrated_gradients',
  ]);
  assert.equal(e.code, 0, e.stderr);
  const want = arrowColumns(plain);
  const wantIg = arrowColumns(explained);

  const rows = await rowsOf(40, features);
  const got = (await (await postJson(`${server.url}/v1/predict`, { rows })).json()) as {
    rows: Record<string, number>[];
  };
  assert.deepEqual(
    got.rows.map((r) => r.signature),
    want.signature.slice(0, 40),
  );
  assert.deepEqual(
    got.rows.map((r) => r.signature_even),
    want.signature_even.slice(0, 40),
  );
  assert.ok(!('ig_volume' in got.rows[0]), 'attributions only on request');

  const ig = (await (await postJson(`${server.url}/v1/predict?explain=integrated_gradients`, { rows })).json()) as {
    rows: Record<string, number>[];
  };
  for (const f of features) {
    const column = `ig_${f}`;
    for (let i = 0; i < 40; i++)
      assert.ok(
        Math.abs(ig.rows[i][column] - wantIg[column][i]) <= 1e-6 * Math.max(1, Math.abs(wantIg[column][i])),
        `${column} row ${i}: ${ig.rows[i][column]} vs ${wantIg[column][i]}`,
      );
  }
  // Completeness: the attributions add up to F(x) - F(baseline), up to the reported gap.
  for (const r of ig.rows) {
    const sum = features.reduce((s, f) => s + r[`ig_${f}`], 0);
    assert.ok(
      Math.abs(sum - r.ig_delta - r.ig_gap) < 1e-3 * Math.max(1, Math.abs(r.ig_delta)),
      `sum ${sum}, delta ${r.ig_delta}, gap ${r.ig_gap}`,
    );
  }
  const meanGap = ig.rows.reduce((s, r) => s + Math.abs(r.ig_gap), 0) / ig.rows.length;
  const meanDelta = ig.rows.reduce((s, r) => s + Math.abs(r.ig_delta), 0) / ig.rows.length;
  assert.ok(
    meanGap < 0.1 * meanDelta,
    `the quadrature gap is small next to F(x) - F(baseline): ${meanGap} vs ${meanDelta}`,
  );
});

test('knots: null, text or a missing invariant is a 400 naming the row and field; unknown explain values too', async () => {
  const info = (await (await fetch(`${server.url}/v1/model`)).json()) as { inputs: { name: string }[] };
  const [row] = await rowsOf(
    1,
    info.inputs.map((f) => f.name),
  );
  let r = await postJson(`${server.url}/v1/predict`, { rows: [row, { ...row, volume: null }] });
  assert.equal(r.status, 400);
  assert.deepEqual(((await r.json()) as { errors: unknown[] }).errors, [
    { row: 1, field: 'volume', message: 'expected a number, got null' },
  ]);
  r = await postJson(`${server.url}/v1/predict`, {
    columns: Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k === 'cusp_volume' ? ['7'] : [v]])),
  });
  assert.equal(r.status, 400);
  assert.match(
    ((await r.json()) as { detail: string }).detail,
    /row 0, field 'cusp_volume': expected a number, got "7"/,
  );
  r = await postJson(`${server.url}/v1/predict?explain=shap`, { rows: [row] });
  assert.equal(r.status, 400);
  assert.match(((await r.json()) as { detail: string }).detail, /explain.*integrated_gradients.*"shap"/);
});
