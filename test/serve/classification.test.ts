import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { sciml } from '../helpers/cli.js';
import { readTable } from '../../src/data/read-table.js';
import { projectRoot } from '../../src/runtime/version.js';
import { postJson, startServer, tempDir, type Server } from './helpers.js';

const dir = tempDir('classification');
const wine = join(projectRoot, 'data', 'classification', 'wine.csv');
let run: string;
let server: Server;

before(async () => {
  run = join(dir, 'run-wine');
  const r = sciml([
    'automl',
    wine,
    '--target',
    'cultivar',
    '--max-trials',
    '2',
    '--workers',
    '1',
    '--time-limit',
    '60',
    '--seed',
    '5',
    '--out',
    run,
  ]);
  if (r.code !== 0) throw new Error(`classification training failed: ${r.stderr}`);
  server = await startServer(run);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a classification run serves labels and class probabilities equal to sciml predict', async () => {
  const out = join(dir, 'predicted.arrow');
  const p = sciml(['predict', '--model', run, '--input', wine, '-o', out]);
  assert.equal(p.code, 0, p.stderr);
  const expected = tableFromIPC(readFileSync(out));
  const probaNames = expected.schema.fields.map((f) => f.name).filter((n) => n.startsWith('proba_'));
  assert.deepEqual(probaNames, ['proba_class_0', 'proba_class_1', 'proba_class_2']);

  const table = await readTable(wine);
  const rows = Array.from({ length: 40 }, (_, i) =>
    Object.fromEntries(table.columns.filter((c) => c.name !== 'cultivar').map((c) => [c.name, c.values[i]])),
  );
  const r = await postJson(`${server.url}/v1/predict`, { rows });
  assert.equal(r.status, 200, await r.clone().text());
  const got = ((await r.json()) as { rows: Record<string, number | string>[] }).rows;
  assert.deepEqual(
    got.map((x) => x.prediction),
    Array.from(expected.getChild('prediction')!.toArray()).slice(0, 40),
  );
  for (const name of probaNames) {
    const want = Array.from(expected.getChild(name)!.toArray() as Float64Array).slice(0, 40);
    assert.deepEqual(
      got.map((x) => x[name]),
      want,
      name,
    );
  }
  for (const x of got)
    assert.ok(Math.abs(probaNames.reduce((s, n) => s + (x[n] as number), 0) - 1) < 1e-9, 'probabilities sum to 1');

  const model = (await (await fetch(`${server.url}/v1/model`)).json()) as {
    details?: { problem_type?: string; classes?: string[] };
  };
  assert.equal(model.details?.problem_type, 'multiclass');
  assert.deepEqual(model.details?.classes, ['class_0', 'class_1', 'class_2']);
});
