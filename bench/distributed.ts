/**
 * `npm run bench:distributed`: the particle model (the Inclusive Classifier with its in-run HLF
 * classifier) trained three ways on the same simulated Parquet shards and seed: 1 replica (the
 * single-process streaming loop), 2 replicas on local threads, and 2 replicas on 2 `sciml worker`
 * processes (concurrency 1 each) through a loopback redis-server started here. Every replica
 * streams its own shards from the events folder (a path every worker sees).
 *
 * Threads: on the native engine a replica alone may use every core's engine threads (at this
 * size its recurrent steps run on one: a second thread costs more than it gives); each of 2
 * replicas gets 1. So the comparison is 2 cores used as 2 replicas against the best single-process
 * run. A machine check first times one replica's steps alone and two replicas' steps at once
 * (bench/replica-steps.ts, separate processes): how much two cores give two replicas here.
 *
 * The 2 replicas take batch B/2 each by default (together the 1-replica batch per step, so each
 * replica takes as many steps per epoch as 1 replica does) and average twice per epoch with an
 * outer Nesterov step; their inner learning rate is a bench option (docs/scale-out.md: how the
 * defaults were chosen, and what 1 replica does at the same rate).
 *
 * Figures: training time until the validation loss reaches the target (the 1-replica run's final
 * validation loss times 1 + tolerance), summed over rounds without the per-round validation pass
 * (the runs validate at different rates; the 1-replica loop times its epochs without it too) and
 * without the replicas' setup (backend start and trainer build: the 1-replica loop does those
 * before its epoch timer starts; printed apart, and the speedup counting it); the epoch at which
 * the target is reached; final validation loss; rounds; per-epoch times (epochs 2..; epoch 1
 * includes kernel warm-up in both); bytes moved per round (replica states both ways; the first
 * round also ships the shard lists); overhead per round (round time minus the slowest replica's
 * setup and compute and the validation: queueing, shipping, combining, checkpointing) as a share
 * of round time over rounds 2... Test-set quality: macro AUC and accuracy of each model on the
 * same held-out events, and the paired (McNemar) accuracy difference against the 1-replica model
 * with its standard error.
 *
 * Options: --events N (12000), --shards S (8), --max-particles P (20), --units U (32),
 * --batch B (128, the 1-replica run), --replica-batch B (64), --lr L (0.002, the 1-replica run),
 * --replica-lr L (0.004), --epochs E (4, the 1-replica run), --replica-epochs E (4),
 * --rounds-per-epoch R (2), --outer average|nesterov (nesterov), --outer-lr X (1.0),
 * --outer-momentum M (0.5), --tolerance T (0.01), --backend B (auto), --skip-local (skip the
 * local-threads run), --skip-check (skip the machine check).
 * Prints a table, then one JSON line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readArrowFile } from '../src/data/arrow.js';
import { writeSimulatedDataset } from '../src/data/particles/write.js';
import { CLASS_NAMES } from '../src/data/particles/schema.js';
import { pairedComparison } from '../src/metrics/paired.js';
import { startRedis, startWorkerProcess, type WorkerProcess } from '../src/execution/redis-server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Options {
  events: number;
  shards: number;
  maxParticles: number;
  units: number;
  batch: number;
  replicaBatch: number;
  lr: number;
  replicaLr: number;
  epochs: number;
  replicaEpochs: number;
  roundsPerEpoch: number;
  outer: string;
  outerLr: number;
  outerMomentum: number;
  tolerance: number;
  backend: string;
  skipLocal: boolean;
  skipCheck: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    events: 12000,
    shards: 8,
    maxParticles: 20,
    units: 32,
    batch: 128,
    replicaBatch: 64,
    lr: 0.002,
    replicaLr: 0.004,
    epochs: 4,
    replicaEpochs: 4,
    roundsPerEpoch: 2,
    outer: 'nesterov',
    outerLr: 1.0,
    outerMomentum: 0.5,
    tolerance: 0.01,
    backend: 'auto',
    skipLocal: false,
    skipCheck: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--skip-local' || a === '--skip-check') {
      if (a === '--skip-local') o.skipLocal = true;
      else o.skipCheck = true;
      continue;
    }
    const v = argv[++i];
    if (a === '--events') o.events = Number(v);
    else if (a === '--shards') o.shards = Number(v);
    else if (a === '--max-particles') o.maxParticles = Number(v);
    else if (a === '--units') o.units = Number(v);
    else if (a === '--batch') o.batch = Number(v);
    else if (a === '--replica-batch') o.replicaBatch = Number(v);
    else if (a === '--lr') o.lr = Number(v);
    else if (a === '--replica-lr') o.replicaLr = Number(v);
    else if (a === '--epochs') o.epochs = Number(v);
    else if (a === '--replica-epochs') o.replicaEpochs = Number(v);
    else if (a === '--rounds-per-epoch') o.roundsPerEpoch = Number(v);
    else if (a === '--outer') o.outer = v;
    else if (a === '--outer-lr') o.outerLr = Number(v);
    else if (a === '--outer-momentum') o.outerMomentum = Number(v);
    else if (a === '--tolerance') o.tolerance = Number(v);
    else if (a === '--backend') o.backend = v;
    else throw new Error(`bench:distributed: unknown option ${a}`);
  }
  return o;
}

interface Round {
  round: number;
  /** Epochs done after the round. */
  epoch: number;
  val_loss: number;
  /** Training seconds of the round: validation and the replicas' setup excluded. */
  train_s: number;
  /** Starting the replicas' backends and building their trainers (a worker's first job of the run). */
  setup_s: number;
  seconds: number;
  compute_s: number;
  overhead_s: number;
  bytes_moved: number;
}

interface RunFigures {
  name: string;
  rounds: Round[];
  finalLoss: number;
  hits: Map<number, boolean>;
  auc: number;
  accuracy: number;
  wallS: number;
}

function train(dir: string, name: string, config: string, extra: string[], backend: string): RunFigures {
  const out = join(dir, name);
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [join(root, 'bin', 'sciml.js'), '--json', 'train', config, '--backend', backend, '--out', out, ...extra],
    { encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 64 << 20 },
  );
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${name}: sciml train failed (${r.status}): ${r.stderr}`);
  const summary = JSON.parse(r.stdout) as { auc_macro: number; accuracy: number };
  let rounds: Round[];
  try {
    const file = JSON.parse(readFileSync(join(out, 'rounds.json'), 'utf8')) as {
      rounds: (Omit<Round, 'train_s'> & { validation_s: number })[];
    };
    rounds = file.rounds.map((x) => ({
      ...x,
      setup_s: x.setup_s ?? 0,
      train_s: x.seconds - x.validation_s - (x.setup_s ?? 0),
    }));
  } catch {
    // the single-process loop: its epoch timer starts after the backend and the networks are built
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
      history: { epoch: number; val_loss: number; seconds: number }[];
    };
    rounds = metrics.history.map((h, i) => ({
      round: i + 1,
      epoch: h.epoch,
      val_loss: h.val_loss,
      train_s: h.seconds,
      setup_s: 0,
      seconds: h.seconds,
      compute_s: NaN,
      overhead_s: NaN,
      bytes_moved: 0,
    }));
  }
  const table = readArrowFile(join(out, 'predictions.arrow'));
  const col = (n: string) => table.getChild(n)!.toArray() as ArrayLike<number>;
  const shard = col('shard'),
    row = col('row'),
    label = col('label');
  const probs = CLASS_NAMES.map((c) => col(`p_${c}`));
  const hits = new Map<number, boolean>();
  for (let i = 0; i < label.length; i++) {
    let best = 0;
    for (let k = 1; k < probs.length; k++) if (probs[k][i] > probs[best][i]) best = k;
    hits.set(shard[i] * 4294967296 + row[i], best === label[i]);
  }
  return {
    name,
    rounds,
    finalLoss: rounds[rounds.length - 1].val_loss,
    hits,
    auc: summary.auc_macro,
    accuracy: summary.accuracy,
    wallS,
  };
}

interface StepTiming {
  step_ms: number;
  cpu_ms: number;
  first_ms: number;
}

/** bench/replica-steps.ts in its own process (as a Redis worker runs a replica): median ms per step. */
function replicaSteps(events: string, o: Options, args: string[]): Promise<StepTiming> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        join(root, 'dist', 'bench', 'replica-steps.js'),
        events,
        '--units',
        String(o.units),
        '--max-particles',
        String(o.maxParticles),
        '--steps',
        '40',
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) =>
      code === 0
        ? done(JSON.parse(out.trim().split('\n').pop()!) as StepTiming)
        : fail(new Error(`replica-steps failed (${code})`)),
    );
  });
}

/**
 * What this machine gives two replicas side by side: one replica's steps alone (1 engine thread,
 * and all cores' threads) against two replicas' steps at once, 1 thread each.
 */
async function machineCheck(
  events: string,
  o: Options,
): Promise<{ alone1: StepTiming; aloneAll: StepTiming; together: StepTiming[]; gain: number }> {
  const batch = String(o.replicaBatch);
  const alone1 = await replicaSteps(events, o, [
    '--threads',
    '1',
    '--batch',
    batch,
    '--replica',
    '1',
    '--replicas',
    '2',
  ]);
  const aloneAll = await replicaSteps(events, o, [
    '--threads',
    String(availableParallelism()),
    '--batch',
    batch,
    '--replica',
    '1',
    '--replicas',
    '2',
  ]);
  const together = await Promise.all(
    [1, 2].map((r) =>
      replicaSteps(events, o, ['--threads', '1', '--batch', batch, '--replica', String(r), '--replicas', '2']),
    ),
  );
  // steps per second of two at once against the best of one alone
  const gain = together.reduce((a, t) => a + 1 / t.step_ms, 0) / (1 / Math.min(alone1.step_ms, aloneAll.step_ms));
  return { alone1, aloneAll, together, gain };
}

interface ToTarget {
  /** Training seconds until the validation loss first reaches the target (Infinity if never). */
  seconds: number;
  rounds: number;
  epochs: number;
  /** The replicas' setup seconds in those rounds (not in `seconds`). */
  setupS: number;
}

function timeTo(run: RunFigures, target: number): ToTarget {
  let t = 0,
    setup = 0;
  for (const r of run.rounds) {
    t += r.train_s;
    setup += r.setup_s;
    if (r.val_loss <= target) return { seconds: t, rounds: r.round, epochs: r.epoch, setupS: setup };
  }
  return { seconds: Infinity, rounds: NaN, epochs: NaN, setupS: setup };
}

interface Steady {
  overheadPct: number;
  bytes: number;
  /** Training seconds per round. */
  roundS: number;
  /** The slowest replica's step seconds per round. */
  computeS: number;
}

/** Rounds 2.. (round 1 starts threads, backends and kernels). */
function steady(run: RunFigures): Steady {
  const later = run.rounds.length > 1 ? run.rounds.slice(1) : run.rounds;
  const sum = (f: (r: Round) => number) => later.reduce((a, r) => a + f(r), 0);
  const n = Math.max(1, later.length);
  return {
    overheadPct: (100 * sum((r) => r.overhead_s)) / sum((r) => r.seconds),
    bytes: sum((r) => r.bytes_moved) / n,
    roundS: sum((r) => r.train_s) / n,
    computeS: sum((r) => r.compute_s) / n,
  };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-distributed-'));
  const load = loadavg()[0];
  const events = join(dir, 'events');
  writeSimulatedDataset(events, o.events, o.shards, 17, {
    layout: 'flat',
    maxParticles: o.maxParticles,
    rowGroupSize: 500,
  });
  const yaml = (epochs: number, lr: number, batch: number) => `task: particles
seed: 11
data:
  path: ${events}
  max_particles: ${o.maxParticles}
model:
  units: ${o.units}
training:
  epochs: ${epochs}
  batch_size: ${batch}
  learning_rate: ${lr}
  distributed:
    rounds_per_epoch: ${o.roundsPerEpoch}
    outer: ${o.outer}
    outer_learning_rate: ${o.outerLr}
    outer_momentum: ${o.outerMomentum}
evaluation:
  importance_events: 0
execution:
  queue: bench-distributed
`;
  const one = join(dir, 'one.yaml');
  const two = join(dir, 'two.yaml');
  writeFileSync(one, yaml(o.epochs, o.lr, o.batch));
  writeFileSync(two, yaml(o.replicaEpochs, o.replicaLr, o.replicaBatch));
  const workers: WorkerProcess[] = [];
  const redis = await startRedis();
  try {
    let check: Awaited<ReturnType<typeof machineCheck>> | undefined;
    if (!o.skipCheck) {
      console.error('bench:distributed: machine check (replica steps alone and two at once) ...');
      check = await machineCheck(events, o);
    }
    console.error('bench:distributed: 1 replica ...');
    const r1 = train(dir, 'replicas-1', one, [], o.backend);
    let l2: RunFigures | undefined;
    if (!o.skipLocal) {
      console.error('bench:distributed: 2 local replicas ...');
      l2 = train(dir, 'local-2', two, ['--replicas', '2'], o.backend);
    }
    for (let i = 0; i < 2; i++)
      workers.push(await startWorkerProcess(redis.url, ['--queue', 'bench-distributed', '--concurrency', '1']));
    console.error('bench:distributed: 2 replicas on 2 Redis workers ...');
    const r2 = train(dir, 'redis-2', two, ['--replicas', '2', '--executor', redis.url], o.backend);
    const target = r1.finalLoss * (1 + o.tolerance);
    const t1 = timeTo(r1, target);
    const tl = l2 ? timeTo(l2, target) : undefined;
    const tr = timeTo(r2, target);
    const s1 = steady(r1);
    const sRedis = steady(r2);
    const sLocal = l2 ? steady(l2) : undefined;
    const paired = pairedComparison(r1.hits, r2.hits);
    const pairedLocal = l2 ? pairedComparison(r1.hits, l2.hits) : undefined;
    const rows: [string, RunFigures, ToTarget, Steady][] = [['1 replica (in-process)', r1, t1, s1]];
    if (l2 && tl && sLocal) rows.push(['2 replicas, local threads', l2, tl, sLocal]);
    rows.push(['2 replicas, 2 Redis workers', r2, tr, sRedis]);
    console.log(
      `bench:distributed — model: particles (Inclusive Classifier GRU(${o.units}) + HLF, with the in-run HLF classifier), ${o.events} simulated events in ${o.shards} Parquet shards, ${o.maxParticles} particles, batch ${o.batch} and Adam lr ${o.lr} (1 replica, the config's), batch ${o.replicaBatch} per replica and lr ${o.replicaLr} (2 replicas); local SGD, ${o.roundsPerEpoch} round(s)/epoch, outer ${o.outer}${o.outer === 'nesterov' ? ` (lr ${o.outerLr}, momentum ${o.outerMomentum})` : ''}; ${o.epochs} epochs (1 replica), ${o.replicaEpochs} (2 replicas); backend ${o.backend}; load average at start ${load.toFixed(1)} on this shared machine`,
    );
    console.log(
      `target: validation loss <= ${target.toFixed(5)} (1-replica final ${r1.finalLoss.toFixed(5)} x ${1 + o.tolerance}); times are training seconds without the validation passes and without the replicas' setup (backend start and trainer build, which the 1-replica loop does before its epoch timer starts; shown as "setup s")`,
    );
    console.log(
      `${'run'.padEnd(30)}${'to target s'.padStart(12)}${'at epoch'.padStart(9)}${'setup s'.padStart(8)}${'wall s'.padStart(8)}${'final val'.padStart(11)}${'test AUC'.padStart(10)}${'test acc'.padStart(10)}${'round s'.padStart(9)}${'overhead'.padStart(10)}${'bytes/round'.padStart(13)}`,
    );
    for (const [name, run, t, st] of rows) {
      console.log(
        `${name.padEnd(30)}${(Number.isFinite(t.seconds) ? t.seconds.toFixed(2) : 'never').padStart(12)}${(Number.isFinite(t.epochs) ? String(t.epochs) : '-').padStart(9)}${t.setupS.toFixed(2).padStart(8)}${run.wallS.toFixed(0).padStart(8)}${run.finalLoss.toFixed(5).padStart(11)}${run.auc.toFixed(4).padStart(10)}${run.accuracy.toFixed(4).padStart(10)}${st.roundS.toFixed(3).padStart(9)}${(Number.isFinite(st.overheadPct) ? `${st.overheadPct.toFixed(1)}%` : '-').padStart(10)}${Math.round(st.bytes).toString().padStart(13)}`,
      );
    }
    const fmt = (p: { diff: number; se: number }) =>
      `${p.diff >= 0 ? '+' : ''}${p.diff.toFixed(4)} ± ${p.se.toFixed(4)}`;
    console.log(
      `test accuracy, paired against 1 replica (${paired.n} common test events): redis-2 ${fmt(paired)}${pairedLocal ? `; local-2 ${fmt(pairedLocal)}` : ''} (within noise when |diff| <= 2 se)`,
    );
    const epochS1 = s1.roundS,
      epochS2 = sRedis.roundS * o.roundsPerEpoch;
    console.log(
      `per epoch (epochs 2..): 1 replica ${epochS1.toFixed(3)} s, redis-2 ${epochS2.toFixed(3)} s (${(epochS1 / epochS2).toFixed(2)}x); first epoch (kernel warm-up): 1 replica ${r1.rounds[0].train_s.toFixed(3)} s, redis-2 ${r2.rounds
        .slice(0, o.roundsPerEpoch)
        .reduce((a, r) => a + r.train_s, 0)
        .toFixed(3)} s`,
    );
    if (check) {
      const { alone1, aloneAll, together, gain } = check;
      console.log(
        `machine: a replica's step (batch ${o.replicaBatch}) alone ${alone1.step_ms.toFixed(1)} ms on 1 engine thread, ${aloneAll.step_ms.toFixed(1)} ms on ${availableParallelism()}; two replicas at once ${together.map((t) => t.step_ms.toFixed(1)).join(' / ')} ms (1 thread each): two at once give ${gain.toFixed(2)}x the steps/s of one alone (2.00 if the cores were independent)`,
      );
    }
    const speedup = t1.seconds / tr.seconds;
    const withSetup = t1.seconds / (tr.seconds + tr.setupS);
    console.log(
      `speedup to target: redis-2 ${speedup.toFixed(2)}x (goal >= 1.7; ${withSetup.toFixed(2)}x counting the replicas' setup)${l2 && tl ? `, local-2 ${(t1.seconds / tl.seconds).toFixed(2)}x` : ''}; Redis overhead ${sRedis.overheadPct.toFixed(1)}% of round time (goal <= 5%)`,
    );
    const round3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);
    console.log(
      JSON.stringify({
        model: 'particles',
        replicas_1_s: round3(t1.seconds),
        local_2_s: tl ? round3(tl.seconds) : null,
        redis_2_s: round3(tr.seconds),
        speedup_redis_2: round3(speedup),
        speedup_redis_2_with_setup: round3(withSetup),
        speedup_local_2: tl ? round3(t1.seconds / tl.seconds) : null,
        metric: 'validation_loss',
        target,
        metric_1: r1.finalLoss,
        metric_local_2: l2?.finalLoss ?? null,
        metric_redis_2: r2.finalLoss,
        epochs_to_target_1: t1.epochs,
        epochs_to_target_redis_2: round3(tr.epochs),
        setup_s_redis_2: round3(tr.setupS),
        test_auc_1: r1.auc,
        test_auc_redis_2: r2.auc,
        paired_diff_redis_2: round3(paired.diff),
        paired_se_redis_2: round3(paired.se),
        rounds_1: r1.rounds.length,
        rounds_redis_2: r2.rounds.length,
        epoch_s_1: round3(epochS1),
        epoch_s_redis_2: round3(epochS2),
        first_epoch_s_1: round3(r1.rounds[0].train_s),
        round_s_redis_2: round3(sRedis.roundS),
        overhead_pct: round3(sRedis.overheadPct),
        overhead_pct_local_2: sLocal ? round3(sLocal.overheadPct) : null,
        overhead_s_per_round: round3(
          ((sRedis.overheadPct / 100) * r2.rounds.slice(1).reduce((a, r) => a + r.seconds, 0)) /
            Math.max(1, r2.rounds.length - 1),
        ),
        compute_s_per_round_redis_2: round3(sRedis.computeS),
        bytes_per_round: Math.round(sRedis.bytes),
        first_round_bytes: r2.rounds[0].bytes_moved,
        wall_s: { replicas_1: round3(r1.wallS), local_2: l2 ? round3(l2.wallS) : null, redis_2: round3(r2.wallS) },
        machine: check
          ? {
              step_ms_alone_1_thread: check.alone1.step_ms,
              step_ms_alone_all_threads: check.aloneAll.step_ms,
              step_ms_two_at_once: check.together.map((t) => t.step_ms),
              first_step_ms: check.alone1.first_ms,
              two_at_once_gain: round3(check.gain),
            }
          : null,
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
