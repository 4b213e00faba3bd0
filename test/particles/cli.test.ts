import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC, Table, vectorFromArray, List, Field, Float64 } from 'apache-arrow';
import { root, sciml, scimlBatch } from '../helpers/cli.js';
import { postJson, startServer, type Server } from '../serve/helpers.js';
import { openEventDataset, readShardEvents } from '../../src/data/particles/reader.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-particles-cli-'));
const run = join(dir, 'run');
let server: Server;

before(() => {
  writeFileSync(
    join(dir, 'tiny.yaml'),
    'task: particles\nseed: 2\ndata:\n  path: events\n  max_particles: 8\n  shuffle_buffer: 64\nmodel:\n  units: 4\n  dense: [6]\nbaseline:\n  dense: [6]\ntraining:\n  epochs: 1\n  batch_size: 32\nevaluation:\n  importance_events: 8\n  importance_steps: 2\n',
  );
  const [events, other, r] = scimlBatch([
    [
      'data',
      'generate',
      'particles',
      '-n',
      '240',
      '--shards',
      '2',
      '--seed',
      '3',
      '--set',
      'max_particles=10',
      '--set',
      'row_group=50',
      '-o',
      join(dir, 'events'),
    ],
    [
      'data',
      'generate',
      'particles',
      '-n',
      '60',
      '--seed',
      '8',
      '--set',
      'layout=nested',
      '--set',
      'max_particles=10',
      '-o',
      join(dir, 'other.parquet'),
    ],
    ['train', join(dir, 'tiny.yaml'), '--out', run, '--json'],
  ]);
  assert.equal(events.code, 0, events.stderr);
  assert.equal(other.code, 0, other.stderr);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.ok(summary.events > 20 && summary.baseline && summary.paired);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('particles: evaluate on other events (--set data.path), predict on a shard, and serve (nested JSON lists, Arrow list columns) agree', async () => {
  const out = join(dir, 'pred.arrow');
  const [ev, p] = scimlBatch([
    [
      'evaluate',
      run,
      '--set',
      `data.path=${join(dir, 'other.parquet')}`,
      '--set',
      'data.test_fraction=0.5',
      '--out',
      join(dir, 'eval'),
      '--json',
    ],
    ['predict', '--model', run, '--input', join(dir, 'other.parquet'), '-o', out],
  ]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.ok(JSON.parse(ev.stdout).events > 10);
  assert.equal(p.code, 0, p.stderr);
  const want = tableFromIPC(readFileSync(out));
  assert.equal(want.numRows, 60);
  const ds = await openEventDataset(join(dir, 'other.parquet'));
  const events = [];
  for await (const e of readShardEvents(ds, ds.shards[0])) events.push(e);
  const rows = events.slice(0, 12).map((e) => ({
    HLF_input: Array.from(e.hlf),
    // padded to 30 rows: padding must not change the answer
    GRU_input: [
      ...Array.from({ length: e.count }, (_, k) => Array.from(e.particles.subarray(k * 19, (k + 1) * 19))),
      ...Array.from({ length: 30 - e.count }, () => new Array(19).fill(0)),
    ],
  }));
  server = await startServer(run, ['--workers', '1']);
  const got = (await (await postJson(`${server.url}/v1/predict`, { rows })).json()) as {
    rows: Record<string, number | string>[];
  };
  got.rows.forEach((r, i) => {
    for (const c of ['p_QCD', 'p_tt', 'p_W+jets'])
      assert.ok(Math.abs((r[c] as number) - (want.getChild(c)!.get(i) as number)) < 1e-6, `row ${i} ${c}`);
    assert.equal(r.predicted, want.getChild('predicted')!.get(i));
  });

  const listOf = (depth: number) =>
    depth === 1
      ? new List(new Field('element', new Float64(), true))
      : new List(new Field('element', new List(new Field('element', new Float64(), true)), true));
  const arrow = new Table({
    HLF_input: vectorFromArray(
      rows.map((r) => r.HLF_input),
      listOf(1),
    ),
    GRU_input: vectorFromArray(
      rows.map((r) => r.GRU_input),
      listOf(2),
    ),
  });
  const res = await fetch(`${server.url}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.apache.arrow.file' },
    body: tableToIPC(arrow, 'file'),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
  for (let i = 0; i < rows.length; i++)
    assert.ok(Math.abs((table.getChild('p_tt')!.get(i) as number) - (want.getChild('p_tt')!.get(i) as number)) < 1e-6);

  const bad = structuredClone(rows.slice(0, 3));
  bad[2].GRU_input[1] = bad[2].GRU_input[1].slice(0, 18);
  const r400 = await postJson(`${server.url}/v1/predict`, { rows: bad });
  assert.equal(r400.status, 400);
  const problem = JSON.stringify(await r400.json());
  assert.match(problem, /"row":2/);
  assert.match(problem, /GRU_input/);
  assert.match(problem, /item 1: expected 19 numbers, got 18/);
});

test('pipelines/particles.yaml, small: events -> HLF classifier, gradient boosting on the HLF, inclusive -> diff', () => {
  const project = join(dir, 'project');
  mkdirSync(join(project, 'configs'), { recursive: true });
  const pipeline = readFileSync(join(root, 'pipelines', 'particles.yaml'), 'utf8')
    .replace(/^wdir: \.\.$/m, '')
    .replace(/events: 12000/, 'events: 200')
    .replace(/shards: 4/, 'shards: 2')
    .replace(/epochs: 4/, 'epochs: 1')
    .replace(/--time-limit \$\{automl_seconds\}/, '--time-limit 60 --max-trials 2');
  writeFileSync(join(project, 'pipeline.yaml'), pipeline);
  writeFileSync(join(project, 'configs', 'particles.yaml'), readFileSync(join(dir, 'tiny.yaml'), 'utf8'));
  const r = sciml(['pipeline', 'run', join(project, 'pipeline.yaml'), '-j', '1']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  for (const stage of ['events', 'hlf', 'gbm', 'inclusive', 'diff'])
    assert.match(r.stdout, new RegExp(`${stage}\\s+ran`));
  const diff = readFileSync(join(project, 'runs', 'particles', 'diff.md'), 'utf8');
  assert.match(diff, /auc_macro/);
});
