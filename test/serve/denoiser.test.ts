import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { sciml } from '../helpers/cli.js';
import { arrowTable, flatFloat32Vectors, float32VectorColumn, readArrowFile } from '../../src/data/arrow.js';
import { postJson, startServer, tempDir, trainDenoiser, type Server } from './helpers.js';

const dir = tempDir('denoiser');
let run: string;
let server: Server;

before(async () => {
  ({ run } = trainDenoiser(dir));
  server = await startServer(run, ['--workers', '1']);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('denoiser: recovered traces, peak sample and amplitude over HTTP (JSON and Arrow) equal sciml predict', async () => {
  const info = (await (await fetch(`${server.url}/v1/model`)).json()) as {
    task: string;
    inputs: { name: string; type: string; length: number }[];
  };
  assert.deepEqual(
    info.inputs.map((f) => [f.name, f.type, f.length]),
    [['noisy', 'trace', 64]],
  );
  // The run's own test traces, in raw units (scaled x 40 + 3): the recovered trace comes back in those units.
  const test = flatFloat32Vectors(readArrowFile(join(run, 'predictions.arrow')), 'noisy');
  const raw = test.data.map((v) => v * 40 + 3);
  const input = join(dir, 'traces.arrow');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(input, tableToIPC(arrowTable({ noisy: float32VectorColumn(raw, 64) }), 'file'));
  const out = join(dir, 'recovered.arrow');
  const p = sciml(['predict', '--model', run, '--input', input, '-o', out]);
  assert.equal(p.code, 0, p.stderr);
  const want = tableFromIPC(readFileSync(out));
  const wantTraces = flatFloat32Vectors(want, 'recovered');
  const wantPeak = Array.from(want.getChild('peak_sample')!.toArray() as Int32Array);
  const wantAmp = Array.from(want.getChild('peak_amplitude')!.toArray() as Float64Array);

  const rows = Array.from({ length: test.rows }, (_, i) => ({ noisy: Array.from(raw.subarray(i * 64, (i + 1) * 64)) }));
  const got = (await (await postJson(`${server.url}/v1/predict`, { rows })).json()) as {
    rows: { recovered: number[]; peak_sample: number; peak_amplitude: number; peak_time_ns: number }[];
  };
  assert.equal(got.rows.length, test.rows);
  got.rows.forEach((r, i) => {
    assert.deepEqual(r.recovered, Array.from(wantTraces.data.subarray(i * 64, (i + 1) * 64)));
    assert.equal(r.peak_sample, wantPeak[i]);
    assert.equal(r.peak_amplitude, wantAmp[i]);
    assert.equal(r.recovered[r.peak_sample], Math.max(...r.recovered));
  });
  // Units: the recovered pulse sits on the raw baseline, not in [0, 1].
  assert.ok(
    got.rows.every((r) => r.peak_amplitude > 3),
    'recovered traces are in the input units',
  );

  const arrow = await fetch(`${server.url}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.apache.arrow.file' },
    body: readFileSync(input),
  });
  assert.equal(arrow.status, 200);
  const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
  assert.deepEqual(Array.from(flatFloat32Vectors(table, 'recovered').data), Array.from(wantTraces.data));
  assert.deepEqual(Array.from(table.getChild('peak_sample')!.toArray() as Int32Array), wantPeak);
});

test('denoiser: a trace of the wrong length, a non-number sample or a missing trace is a 400 naming the row', async () => {
  const good = Array.from({ length: 64 }, (_, t) => Math.sin(t / 5));
  let r = await postJson(`${server.url}/v1/predict`, { rows: [{ noisy: good }, { noisy: good.slice(0, 50) }] });
  assert.equal(r.status, 400);
  assert.deepEqual(((await r.json()) as { errors: unknown[] }).errors, [
    { row: 1, field: 'noisy', message: 'expected a trace of 64 samples, got 50' },
  ]);
  r = await postJson(`${server.url}/v1/predict`, { rows: [{ noisy: [...good.slice(0, 10), 'x', ...good.slice(11)] }] });
  assert.equal(r.status, 400);
  assert.match(
    ((await r.json()) as { detail: string }).detail,
    /row 0, field 'noisy': expected a list of 64 numbers, sample 10 is "x"/,
  );
  r = await postJson(`${server.url}/v1/predict`, { rows: [{ trace: good }] });
  assert.equal(r.status, 400);
  const short = tableToIPC(arrowTable({ noisy: float32VectorColumn(new Float32Array(2 * 32), 32) }), 'stream');
  r = await fetch(`${server.url}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.apache.arrow.stream' },
    body: short,
  });
  assert.equal(r.status, 400);
  assert.match(((await r.json()) as { detail: string }).detail, /field 'noisy': expected traces of 64 samples, got 32/);
});

test('denoiser: /healthz answers while a large batch is being denoised in the worker', async () => {
  const big = {
    columns: {
      noisy: Array.from({ length: 6000 }, (_, i) => Array.from({ length: 64 }, (_, t) => Math.sin((t + i) / 7))),
    },
  };
  const body = JSON.stringify(big);
  const t0 = performance.now();
  let bigDone = 0;
  const pending = postJson(`${server.url}/v1/predict`, body).then(async (r) => {
    bigDone = performance.now() - t0;
    return r.status;
  });
  await new Promise((r) => setTimeout(r, 150));
  const h0 = performance.now();
  const health = await fetch(`${server.url}/healthz`);
  const healthDone = performance.now() - t0;
  assert.equal(health.status, 200);
  assert.equal(await pending, 200);
  assert.ok(
    healthDone < bigDone,
    `/healthz (${(performance.now() - h0).toFixed(0)} ms, done at ${healthDone.toFixed(0)} ms) answered before the big batch (${bigDone.toFixed(0)} ms)`,
  );
});
