/**
 * `npm run bench:serve`: sciml serve against the usual hand-made model service, measured in the
 * same run on the same machine with autocannon.
 *
 * Model: a gradient-boosted tree model on the bike-sharing split of bench:tabular (drop instant,
 * dteday, casual, registered; target cnt; seeded 27% train). sciml: the automl task restricted to
 * its GBM learner (one trial at the library defaults, 2-fold bagging, no log target; the
 * single-learner `tabular` task is not on this branch yet). Peer: scikit-learn's
 * HistGradientBoostingRegressor(random_state=0) in Flask under gunicorn with 2 workers: gthread
 * (4 threads each, keep-alive; the peer of the headline figures) and the default sync workers
 * (Debian python3-flask, python3-sklearn, gunicorn), OMP_NUM_THREADS=1 per worker.
 * Load: single-row JSON requests at concurrency 16 for --seconds (20), then 1,000-row batches at
 * concurrency 4; then a small denoiser (500-sample traces, default architecture, 1 epoch) with
 * single traces at concurrency 16. Servers bind 127.0.0.1 only.
 *
 * Options: --seconds N, --batch-seconds N (10), --seed N (42), --no-peer, --no-denoiser.
 * Prints a table, then one JSON line of figures.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { readTable } from '../../src/data/read-table.js';
import { Random } from '../../src/runtime/random.js';
import type { DataTable } from '../../src/data/table.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const PYTHON = process.env.SCIML_PEER_PYTHON ?? '/usr/bin/python3';
const GUNICORN = process.env.SCIML_PEER_GUNICORN ?? 'gunicorn';
const DROP = ['instant', 'dteday', 'casual', 'registered'];
const TARGET = 'cnt';

function parseArgs(argv: string[]) {
  const opts = { seconds: 20, batchSeconds: 10, seed: 42, peer: true, denoiser: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') opts.seconds = Number(argv[++i]);
    else if (a === '--batch-seconds') opts.batchSeconds = Number(argv[++i]);
    else if (a === '--seed') opts.seed = Number(argv[++i]);
    else if (a === '--no-peer') opts.peer = false;
    else if (a === '--no-denoiser') opts.denoiser = false;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

/** The bench:tabular split: a seeded permutation of the rows, the first 27% train. */
function bikeSplit(rows: number, seed: number): { train: Int32Array; test: Int32Array } {
  const perm = new Random(seed).permutation(rows);
  const nTrain = Math.round(0.27 * rows);
  return {
    train: Int32Array.from(perm.subarray(0, nTrain)).sort(),
    test: Int32Array.from(perm.subarray(nTrain)).sort(),
  };
}

function csvOf(table: DataTable, columns: string[], rows: Int32Array): string {
  const cols = columns.map((n) => table.columns.find((c) => c.name === n)!);
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(cols.map((c) => String(c.values[r])).join(','));
  return lines.join('\n') + '\n';
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
    s.on('error', reject);
  });
}

function sciml(args: string[]): void {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'sciml.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`sciml ${args.join(' ')} failed:\n${r.stderr}`);
}

interface Running {
  url: string;
  proc: ChildProcess;
}

function startSciml(run: string): Promise<Running> {
  const proc = spawn(process.execPath, [join(root, 'bin', 'sciml.js'), 'serve', run, '--port', '0'], {
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) ok({ url: (JSON.parse(out.split('\n')[0]) as { url: string }).url, proc });
    });
    proc.on('exit', (code) => fail(new Error(`sciml serve exited with ${code}`)));
  });
}

/** gthread: 2 workers x 4 threads with keep-alive (the headline peer); sync: gunicorn's default, which closes every connection. */
async function startPeer(job: string, workerClass: 'gthread' | 'sync'): Promise<Running> {
  const port = await freePort();
  const threads = workerClass === 'gthread' ? ['-k', 'gthread', '--threads', '4'] : [];
  const proc = spawn(
    GUNICORN,
    [
      '-w',
      '2',
      ...threads,
      '-b',
      `127.0.0.1:${port}`,
      '--chdir',
      join(root, 'bench', 'serve'),
      '--log-level',
      'warning',
      'peer_app:create_app()',
    ],
    {
      // One OpenMP thread per worker process, the usual setting for multi-process servers: with the
      // default (a thread per core in each worker) libgomp's spinning threads oversubscribe 2 cores and
      // single-row latency swings from 2 ms to seconds.
      env: { ...process.env, SCIML_SERVE_JOB: job, OMP_NUM_THREADS: '1', PATH: `/usr/bin:${process.env.PATH}` },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`gunicorn exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, proc };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('gunicorn did not come up in 60 s');
}

function stop(r: Running | undefined): Promise<void> {
  if (!r || r.proc.exitCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    r.proc.on('exit', () => ok());
    r.proc.kill('SIGTERM');
  });
}

interface Load {
  rps: number;
  rows_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  requests: number;
}

async function load(
  url: string,
  body: string,
  rowsPerRequest: number,
  connections: number,
  seconds: number,
): Promise<Load> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
  // Throughput counts answered requests only (2xx); connection errors, timeouts and non-2xx are errors.
  const ok = r['2xx'];
  const rps = ok / (r.duration || seconds);
  return {
    rps,
    rows_per_s: rps * rowsPerRequest,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    requests: r.requests.total,
  };
}

function peerMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import flask, sklearn, numpy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return `${PYTHON} lacks flask/sklearn (apt-get install python3-flask python3-sklearn)`;
  if (spawnSync(GUNICORN, ['--version']).error) return 'gunicorn not found (apt-get install gunicorn)';
  return undefined;
}

function rmse(pred: number[], truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i] - truth[i]) ** 2;
  return Math.sqrt(s / pred.length);
}

async function holdoutRmse(url: string, rows: Record<string, number>[], truth: Float64Array): Promise<number> {
  const preds: number[] = [];
  for (let i = 0; i < rows.length; i += 2000) {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: rows.slice(i, i + 2000) }),
    });
    if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
    preds.push(...((await r.json()) as { rows: { prediction: number }[] }).rows.map((x) => x.prediction));
  }
  return rmse(preds, truth);
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-serve-'));
  const running: Running[] = [];
  try {
    const data = join(root, 'data', 'bikes', 'hour.csv');
    const table = await readTable(data);
    const { train, test } = bikeSplit(table.numRows, opts.seed);
    const features = table.columns.map((c) => c.name).filter((n) => n !== TARGET && !DROP.includes(n));
    writeFileSync(join(dir, 'train.csv'), csvOf(table, [...features, TARGET], train));
    writeFileSync(join(dir, 'test.csv'), csvOf(table, [...features, TARGET], test));
    process.stderr.write(`split seed ${opts.seed}: ${train.length} train / ${test.length} test rows\n`);

    const config = join(dir, 'gbm.yaml');
    writeFileSync(
      config,
      [
        'task: automl',
        `seed: ${opts.seed}`,
        'data:',
        '  path: train.csv',
        '  test_path: test.csv',
        `  target: ${TARGET}`,
        'features:',
        '  log_target: never',
        'search:',
        '  learners: [gbm]',
        '  max_trials: 1',
        '  folds: 2',
        '  workers: 1',
        '  time_limit_s: 120',
        'ensemble:',
        '  stacking: false',
        '',
      ].join('\n'),
    );
    process.stderr.write('training the sciml GBM (automl, gbm only, 1 trial at defaults, 2-fold bagging)\n');
    sciml(['train', config, '--out', join(dir, 'run-gbm')]);

    const cols = features.map((n) => table.columns.find((c) => c.name === n)!.values as Float64Array);
    const rowAt = (r: number) => Object.fromEntries(features.map((n, j) => [n, cols[j][r]]));
    const testRows = Array.from(test, rowAt);
    const truth = Float64Array.from(
      test,
      (r) => (table.columns.find((c) => c.name === TARGET)!.values as Float64Array)[r],
    );
    const single = JSON.stringify({ rows: [testRows[0]] });
    const batch = JSON.stringify({ rows: testRows.slice(0, 1000) });

    const ours = await startSciml(join(dir, 'run-gbm'));
    running.push(ours);
    const oursRmse = await holdoutRmse(`${ours.url}/v1/predict`, testRows, truth);
    process.stderr.write(
      `sciml serve at ${ours.url}: holdout rmse ${oursRmse.toFixed(2)}; single rows for ${opts.seconds} s\n`,
    );
    await load(`${ours.url}/v1/predict`, single, 1, 16, 2); // warm-up
    const oursSingle = await load(`${ours.url}/v1/predict`, single, 1, 16, opts.seconds);
    const oursBatch = await load(`${ours.url}/v1/predict`, batch, 1000, 4, opts.batchSeconds);
    await stop(ours);

    let peerNote = opts.peer ? peerMissing() : 'skipped (--no-peer)';
    const peers: Record<'gthread' | 'sync', { single: Load; batch: Load; rmse: number } | undefined> = {
      gthread: undefined,
      sync: undefined,
    };
    if (!peerNote) {
      const job = join(dir, 'peer-job.json');
      writeFileSync(job, JSON.stringify({ csv: data, target: TARGET, drop: DROP, train: Array.from(train), features }));
      for (const kind of ['gthread', 'sync'] as const) {
        try {
          const peer = await startPeer(job, kind);
          running.push(peer);
          const peerRmse = await holdoutRmse(`${peer.url}/predict`, testRows, truth);
          process.stderr.write(
            `flask+gunicorn (${kind}) at ${peer.url}: holdout rmse ${peerRmse.toFixed(2)}; single rows for ${opts.seconds} s\n`,
          );
          await load(`${peer.url}/predict`, single, 1, 16, 2);
          const peerSingle = await load(`${peer.url}/predict`, single, 1, 16, opts.seconds);
          const peerBatch = await load(`${peer.url}/predict`, batch, 1000, 4, opts.batchSeconds);
          await stop(peer);
          peers[kind] = { single: peerSingle, batch: peerBatch, rmse: peerRmse };
        } catch (err) {
          peerNote = `peer (${kind}) failed: ${(err as Error).message}`;
        }
      }
    }
    const peerSingle = peers.gthread?.single;
    const peerBatch = peers.gthread?.batch;
    const peerRmse = peers.gthread?.rmse;

    let den: Load | undefined;
    if (opts.denoiser) {
      const dconfig = join(dir, 'denoiser.yaml');
      writeFileSync(
        dconfig,
        [
          'task: denoiser',
          'seed: 1',
          'data:',
          '  train_count: 512',
          '  test_count: 64',
          'training:',
          '  epochs: 1',
          '  checkpoint: false',
          '',
        ].join('\n'),
      );
      process.stderr.write('training a small denoiser (500-sample traces, default architecture, 1 epoch)\n');
      sciml(['train', dconfig, '--out', join(dir, 'run-denoiser')]);
      const d = await startSciml(join(dir, 'run-denoiser'));
      running.push(d);
      const rng = new Random(5);
      const trace = Array.from({ length: 500 }, (_, t) => rng.normal(0, 1) + (Math.abs(t - 250) < 5 ? 6 : 0));
      const body = JSON.stringify({ rows: [{ noisy: trace }] });
      await load(`${d.url}/v1/predict`, body, 1, 16, 2);
      den = await load(`${d.url}/v1/predict`, body, 1, 16, opts.batchSeconds);
      await stop(d);
    }

    const line = (cells: string[], widths: number[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    const header = ['server / load', 'req/s', 'rows/s', 'p50 ms', 'p99 ms', 'errors', 'requests'];
    const rowsOut: [string, Load | undefined][] = [
      ['sciml serve, 1 row, c16', oursSingle],
      ['flask+gunicorn gthread, 1 row, c16', peerSingle],
      ['flask+gunicorn sync, 1 row, c16', peers.sync?.single],
      ['sciml serve, 1000 rows, c4', oursBatch],
      ['flask+gunicorn gthread, 1000 rows, c4', peerBatch],
      ['flask+gunicorn sync, 1000 rows, c4', peers.sync?.batch],
      ['sciml denoiser, 1 trace, c16', den],
    ];
    const cells = rowsOut
      .filter(([, l]) => l)
      .map(([name, l]) => [
        name,
        l!.rps.toFixed(0),
        l!.rows_per_s.toFixed(0),
        String(l!.p50_ms),
        String(l!.p99_ms),
        String(l!.errors),
        String(l!.requests),
      ]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    console.log(
      'sciml model: automl run restricted to GBM (1 trial at defaults, 2-fold bagged; the tabular task is not on this branch)',
    );
    console.log(
      `holdout rmse: sciml ${oursRmse.toFixed(2)}${peerRmse !== undefined ? `, sklearn HistGradientBoosting ${peerRmse.toFixed(2)}` : ''}`,
    );
    console.log(line(header, widths));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const c of cells) console.log(line(c, widths));
    console.log(
      'peer: 2 gunicorn workers, OMP_NUM_THREADS=1; gthread (4 threads each, keep-alive) is the peer of the figures, sync (the default, no keep-alive) is shown too',
    );
    if (peerNote) console.log(`peer: ${peerNote}`);
    const figures: Record<string, unknown> = {
      sciml_model: 'automl-gbm-2fold',
      seconds: opts.seconds,
      sciml_rps: round(oursSingle.rps),
      peer_rps: peerSingle ? round(peerSingle.rps) : null,
      rps_ratio: peerSingle ? round(oursSingle.rps / peerSingle.rps, 2) : null,
      sciml_p50_ms: oursSingle.p50_ms,
      peer_p50_ms: peerSingle?.p50_ms ?? null,
      sciml_p99_ms: oursSingle.p99_ms,
      peer_p99_ms: peerSingle?.p99_ms ?? null,
      sciml_errors: oursSingle.errors + oursBatch.errors,
      peer_errors: peerSingle && peerBatch ? peerSingle.errors + peerBatch.errors : null,
      batch_rows_per_s: round(oursBatch.rows_per_s, 0),
      peer_batch_rows_per_s: peerBatch ? round(peerBatch.rows_per_s, 0) : null,
      peer_sync_rps: peers.sync ? round(peers.sync.single.rps) : null,
      peer_sync_p99_ms: peers.sync?.single.p99_ms ?? null,
      peer_sync_errors: peers.sync ? peers.sync.single.errors + peers.sync.batch.errors : null,
      batch_p99_ms: oursBatch.p99_ms,
      peer_batch_p99_ms: peerBatch?.p99_ms ?? null,
      sciml_rmse: round(oursRmse, 2),
      peer_rmse: peerRmse !== undefined ? round(peerRmse, 2) : null,
      denoiser_traces_per_s: den ? round(den.rps) : null,
      denoiser_p99_ms: den?.p99_ms ?? null,
      denoiser_errors: den?.errors ?? null,
    };
    if (peerNote) figures.peer = peerNote;
    console.log(JSON.stringify(figures));
  } finally {
    await Promise.all(running.map(stop));
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
