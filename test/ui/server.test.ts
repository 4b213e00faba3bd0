import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildUiApp } from '../../src/ui/http.js';
import { writeStateFile } from '../../src/runtime/state-file.js';
import { parseHistory } from '../../src/ui/curves.js';
import { bin, sciml } from '../helpers/cli.js';
import { appendEpoch, writePipeline, writeRounds, writeRun, writeTune } from './fixtures.js';

const base = mkdtempSync(join(tmpdir(), 'sciml-ui-'));
const runs = join(base, 'runs');
writeRun(join(runs, 'a'), { task: 'knots', mse: 2, tags: { team: 'x' } });
writeRun(join(runs, 'b'), { task: 'knots', mse: 1, width: 16 });
writeRun(join(runs, 'live'), { task: 'denoiser', status: 'running', jsonl: true });
writeTune(join(runs, 'tune-1'));
writeRun(join(runs, 'dist'), { task: 'denoiser', status: 'running', epochs: 1 });
writeRounds(join(runs, 'dist'), 4);
writePipeline(join(runs, 'pipelines'), true);
writeFileSync(join(base, 'secret.txt'), 'outside --dir\n');
mkdirSync(join(base, 'outside-run'));
writeRun(join(base, 'outside-run'), { task: 'knots' });
symlinkSync(join(base, 'secret.txt'), join(runs, 'a', 'link-out.txt'));
symlinkSync(join(base, 'outside-run'), join(runs, 'linked-run'));

const { app } = buildUiApp({ dir: runs, host: '127.0.0.1' });
const secured = buildUiApp({ dir: runs, host: '127.0.0.1', token: 's3cret-token' }).app;
after(async () => {
  await app.close();
  await secured.close();
});

/** A raw HTTP GET: the path goes on the wire exactly as written (no client-side normalising of `..`). */
async function rawGet(
  server: typeof app,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  if (!server.server.listening) await server.listen({ host: '127.0.0.1', port: 0 });
  const port = (server.server.address() as AddressInfo).port;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('the index lists every run, nested tune trials included, with task, kind, status, tags and headline metrics', async () => {
  const { runs: list } = JSON.parse((await rawGet(app, '/api/runs')).body);
  const byPath = Object.fromEntries(list.map((r: any) => [r.path, r]));
  assert.deepEqual(Object.keys(byPath).sort(), [
    'a',
    'b',
    'dist',
    'live',
    'tune-1',
    'tune-1/trials/all/0',
    'tune-1/trials/all/1',
  ]);
  assert.equal(byPath.a.task, 'knots');
  assert.equal(byPath.a.kind, 'train');
  assert.deepEqual(byPath.a.tags, ['team=x']);
  assert.equal(byPath.b.metrics.test_mse, 1);
  assert.equal(byPath.live.status, 'running');
  assert.equal(byPath['tune-1'].kind, 'tune');
  assert.equal(byPath['tune-1/trials/all/0'].kind, 'trial');
  assert.equal(byPath['tune-1/trials/all/0'].status, 'cut', "a trial's state comes from its metrics.json");
  assert.equal(byPath['tune-1/trials/all/1'].parent, 'tune-1');
  assert.ok(!('linked-run' in byPath), 'a symlinked folder is not followed');
});

test('a new run appears on the next listing, and an unchanged listing is a 304', async () => {
  const first = await rawGet(app, '/api/runs');
  const again = await rawGet(app, '/api/runs', { 'if-none-match': String(first.headers.etag) });
  assert.equal(again.status, 304);
  writeRun(join(runs, 'c'), { task: 'knots' });
  await new Promise((r) => setTimeout(r, 350));
  const later = await rawGet(app, '/api/runs', { 'if-none-match': String(first.headers.etag) });
  assert.equal(later.status, 200);
  assert.ok(JSON.parse(later.body).runs.some((r: any) => r.path === 'c'));
});

test('paths outside --dir are 404: .., encoded .., absolute paths, NUL, symlinks out', async () => {
  for (const path of [
    '/files/../secret.txt',
    '/files/..%2fsecret.txt',
    '/files/%2e%2e/secret.txt',
    '/files/%2e%2e%2fsecret.txt',
    '/files/a/..%2f..%2fsecret.txt',
    '/files/%2fetc%2fpasswd',
    '/files//etc/passwd',
    '/files/a/link-out.txt',
    '/files/linked-run/run.json',
    '/files/a/run.json%00.txt',
    '/files/a',
    '/api/run?path=..',
    '/api/run?path=..%2Foutside-run',
    '/api/curves?path=linked-run',
    '/api/diff?runs=a,..%2Foutside-run',
  ]) {
    const r = await rawGet(app, path);
    assert.equal(r.status, 404, `${path}: ${r.status} ${r.body.slice(0, 80)}`);
    assert.ok(!r.body.includes('outside --dir'));
  }
  const ok = await rawGet(app, '/files/a/run.json');
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).status, 'completed');
  assert.match(String(ok.headers['content-security-policy']), /sandbox/);
});

test('read-only, and bound to loopback: other methods are 405, a foreign Host header 403', async () => {
  const post = await app.inject({ method: 'POST', url: '/api/runs', headers: { host: '127.0.0.1' } });
  assert.equal(post.statusCode, 405);
  const rebinding = await rawGet(app, '/api/runs', { host: 'evil.example:8080' });
  assert.equal(rebinding.status, 403);
});

test('with a token: wrong or missing is 401; ?token= sets an HttpOnly cookie and drops the token from the URL; Bearer works', async () => {
  assert.equal((await rawGet(secured, '/api/runs')).status, 401);
  assert.equal((await rawGet(secured, '/')).status, 401);
  assert.equal((await rawGet(secured, '/?token=wrong')).status, 401);
  assert.equal((await rawGet(secured, '/api/runs', { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await rawGet(secured, '/api/runs', { cookie: 'sciml_ui_x=nope' })).status, 401);
  const login = await rawGet(secured, '/?token=s3cret-token');
  assert.equal(login.status, 302);
  assert.equal(login.headers.location, '/');
  const cookie = String(login.headers['set-cookie']);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.ok(!cookie.includes('s3cret-token'), 'the cookie holds a digest, not the token');
  const session = cookie.split(';')[0];
  assert.equal((await rawGet(secured, '/api/runs', { cookie: session })).status, 200);
  assert.equal((await rawGet(secured, '/api/runs', { authorization: 'Bearer s3cret-token' })).status, 200);
});

test('curves: history.jsonl grows as epochs are appended; named lists become series; a torn last line is skipped', async () => {
  const before = JSON.parse((await rawGet(app, '/api/curves?path=live')).body);
  assert.equal(before.source, 'history.jsonl');
  assert.equal(before.series[0].points.length, 3);
  appendEpoch(join(runs, 'live'), 4);
  const after = JSON.parse((await rawGet(app, '/api/curves?path=live')).body);
  assert.equal(after.series[0].points.length, 4);
  assert.equal(after.series[0].points[3].epoch, 4);
  const named = JSON.parse((await rawGet(app, '/api/curves?path=a')).body);
  assert.deepEqual(
    named.series.map((s: any) => s.name),
    ['full'],
  );
  assert.equal(named.series[0].x, 'epoch');
  writeFileSync(
    join(runs, 'b', 'metrics.json'),
    JSON.stringify({
      task: 'knots',
      metrics: { test_mse: 1 },
      history: [
        { epoch: 1, val_loss: 2 },
        { epoch: 2, val_loss: 1 },
      ],
    }),
  );
  rmSync(join(runs, 'b', 'history.json'));
  const fromMetrics = JSON.parse((await rawGet(app, '/api/curves?path=b')).body);
  assert.equal(fromMetrics.source, 'metrics.json', "a run without a history file: metrics.json's history list");
  assert.deepEqual(fromMetrics.series[0].points, [
    { epoch: 1, val_loss: 2 },
    { epoch: 2, val_loss: 1 },
  ]);
  const torn = parseHistory('{"round":1,"loss":2,"workers":{"alive":2}}\n{"round":2,"lo', true);
  assert.deepEqual(torn, [{ name: 'history', x: 'round', points: [{ round: 1, loss: 2, 'workers.alive': 2 }] }]);
});

test('tune view: leaderboard by rung then metric, cut and running states, rung budgets, best so far', async () => {
  const t = JSON.parse((await rawGet(app, '/api/tune?path=tune-1')).body);
  assert.equal(t.metric, 'validation.mse');
  assert.deepEqual(t.budgets, [2, 6]);
  assert.deepEqual(
    t.configs.map((c: any) => [c.config, c.state, c.rung, c.metric]),
    [
      [1, 'running', 1, 4],
      [0, 'cut', 0, 8],
    ],
  );
  assert.deepEqual(
    t.best_so_far[0].points.map((p: any) => p.best),
    [9, 7, 5, 4],
  );
});

test('compare of two runs: the differences diffRuns computes, paths relative to --dir', async () => {
  const d = JSON.parse((await rawGet(app, '/api/diff?runs=a,b')).body);
  assert.equal(d.diffs.length, 1);
  assert.equal(d.diffs[0].a, 'a');
  const mse = d.diffs[0].metrics.find((m: any) => m.metric === 'metrics.test_mse');
  assert.deepEqual([mse.a, mse.b, mse.change], [2, 1, -1]);
  assert.deepEqual(d.diffs[0].params, [{ param: 'model.width', a: 32, b: 16 }]);
  assert.equal((await rawGet(app, '/api/diff?runs=a')).status, 400);
});

test('a distributed training: its rounds become curves (x = epoch), and the rounds view has replicas, losses and worker jobs', async () => {
  const curves = JSON.parse((await rawGet(app, '/api/curves?path=dist')).body);
  const rounds = curves.series.find((s: any) => s.name === 'denoiser (rounds)');
  assert.equal(rounds.points.length, 4);
  assert.equal(rounds.x, 'epoch');
  assert.equal(rounds.points[2].replicas, 1);
  assert.equal(rounds.points[0]['metrics.peak_accuracy'], 0.5);
  const view = JSON.parse((await rawGet(app, '/api/rounds?path=dist')).body).trainings[0];
  assert.deepEqual([view.label, view.rounds, view.replicas, view.lost, view.bytes_moved], ['denoiser', 4, 2, 0, 4e6]);
  assert.equal(view.jobs.length, 7, 'two jobs a round, one in the round that lost a replica');
  assert.deepEqual([...new Set(view.jobs.map((j: any) => j.worker))].sort(), ['host-0', 'host-1']);
});

test('pipelines: a lock and its live status file give stage states, the DAG edges and outs linked to runs', async () => {
  const { pipelines } = JSON.parse((await rawGet(app, '/api/pipelines')).body);
  assert.equal(pipelines.length, 1);
  const p = pipelines[0];
  assert.equal(p.lock, 'pipelines/flow.lock');
  assert.deepEqual(
    p.stages.map((s: any) => [s.name, s.state]),
    [
      ['prepare', 'ran'],
      ['train', 'running'],
    ],
  );
  assert.deepEqual(p.edges, [['prepare', 'train']]);
  assert.deepEqual(p.stages[1].outs, [{ path: 'runs/a', run: 'a' }]);
});

test('sciml ui prints its URL (with ?token= when --token-file is given), serves, and stops on SIGTERM; a missing --dir is exit 2', async () => {
  const tokenFile = join(base, 'token');
  writeFileSync(tokenFile, 'cli-token\n');
  const child = spawn(process.execPath, [bin, 'ui', '--dir', runs, '--port', '0', '--token-file', tokenFile], {
    env: { ...process.env, CI: 'true' },
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) done(out.trim());
    });
    child.on('exit', () => fail(new Error(`sciml ui exited before printing its URL`)));
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=cli-token$/);
  const origin = new URL(url).origin;
  assert.equal((await fetch(`${origin}/api/runs`)).status, 401);
  const listed = await fetch(`${origin}/api/runs`, { headers: { authorization: 'Bearer cli-token' } });
  assert.equal(listed.status, 200);
  assert.ok(((await listed.json()) as { runs: unknown[] }).runs.length >= 3);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  const missing = sciml(['ui', '--dir', join(base, 'no-such-folder'), '--port', '0']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--dir .*no-such-folder: no such folder of runs/);
});

test('the run page data: config, run.json with any URL password redacted, inputs, charts, children', async () => {
  const dir = writeRun(join(runs, 'secretive'), { task: 'knots', chart: true });
  const info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  info.command.push('--executor', 'redis://user:hunter2@head:6379');
  writeFileSync(join(dir, 'run.json'), JSON.stringify(info));
  writeFileSync(join(dir, 'config.yaml'), 'task: knots\nexecution:\n  executor: redis://:hunter2@head:6379\n');
  const page = await rawGet(app, '/api/run?path=secretive');
  assert.equal(page.status, 200);
  assert.ok(!page.body.includes('hunter2'), 'no password in what the page shows');
  const data = JSON.parse(page.body);
  assert.ok(data.run_json.command.includes('redis://***@head:6379'));
  assert.equal(data.config.name, 'config.yaml');
  assert.deepEqual(data.charts, ['predicted-vs-true']);
  assert.equal(data.run_json.inputs[0].sha256, 'a'.repeat(64));
  const tune = JSON.parse((await rawGet(app, '/api/run?path=tune-1')).body);
  assert.deepEqual(
    tune.children.map((c: any) => c.path),
    ['tune-1/trials/all/0', 'tune-1/trials/all/1'],
  );
  assert.equal(tune.config.name, 'tune.yaml');
});

test("a training that has written no history file yet: its curves come from the history in its checkpoint's header", async () => {
  const dir = join(runs, 'training');
  writeRun(dir, { task: 'denoiser', status: 'running' });
  rmSync(join(dir, 'history.json'));
  mkdirSync(join(dir, 'model'), { recursive: true });
  const checkpoint = join(dir, 'model', 'checkpoint.bin');
  writeStateFile(
    checkpoint,
    'sciml-denoiser-checkpoint/1',
    {
      epochsDone: 2,
      history: [
        { epoch: 1, val_loss: 3 },
        { epoch: 2, val_loss: 2 },
      ],
    },
    { params: new Float32Array(1000) },
  );
  const first = JSON.parse((await rawGet(app, '/api/curves?path=training')).body);
  assert.equal(first.source, 'model/checkpoint.bin');
  assert.deepEqual(
    first.series[0].points.map((p: any) => p.val_loss),
    [3, 2],
  );
  writeStateFile(
    checkpoint,
    'sciml-denoiser-checkpoint/1',
    {
      epochsDone: 3,
      history: [
        { epoch: 1, val_loss: 3 },
        { epoch: 2, val_loss: 2 },
        { epoch: 3, val_loss: 1.5 },
      ],
    },
    { params: new Float32Array(1000) },
  );
  const next = JSON.parse((await rawGet(app, '/api/curves?path=training')).body);
  assert.equal(next.series[0].points.length, 3, 'the next epoch shows');
});
