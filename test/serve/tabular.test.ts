import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { sciml } from '../helpers/cli.js';
import { readTable } from '../../src/data/read-table.js';
import { syntheticCsv } from '../automl/helpers.js';
import { postJson, startServer, tempDir, type Server } from './helpers.js';

const dir = tempDir('tabular');
const csv = join(dir, 'data.csv');
let run: string;
let server: Server;

before(async () => {
  writeFileSync(csv, syntheticCsv(300, 2));
  const config = join(dir, 'tabular.yaml');
  writeFileSync(
    config,
    [
      'task: tabular',
      'seed: 4',
      'data:',
      `  path: ${csv}`,
      '  target: y',
      'model:',
      '  learner: gbm',
      '  params: {max_iter: 40}',
      '',
    ].join('\n'),
  );
  run = join(dir, 'run-tabular');
  const r = sciml(['train', config, '--out', run]);
  if (r.code !== 0) throw new Error(`tabular training failed: ${r.stderr}`);
  server = await startServer(run);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a tabular run is served: predictions equal sciml predict, /v1/model names the task', async () => {
  const out = join(dir, 'predicted.arrow');
  const p = sciml(['predict', '--model', run, '--input', csv, '-o', out]);
  assert.equal(p.code, 0, p.stderr);
  const expected = Array.from(tableFromIPC(readFileSync(out)).getChild('prediction')!.toArray() as Float64Array);
  const table = await readTable(csv);
  const rows = Array.from({ length: 50 }, (_, i) =>
    Object.fromEntries(table.columns.filter((c) => c.name !== 'y').map((c) => [c.name, c.values[i]])),
  );
  const r = await postJson(`${server.url}/v1/predict`, { rows });
  assert.equal(r.status, 200, await r.clone().text());
  assert.deepEqual(
    ((await r.json()) as { rows: { prediction: number }[] }).rows.map((x) => x.prediction),
    expected.slice(0, 50),
  );
  const model = (await (await fetch(`${server.url}/v1/model`)).json()) as { task: string };
  assert.equal(model.task, 'tabular');
});
