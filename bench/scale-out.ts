/**
 * `npm run bench:scale-out`: `sciml automl` on the bike data (data/bikes/hour.csv; target cnt,
 * casual and registered dropped, 27% train) with --max-trials 40 and a fixed seed, four ways in
 * one invocation: the local executor with 1 and 2 threads, and the Redis executor with 1 and 2
 * `sciml worker` processes (concurrency 1 each) on a loopback redis-server started here.
 *
 * Times are the run's search phase (run.json phases_s.search: the trials; reading, ensembles and
 * the report are the same for all four). Per-trial overhead, from trials.jsonl: the mean of the
 * driver's wall time per trial minus the time the job ran on its worker (run_s), i.e. the queue
 * round trip, the input fetch and the result transfer, for the 1-worker Redis run (and the same
 * for a local thread beside it); also measured with 100 empty probe jobs carrying the
 * prepared-table-sized input.
 *
 * Options: --max-trials N (default 40), --seed N (default 42), --data PATH.
 * Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { startRedis, startWorkerProcess, type WorkerProcess } from '../src/execution/redis-server.js';
import { LocalExecutor } from '../src/execution/local.js';
import { jobs } from '../src/registry.js';
import { RedisExecutor } from '../src/execution/redis.js';
import type { Executor } from '../src/execution/job.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

interface Options {
  maxTrials: number;
  seed: number;
  data: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { maxTrials: 40, seed: 42, data: join(root, 'data', 'bikes', 'hour.csv') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--max-trials') opts.maxTrials = Number(argv[++i]);
    else if (a === '--seed') opts.seed = Number(argv[++i]);
    else if (a === '--data') opts.data = resolve(argv[++i]);
    else throw new Error(`bench:scale-out: unknown option ${a}`);
  }
  return opts;
}

interface RunResult {
  searchS: number;
  wallS: number;
  trials: number;
  ok: number;
  leaderboard: string[];
  /** Mean of wall_s - run_s over the trials, ms. */
  overheadMs: number;
}

function automl(opts: Options, out: string, extra: string[]): RunResult {
  const args = [
    join(root, 'bin', 'sciml.js'),
    '--json',
    'automl',
    opts.data,
    '--target',
    'cnt',
    '--drop',
    'instant,casual,registered',
    '--train-fraction',
    '0.27',
    '--max-trials',
    String(opts.maxTrials),
    '--seed',
    String(opts.seed),
    '--time-limit',
    '3000',
    '--out',
    out,
    ...extra,
  ];
  const t0 = performance.now();
  const run = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CI: 'true' },
    maxBuffer: 1 << 26,
  });
  const wallS = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`sciml automl ${extra.join(' ')} exited with ${run.status}`);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
  const dir = summary.run_dir as string;
  const info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  const leaderboard = tableFromIPC(readFileSync(join(dir, 'leaderboard.arrow')))
    .toArray()
    .map((row) => {
      const { fit_time_s: _f, predict_time_s: _p, ...rest } = row.toJSON() as Record<string, unknown>;
      return JSON.stringify(rest);
    });
  const trials = readFileSync(join(dir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { wall_s: number; run_s?: number });
  const timed = trials.filter((t) => typeof t.run_s === 'number');
  const overheadMs = (timed.reduce((s, t) => s + (t.wall_s - t.run_s!), 0) * 1000) / Math.max(1, timed.length);
  return {
    searchS: info.phases_s.search,
    wallS,
    trials: summary.trials,
    ok: summary.trials_ok,
    leaderboard,
    overheadMs,
  };
}

/** Mean milliseconds per empty job carrying a `bytes`-sized input (sent once, then cached by hash). */
async function probeMs(executor: Executor, n: number, bytes: number): Promise<number> {
  const input = new Uint8Array(bytes).fill(7);
  await executor.submit({ kind: 'probe', id: 'warm', payload: {}, inputs: { table: input } });
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    await executor.submit({ kind: 'probe', id: `p${i}`, payload: {}, inputs: { table: input } });
  return (performance.now() - t0) / n;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-scale-'));
  const redis = await startRedis();
  const workers: WorkerProcess[] = [];
  try {
    const local1 = automl(opts, join(dir, 'local-1'), ['--workers', '1']);
    const local2 = automl(opts, join(dir, 'local-2'), ['--workers', '2']);
    workers.push(await startWorkerProcess(redis.url, ['--name', 'bench-a']));
    const redis1 = automl(opts, join(dir, 'redis-1'), ['--executor', redis.url]);
    workers.push(await startWorkerProcess(redis.url, ['--name', 'bench-b']));
    const redis2 = automl(opts, join(dir, 'redis-2'), ['--executor', redis.url]);
    await workers.pop()!.stop();

    // The prepared bike table is ~0.6 MB; a probe job carries the same size.
    const n = 100;
    const local = new LocalExecutor({ jobs, slots: 1 });
    const localProbe = await probeMs(local, n, 600_000);
    await local.close();
    const remote = await RedisExecutor.connect(redis.url);
    const redisProbe = await probeMs(remote, n, 600_000);
    await remote.close();

    const runs = { local_1: local1, local_2: local2, redis_1: redis1, redis_2: redis2 };
    const same = [local2, redis1, redis2].every(
      (r) => JSON.stringify(r.leaderboard) === JSON.stringify(local1.leaderboard),
    );
    const overhead = redis1.overheadMs;
    console.log(`sciml automl, bike data, --max-trials ${opts.maxTrials}, seed ${opts.seed}; search phase seconds`);
    console.log('executor             search_s  wall_s  trials  ok  speedup_vs_1');
    for (const [name, r] of Object.entries(runs)) {
      const base = name.startsWith('local') ? local1 : redis1;
      console.log(
        `${name.padEnd(20)} ${r.searchS.toFixed(1).padStart(8)}  ${r.wallS.toFixed(1).padStart(6)}  ${String(r.trials).padStart(6)}  ${String(r.ok).padStart(2)}  ${(base.searchS / r.searchS).toFixed(2).padStart(12)}`,
      );
    }
    console.log(
      `per-trial overhead (driver wall - run time on the worker): redis ${overhead.toFixed(1)} ms, local thread ${local1.overheadMs.toFixed(1)} ms; probe job round trip: local ${localProbe.toFixed(2)} ms, redis ${redisProbe.toFixed(2)} ms`,
    );
    console.log(`same leaderboard across all four: ${same}`);
    console.log(
      JSON.stringify({
        bench: 'scale-out',
        max_trials: opts.maxTrials,
        seed: opts.seed,
        local_1_s: local1.searchS,
        local_2_s: local2.searchS,
        redis_1_s: redis1.searchS,
        redis_2_s: redis2.searchS,
        local_1_wall_s: local1.wallS,
        local_2_wall_s: local2.wallS,
        redis_1_wall_s: redis1.wallS,
        redis_2_wall_s: redis2.wallS,
        speedup_local_2: local1.searchS / local2.searchS,
        speedup_redis_2: redis1.searchS / redis2.searchS,
        overhead_ms_per_trial: overhead,
        overhead_local_ms_per_trial: local1.overheadMs,
        probe_local_ms: localProbe,
        probe_redis_ms: redisProbe,
        probe_overhead_ms: redisProbe - localProbe,
        trials: redis2.trials,
        trials_ok: [local1, local2, redis1, redis2].map((r) => r.ok),
        same_leaderboard: same,
      }),
    );
  } finally {
    for (const w of workers) await w.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:scale-out: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
