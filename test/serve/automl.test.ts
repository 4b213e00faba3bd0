import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { sciml } from '../helpers/cli.js';
import { readTable } from '../../src/data/read-table.js';
import { dataTableToArrow } from '../../src/data/arrow.js';
import { Random } from '../../src/runtime/random.js';
import { openRequest, parsePrometheus, postJson, startServer, tempDir, trainAutoml, type Server } from './helpers.js';

const dir = tempDir('automl');
let run: string;
let csv: string;
let server: Server;
let guarded: Server;
const TOKEN = 's3cret-token-abc123';

before(async () => {
  ({ run, csv } = trainAutoml(dir));
  writeFileSync(join(dir, 'token'), TOKEN + '\n');
  [server, guarded] = await Promise.all([
    startServer(run),
    startServer(run, [
      '--workers',
      '1',
      '--token-file',
      join(dir, 'token'),
      '--max-body',
      '4k',
      '--cors',
      'https://dash.example',
      '--batch-window-ms',
      '40',
    ]),
  ]);
});
after(async () => {
  await Promise.all([server?.stop(), guarded?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The CSV's rows as JSON objects (numbers parsed), without the target. */
async function jsonRows(count: number): Promise<Record<string, unknown>[]> {
  const table = await readTable(csv);
  return Array.from({ length: count }, (_, i) =>
    Object.fromEntries(
      table.columns.filter((c) => c.name !== 'y').map((c) => [c.name, c.kind === 'number' ? c.values[i] : c.values[i]]),
    ),
  );
}

function arrowColumns(bytes: Uint8Array): Record<string, number[]> {
  const t = tableFromIPC(bytes);
  return Object.fromEntries(
    t.schema.fields.map((f) => [f.name, Array.from(t.getChild(f.name)!.toArray() as Float64Array)]),
  );
}

test('predictions over HTTP (JSON rows, JSON columns, Arrow stream and file) equal sciml predict on the same rows', async () => {
  const out = join(dir, 'predicted.arrow');
  const p = sciml(['predict', '--model', run, '--input', csv, '-o', out]);
  assert.equal(p.code, 0, p.stderr);
  const expected = arrowColumns(readFileSync(out));
  const names = Object.keys(expected).filter((n) => n !== 'row');
  assert.ok(names.includes('prediction') && names.some((n) => n.startsWith('pred_')), names.join(','));

  const rows = await jsonRows(300);
  const r = await postJson(`${server.url}/v1/predict`, { rows });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type')!, /application\/json/);
  const got = (await r.json()) as { rows: Record<string, number>[] };
  assert.equal(got.rows.length, 300);
  for (const name of names)
    assert.deepEqual(
      got.rows.map((row) => row[name]),
      expected[name],
      name,
    );

  const columns = Object.fromEntries(Object.keys(rows[0]).map((k) => [k, rows.slice(0, 20).map((row) => row[k])]));
  const c = (await (await postJson(`${server.url}/v1/predict`, { columns })).json()) as {
    columns: Record<string, number[]>;
  };
  for (const name of names) assert.deepEqual(c.columns[name], expected[name].slice(0, 20), name);

  const table = await readTable(csv);
  for (const [kind, type] of [
    ['stream', 'application/vnd.apache.arrow.stream'],
    ['file', 'application/vnd.apache.arrow.file'],
  ] as const) {
    const a = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: tableToIPC(dataTableToArrow(table), kind),
    });
    assert.equal(a.status, 200);
    assert.equal(a.headers.get('content-type'), type, 'Arrow in, the same Arrow format out');
    const cols = arrowColumns(new Uint8Array(await a.arrayBuffer()));
    for (const name of names) assert.deepEqual(cols[name], expected[name], `${kind}: ${name}`);
  }
  const asJson = await fetch(`${server.url}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.apache.arrow.stream', accept: 'application/json' },
    body: tableToIPC(dataTableToArrow(table), 'stream'),
  });
  assert.match(asJson.headers.get('content-type')!, /application\/json/, 'Accept wins');
  assert.deepEqual(
    ((await asJson.json()) as { rows: Record<string, number>[] }).rows.map((x) => x.prediction),
    expected.prediction,
  );
  const asArrow = await postJson(
    `${server.url}/v1/predict`,
    { rows: rows.slice(0, 5) },
    { accept: 'application/vnd.apache.arrow.file;q=0.9, application/json;q=0.1' },
  );
  assert.equal(asArrow.headers.get('content-type'), 'application/vnd.apache.arrow.file');
  assert.deepEqual(
    arrowColumns(new Uint8Array(await asArrow.arrayBuffer())).prediction,
    expected.prediction.slice(0, 5),
  );
});

async function problem(
  r: Response,
  status: number,
): Promise<{ detail: string; errors?: { row?: number; field?: string; message: string }[] }> {
  assert.equal(r.status, status, await r.clone().text());
  assert.match(r.headers.get('content-type')!, /^application\/problem\+json/);
  const body = (await r.json()) as { status: number; title: string; detail: string };
  assert.equal(body.status, status);
  assert.ok(body.title && body.detail);
  return body as never;
}

test('every 4xx path answers with a problem body naming the row and field', async () => {
  const [row] = await jsonRows(1);
  const url = `${server.url}/v1/predict`;
  const { x1: _x1, ...missing } = row;
  let p = await problem(await postJson(url, { rows: [row, missing] }), 400);
  assert.deepEqual(p.errors, [{ row: 1, field: 'x1', message: 'missing; expected a number (or null)' }]);
  assert.match(p.detail, /row 1, field 'x1': missing/);

  p = await problem(await postJson(url, { rows: [{ ...row, x2: 'high' }] }), 400);
  assert.equal(p.errors![0].field, 'x2');
  assert.match(p.errors![0].message, /expected a number \(or null\), got "high"/);

  p = await problem(await postJson(url, { rows: [row, row, { ...row, city: 'atlantis' }] }), 400);
  assert.deepEqual([p.errors![0].row, p.errors![0].field], [2, 'city']);
  assert.match(p.detail, /unknown category "atlantis"; expected one of "[a-z]+", "[a-z]+", "[a-z]+"/);

  p = await problem(await postJson(url, { rows: [{ ...row, when: 'next tuesday' }] }), 400);
  assert.equal(p.errors![0].field, 'when');

  p = await problem(
    await postJson(url, {
      columns: { ...Object.fromEntries(Object.keys(row).map((k) => [k, [row[k], row[k]]])), x3: [1] },
    }),
    400,
  );
  assert.match(p.detail, /field 'x3': expected 2 values/);

  await problem(await postJson(url, '{"rows": [{"x1": 1,'), 400);
  await problem(await postJson(url, '[1, 2, 3]'), 400);
  await problem(await postJson(url, { rows: [] }), 400);
  await problem(await postJson(url, ''), 400);
  await problem(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.apache.arrow.stream' },
      body: new Uint8Array([255, 255, 255, 255, 1, 2, 3, 4, 5, 6]),
    }),
    400,
  );
  await problem(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.apache.arrow.file' },
      body: 'not arrow at all',
    }),
    400,
  );
  p = await problem(
    await fetch(url, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' }),
    415,
  );
  assert.match(p.detail, /text\/csv/);
  await problem(
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }),
    415,
  );
  await problem(await postJson(url, { rows: [row] }, { accept: 'text/html' }), 406);
  await problem(await postJson(`${url}?explain=integrated_gradients`, { rows: [row] }), 400);
  await problem(await fetch(url), 405);
  await problem(await fetch(`${server.url}/v2/nothing`), 404);

  // Oversize: the guarded server has --max-body 4k.
  const big = { rows: Array.from({ length: 100 }, () => row) };
  p = await problem(await postJson(`${guarded.url}/v1/predict`, big, { authorization: `Bearer ${TOKEN}` }), 413);
  assert.match(p.detail, /4096 bytes/);
  // Announced with `Expect: 100-continue`: the 413 comes before any `100 Continue`, the body is never sent.
  const announced = openRequest(`${guarded.url}/v1/predict`, {
    'content-type': 'application/json',
    'content-length': 100_000,
    expect: '100-continue',
    authorization: `Bearer ${TOKEN}`,
  });
  const refused = await announced.response;
  assert.equal(refused.status, 413);
  assert.equal(announced.continued(), false, 'no 100 Continue for an oversize body');
  assert.match((JSON.parse(refused.body) as { detail: string }).detail, /4096 bytes/);
  // Under the limit, the client is told to continue and gets its answer.
  const small = JSON.stringify({ rows: [row] });
  const fits = openRequest(`${guarded.url}/v1/predict`, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(small),
    expect: '100-continue',
    authorization: `Bearer ${TOKEN}`,
  });
  fits.req.on('continue', () => fits.req.end(small));
  assert.equal((await fits.response).status, 200);
  assert.equal(fits.continued(), true);
});

test('--token-file: 401 without or with a wrong token, 200 with it; probes stay open; the token is never logged', async () => {
  const [row] = await jsonRows(1);
  const url = `${guarded.url}/v1/predict`;
  let r = await postJson(url, { rows: [row] });
  await problem(r, 401);
  assert.equal(r.headers.get('www-authenticate'), 'Bearer');
  await problem(await postJson(url, { rows: [row] }, { authorization: 'Bearer wrong' }), 401);
  await problem(await postJson(url, { rows: [row] }, { authorization: `Bearer ${TOKEN}x` }), 401);
  await problem(await postJson(url, { rows: [row] }, { authorization: TOKEN }), 401);
  await problem(await fetch(`${guarded.url}/metrics`), 401);
  await problem(await fetch(`${guarded.url}/v1/model`), 401);
  r = await postJson(url, { rows: [row] }, { authorization: `Bearer ${TOKEN}` });
  assert.equal(r.status, 200);
  assert.equal((await fetch(`${guarded.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${guarded.url}/readyz`)).status, 200);
  assert.ok(!guarded.stderr().includes(TOKEN), 'the token is not in the log');
});

test('CORS only with --cors: the given origin is allowed, none otherwise', async () => {
  const preflight = await fetch(`${guarded.url}/v1/predict`, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://dash.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    },
  });
  assert.ok(preflight.status < 300, String(preflight.status));
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://dash.example');
  const plain = await fetch(`${server.url}/healthz`, { headers: { origin: 'https://dash.example' } });
  assert.equal(plain.headers.get('access-control-allow-origin'), null);
});

test('concurrent requests are micro-batched into fewer model calls, each answered with its own rows', async () => {
  const rows = await jsonRows(24);
  const before = parsePrometheus(
    await (await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text(),
  );
  const single = await Promise.all(
    rows.map((row) =>
      postJson(`${guarded.url}/v1/predict`, { rows: [row] }, { authorization: `Bearer ${TOKEN}` }).then(
        (r) => r.json() as Promise<{ rows: { prediction: number }[] }>,
      ),
    ),
  );
  const together = (await (
    await postJson(`${guarded.url}/v1/predict`, { rows }, { authorization: `Bearer ${TOKEN}` })
  ).json()) as { rows: { prediction: number }[] };
  assert.deepEqual(
    single.map((s) => s.rows[0].prediction),
    together.rows.map((r) => r.prediction),
    'each request gets its own rows back',
  );
  const after = parsePrometheus(
    await (await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text(),
  );
  const calls = after.get('sciml_batch_rows_count')! - (before.get('sciml_batch_rows_count') ?? 0);
  assert.ok(calls < 12, `24 concurrent requests and one batch took ${calls} model calls`);
});

/** Random bodies: arbitrary JSON, valid requests with one cell or key mangled, random and truncated bytes. */
function fuzzBodies(
  rng: Random,
  row: Record<string, unknown>,
  arrow: Uint8Array,
): { type: string; body: string | Uint8Array }[] {
  const atoms: unknown[] = [
    null,
    true,
    false,
    0,
    -1,
    1e308,
    -1e-308,
    3.5,
    '',
    'x',
    'NaN',
    '2023-01-01',
    [],
    {},
    [1, 2],
    { rows: null },
    '\u0000',
    '__proto__',
  ];
  const randomValue = (depth: number): unknown => {
    const k = rng.int(0, depth > 2 ? 2 : 4);
    if (k === 0) return atoms[rng.int(0, atoms.length)];
    if (k === 1) return rng.normal(0, 1e3);
    if (k === 2) return Array.from({ length: rng.int(0, 4) }, () => randomValue(depth + 1));
    return Object.fromEntries(
      Array.from({ length: rng.int(0, 4) }, () => [
        ['rows', 'columns', 'x1', 'city', 'when', '__proto__', 'constructor'][rng.int(0, 7)],
        randomValue(depth + 1),
      ]),
    );
  };
  const out: { type: string; body: string | Uint8Array }[] = [];
  const keys = Object.keys(row);
  for (let i = 0; i < 300; i++) {
    const kind = i % 6;
    if (kind === 0) out.push({ type: 'application/json', body: JSON.stringify(randomValue(0)) });
    else if (kind === 1)
      out.push({
        type: 'application/json',
        body: JSON.stringify({ rows: [{ ...row, [keys[rng.int(0, keys.length)]]: randomValue(1) }] }),
      });
    else if (kind === 2)
      out.push({
        type: 'application/json',
        body: JSON.stringify({
          columns: Object.fromEntries(keys.map((k) => [k, rng.uniform(0, 1) < 0.2 ? randomValue(1) : [row[k]]])),
        }),
      });
    else if (kind === 3) {
      const text = JSON.stringify({ rows: [row, row] });
      out.push({
        type: 'application/json',
        body:
          text.slice(0, rng.int(0, text.length)) +
          (rng.uniform(0, 1) < 0.5 ? String.fromCharCode(rng.int(0, 128)) : ''),
      });
    } else if (kind === 4) {
      const bytes = arrow.slice();
      for (let k = 0; k < 1 + rng.int(0, 8); k++) bytes[rng.int(0, bytes.length)] = rng.int(0, 256);
      out.push({
        type: 'application/vnd.apache.arrow.stream',
        body: rng.uniform(0, 1) < 0.3 ? bytes.slice(0, rng.int(0, bytes.length)) : bytes,
      });
    } else
      out.push({
        type: ['application/vnd.apache.arrow.file', 'application/json', 'application/octet-stream'][rng.int(0, 3)],
        body: Uint8Array.from({ length: rng.int(0, 200) }, () => rng.int(0, 256)),
      });
  }
  return out;
}

test('fuzz: a few hundred random bodies give only 2xx or 4xx, and the server still answers /healthz', async () => {
  const [row] = await jsonRows(1);
  const table = await readTable(csv);
  const small = {
    ...table,
    numRows: 3,
    columns: table.columns.map((c) => ({ ...c, values: c.values.slice(0, 3) })),
  } as typeof table;
  const arrow = tableToIPC(dataTableToArrow(small), 'stream');
  const rng = new Random(2024);
  const statuses = new Map<number, number>();
  const bodies = fuzzBodies(rng, row, arrow);
  for (let i = 0; i < bodies.length; i += 10) {
    const results = await Promise.all(
      bodies
        .slice(i, i + 10)
        .map((b) =>
          fetch(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': b.type }, body: b.body }),
        ),
    );
    for (const [k, r] of results.entries()) {
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const text = await r.text();
      assert.ok(r.status < 500, `body ${i + k} (${bodies[i + k].type}) got ${r.status}: ${text}`);
      if (r.status >= 400) assert.equal((JSON.parse(text) as { status: number }).status, r.status);
    }
  }
  assert.ok((statuses.get(400) ?? 0) > 100, `mostly rejected: ${JSON.stringify([...statuses])}`);
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(server.proc.exitCode, null, 'the server is still running');
});

test('/metrics parses as Prometheus text and counts requests, statuses, rows and batches', async () => {
  const rows = await jsonRows(7);
  assert.equal((await postJson(`${server.url}/v1/predict`, { rows })).status, 200);
  await postJson(`${server.url}/v1/predict`, '{');
  const r = await fetch(`${server.url}/metrics`);
  assert.match(r.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  const m = parsePrometheus(await r.text());
  assert.ok(m.get('sciml_http_requests_total{route="/v1/predict",method="POST",status="200"}')! >= 2);
  assert.ok(m.get('sciml_http_requests_total{route="/v1/predict",method="POST",status="400"}')! >= 1);
  assert.ok(m.get('sciml_rows_predicted_total')! >= 7);
  assert.equal(m.get('sciml_ready'), 1);
  const count = m.get('sciml_http_request_duration_seconds_count{route="/v1/predict"}')!;
  assert.equal(m.get('sciml_http_request_duration_seconds_bucket{route="/v1/predict",le="+Inf"}'), count);
  assert.ok(m.get('sciml_http_request_duration_seconds_bucket{route="/v1/predict",le="0.5"}')! <= count);
  assert.ok(m.get('sciml_batch_rows_bucket{le="8"}')! >= 1, 'the 7-row batch is counted');
});

test('GET /v1/model describes the inputs, outputs, training metrics and run', async () => {
  const info = (await (await fetch(`${server.url}/v1/model`)).json()) as Record<string, any>;
  assert.equal(info.task, 'automl');
  assert.equal(info.run_id, 'run-automl');
  assert.equal(typeof info.sciml_version, 'string');
  const byName: Record<string, any> = Object.fromEntries((info.inputs as { name: string }[]).map((f) => [f.name, f]));
  assert.deepEqual(Object.keys(byName).sort(), ['city', 'when', 'x1', 'x2', 'x3']);
  assert.equal(byName.city.type, 'category');
  assert.deepEqual([...byName.city.categories].sort(), ['east', 'north', 'south']);
  assert.equal(byName.when.type, 'datetime');
  assert.equal(byName.x1.type, 'number');
  assert.equal(info.outputs[0].name, 'prediction');
  assert.equal(typeof info.training.metrics.rmse, 'number');
  // The access log is JSON lines without bodies.
  const lines = server
    .stderr()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const access = lines.filter((l) => l.method);
  assert.ok(access.length > 100);
  assert.ok(access.every((l) => typeof l.status === 'number' && typeof l.ms === 'number' && !('body' in l)));
  assert.ok(!server.stderr().includes('atlantis'), 'request bodies are not logged');
});

test('SIGTERM finishes in-flight requests (a slow upload too) while /readyz answers 503, then the server exits 0', async () => {
  const slow = await startServer(run, ['--workers', '1', '--batch-window-ms', '1500']);
  const [row] = await jsonRows(1);
  // An upload still under way when the signal comes holds the drain open.
  const body = JSON.stringify({ rows: [row] });
  const upload = openRequest(`${slow.url}/v1/predict`, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  upload.req.write(body.slice(0, -1));
  const pending = postJson(`${slow.url}/v1/predict`, { rows: [row] });
  await new Promise((r) => setTimeout(r, 300));
  const code = slow.stop('SIGTERM');
  const response = await pending;
  assert.equal(response.status, 200);
  assert.equal(((await response.json()) as { rows: unknown[] }).rows.length, 1);
  while (!slow.stderr().includes('"event":"draining"')) await new Promise((r) => setTimeout(r, 20));
  // Draining: the port is still open; probes say 503, new predictions are refused with a retry hint.
  const ready = await fetch(`${slow.url}/readyz`);
  assert.equal(ready.status, 503);
  assert.deepEqual(await ready.json(), { status: 'draining' });
  const late = await postJson(`${slow.url}/v1/predict`, { rows: [row] });
  assert.equal(late.status, 503);
  assert.equal(late.headers.get('retry-after'), '1');
  upload.req.end(body.slice(-1));
  const finished = await upload.response;
  assert.equal(finished.status, 200, finished.body);
  assert.equal((JSON.parse(finished.body) as { rows: unknown[] }).rows.length, 1);
  assert.equal(await code, 0);
  assert.match(slow.stderr(), /"event":"draining".*\n(.*\n)*.*"event":"stopped"/);
});

test('--timeout: a request past the limit gets a 503 problem (not a hang), and the server keeps serving', async () => {
  const strict = await startServer(run, ['--workers', '1', '--batch-window-ms', '400', '--timeout', '50']);
  try {
    const [row] = await jsonRows(1);
    const r = await postJson(`${strict.url}/v1/predict`, { rows: [row] });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.match(((await r.json()) as { detail: string }).detail, /longer than the server's limit of 50 ms/);
    assert.equal((await fetch(`${strict.url}/healthz`)).status, 200);
  } finally {
    assert.equal(await strict.stop(), 0);
  }
});
