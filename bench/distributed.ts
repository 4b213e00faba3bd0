/**
 * `npm run bench:distributed`: one denoiser trained three ways on the same simulated traces and
 * seed: 1 replica (ordinary training, in-process), 2 replicas on local threads, and 2 replicas on
 * 2 `sciml worker` processes (concurrency 1 each) through a loopback redis-server started here.
 * (The particles family is not plugged into distributed training yet: the denoiser stands in, as the output says.)
 *
 * Figures: wall time of training until the validation loss reaches the target (the 1-replica
 * run's final validation loss times 1 + tolerance), from the per-round seconds; final validation
 * loss; rounds; bytes moved per round (replica states both ways; the first round also ships the
 * shards); overhead per round (round time minus the slowest replica's compute and the driver's
 * validation: queueing, shipping, combining, checkpointing), as a share of round time over rounds
 * 2.. (round 1 includes starting threads and backends, reported apart). Test-set quality: peak
 * accuracy of each model on the same test traces, and the paired (McNemar) difference against the
 * 1-replica model with its standard error.
 *
 * Options: --traces N (6000), --test N (2000), --epochs E (8, the 1-replica run),
 * --replica-epochs E (12, the 2-replica runs), --rounds-per-epoch R (1), --outer average|nesterov,
 * --tolerance T (0.02), --batch B (64).
 * Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readArrowFile } from '../src/data/arrow.js';
import { pairedComparison } from '../src/metrics/paired.js';
import { startRedis, startWorkerProcess, type WorkerProcess } from '../src/execution/redis-server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Options {
  traces: number;
  test: number;
  epochs: number;
  replicaEpochs: number;
  roundsPerEpoch: number;
  outer: string;
  tolerance: number;
  batch: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { traces: 6000, test: 2000, epochs: 8, replicaEpochs: 12, roundsPerEpoch: 1, outer: 'average', tolerance: 0.02, batch: 64 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (a === '--traces') o.traces = Number(v);
    else if (a === '--test') o.test = Number(v);
    else if (a === '--epochs') o.epochs = Number(v);
    else if (a === '--replica-epochs') o.replicaEpochs = Number(v);
    else if (a === '--rounds-per-epoch') o.roundsPerEpoch = Number(v);
    else if (a === '--outer') o.outer = v;
    else if (a === '--tolerance') o.tolerance = Number(v);
    else if (a === '--batch') o.batch = Number(v);
    else throw new Error(`bench:distributed: unknown option ${a}`);
  }
  return o;
}

interface Round {
  round: number;
  val_loss: number;
  seconds: number;
  compute_s: number;
  validation_s: number;
  overhead_s: number;
  bytes_moved: number;
}

interface RunFigures {
  name: string;
  rounds: Round[];
  finalLoss: number;
  hits: Map<number, boolean>;
  peakAccuracy: number;
  totalS: number;
}

function train(dir: string, name: string, config: string, extra: string[]): RunFigures {
  const out = join(dir, name);
  const r = spawnSync(process.execPath, [join(root, 'bin', 'sciml.js'), '--json', 'train', config, '--out', out, ...extra], { encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${name}: sciml train failed (${r.status}): ${r.stderr}`);
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { history: { val_loss: number; seconds: number }[]; metrics: { peak_accuracy: number } };
  let rounds: Round[];
  try {
    rounds = (JSON.parse(readFileSync(join(out, 'rounds.json'), 'utf8')) as { rounds: Round[] }).rounds;
  } catch {
    rounds = metrics.history.map((h, i) => ({ round: i + 1, val_loss: h.val_loss, seconds: h.seconds, compute_s: NaN, validation_s: NaN, overhead_s: NaN, bytes_moved: 0 }));
  }
  const table = readArrowFile(join(out, 'predictions.arrow'));
  const hitColumn = table.getChild('dae_hit')!.toArray() as ArrayLike<boolean | number>;
  const hits = new Map<number, boolean>();
  for (let i = 0; i < hitColumn.length; i++) hits.set(i, Boolean(hitColumn[i]));
  return { name, rounds, finalLoss: rounds[rounds.length - 1].val_loss, hits, peakAccuracy: metrics.metrics.peak_accuracy, totalS: rounds.reduce((a, x) => a + x.seconds, 0) };
}

/** Seconds of training until the validation loss first reaches `target` (Infinity if never). */
function timeTo(run: RunFigures, target: number): { seconds: number; rounds: number } {
  let t = 0;
  for (const r of run.rounds) {
    t += r.seconds;
    if (r.val_loss <= target) return { seconds: t, rounds: r.round };
  }
  return { seconds: Infinity, rounds: NaN };
}

function steady(run: RunFigures): { overheadPct: number; bytes: number; roundS: number } {
  const later = run.rounds.slice(1);
  const sum = (f: (r: Round) => number) => later.reduce((a, r) => a + f(r), 0);
  return { overheadPct: (100 * sum((r) => r.overhead_s)) / sum((r) => r.seconds), bytes: sum((r) => r.bytes_moved) / Math.max(1, later.length), roundS: sum((r) => r.seconds) / Math.max(1, later.length) };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-distributed-'));
  const load = loadavg()[0];
  const yaml = (epochs: number) => `task: denoiser
seed: 11
data:
  train_count: ${o.traces}
  test_count: ${o.test}
training:
  epochs: ${epochs}
  batch_size: ${o.batch}
  patience: 0
  distributed:
    rounds_per_epoch: ${o.roundsPerEpoch}
    outer: ${o.outer}
execution:
  queue: bench-distributed
`;
  const one = join(dir, 'one.yaml');
  const two = join(dir, 'two.yaml');
  writeFileSync(one, yaml(o.epochs));
  writeFileSync(two, yaml(o.replicaEpochs));
  const workers: WorkerProcess[] = [];
  const redis = await startRedis();
  try {
    console.error('bench:distributed: 1 replica ...');
    const r1 = train(dir, 'replicas-1', one, []);
    console.error('bench:distributed: 2 local replicas ...');
    const l2 = train(dir, 'local-2', two, ['--replicas', '2']);
    for (let i = 0; i < 2; i++) workers.push(await startWorkerProcess(redis.url, ['--queue', 'bench-distributed', '--concurrency', '1']));
    console.error('bench:distributed: 2 replicas on 2 Redis workers ...');
    const r2 = train(dir, 'redis-2', two, ['--replicas', '2', '--executor', redis.url]);
    const target = r1.finalLoss * (1 + o.tolerance);
    const t1 = timeTo(r1, target);
    const tl = timeTo(l2, target);
    const tr = timeTo(r2, target);
    const sRedis = steady(r2);
    const sLocal = steady(l2);
    const paired = pairedComparison(r1.hits, r2.hits);
    const pairedLocal = pairedComparison(r1.hits, l2.hits);
    const rows = [
      ['1 replica (in-process)', r1, t1, { overheadPct: NaN, bytes: 0, roundS: r1.totalS / r1.rounds.length }],
      ['2 replicas, local threads', l2, tl, sLocal],
      ['2 replicas, 2 Redis workers', r2, tr, sRedis],
    ] as const;
    console.log(`bench:distributed — model: denoiser (the particles family is not plugged into distributed training yet), default architecture, ${o.traces} traces (10% validation), batch ${o.batch}, local SGD, ${o.roundsPerEpoch} round(s)/epoch, outer ${o.outer}; load average at start ${load.toFixed(1)} on this shared machine`);
    console.log(`target: validation loss <= ${target.toExponential(4)} (1-replica final ${r1.finalLoss.toExponential(4)} x ${1 + o.tolerance})`);
    console.log(`${'run'.padEnd(30)}${'to target s'.padStart(12)}${'rounds'.padStart(8)}${'total s'.padStart(9)}${'final val'.padStart(12)}${'test peak'.padStart(10)}${'round s'.padStart(9)}${'overhead'.padStart(10)}${'bytes/round'.padStart(13)}`);
    for (const [name, run, t, s] of rows) {
      console.log(`${name.padEnd(30)}${(Number.isFinite(t.seconds) ? t.seconds.toFixed(1) : 'never').padStart(12)}${String(Number.isFinite(t.rounds) ? t.rounds : '-').padStart(8)}${run.totalS.toFixed(1).padStart(9)}${run.finalLoss.toExponential(3).padStart(12)}${run.peakAccuracy.toFixed(4).padStart(10)}${s.roundS.toFixed(2).padStart(9)}${(Number.isFinite(s.overheadPct) ? `${s.overheadPct.toFixed(1)}%` : '-').padStart(10)}${Math.round(s.bytes).toString().padStart(13)}`);
    }
    console.log(`test peak accuracy, paired against 1 replica (${paired.n} common test traces): redis-2 ${paired.diff >= 0 ? '+' : ''}${paired.diff.toFixed(4)} ± ${paired.se.toFixed(4)}; local-2 ${pairedLocal.diff >= 0 ? '+' : ''}${pairedLocal.diff.toFixed(4)} ± ${pairedLocal.se.toFixed(4)} (within noise when |diff| <= 2 se)`);
    const speedup = t1.seconds / tr.seconds;
    console.log(`speedup to target: redis-2 ${speedup.toFixed(2)}x (goal >= 1.7), local-2 ${(t1.seconds / tl.seconds).toFixed(2)}x; Redis overhead ${sRedis.overheadPct.toFixed(1)}% of round time (goal <= 5%)`);
    const round3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);
    console.log(
      JSON.stringify({
        model: 'denoiser',
        replicas_1_s: round3(t1.seconds),
        local_2_s: round3(tl.seconds),
        redis_2_s: round3(tr.seconds),
        speedup_redis_2: round3(speedup),
        speedup_local_2: round3(t1.seconds / tl.seconds),
        metric: 'validation_loss',
        target: target,
        metric_1: r1.finalLoss,
        metric_local_2: l2.finalLoss,
        metric_redis_2: r2.finalLoss,
        test_peak_accuracy_1: r1.peakAccuracy,
        test_peak_accuracy_redis_2: r2.peakAccuracy,
        paired_diff_redis_2: round3(paired.diff),
        paired_se_redis_2: round3(paired.se),
        rounds_1: r1.rounds.length,
        rounds_redis_2: r2.rounds.length,
        round_s_1: round3(r1.totalS / r1.rounds.length),
        round_s_redis_2: round3(sRedis.roundS),
        overhead_pct: round3(sRedis.overheadPct),
        overhead_pct_local_2: round3(sLocal.overheadPct),
        overhead_s_per_round: round3((sRedis.overheadPct / 100) * sRedis.roundS),
        compute_s_per_round_redis_2: round3(r2.rounds.slice(1).reduce((a, r) => a + r.compute_s, 0) / Math.max(1, r2.rounds.length - 1)),
        bytes_per_round: Math.round(sRedis.bytes),
        first_round_bytes: r2.rounds[0].bytes_moved,
        load_average: round3(load),
      }),
    );
  } finally {
    for (const w of workers) await w.stop('SIGTERM');
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
