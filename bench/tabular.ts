/**
 * `npm run bench:tabular`: sciml's tabular learners against scikit-learn / XGBoost on the bike
 * sharing data (data/bikes/hour.csv), the published protocol: drop instant, dteday, casual,
 * registered; target cnt; 27% train / 73% test from a seeded shuffle. The peers run in the same
 * invocation on the same split (handed to Debian's /usr/bin/python3 in a temp file) with matched
 * hyperparameters. Each side fits `--repeats` times and keeps its fastest fit (timings are noisy on
 * shared cores); the accuracy is deterministic for a seed.
 *
 * Options: --seed N (split and model seed, default 42), --repeats N (default 3),
 * --only a,b (model names), --no-peers, --data PATH.
 * Prints a table, then one JSON line of figures. Writes the split to runs/bench-tabular/.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTable } from '../src/data/read-table.js';
import { initBackend } from '../src/runtime/backend.js';
import { writeJsonAtomic } from '../src/runtime/atomic.js';
import { Random } from '../src/runtime/random.js';
import type { Params } from '../src/learners/learner.js';
import { LEARNERS } from '../src/learners/registry.js';
import { extractTarget, TableEncoder, takeRows, takeValues } from '../src/learners/preprocess.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
/** Debian's interpreter, where python3-sklearn / python3-xgboost install (SCIML_PEER_PYTHON overrides). */
const PYTHON = process.env.SCIML_PEER_PYTHON ?? '/usr/bin/python3';

interface ModelSpec {
  name: string;
  kind: string;
  params: Partial<Params>;
  peer: string;
  peerName: string;
  peerParams: Record<string, unknown>;
}

const MODELS: ModelSpec[] = [
  {
    name: 'gbm',
    kind: 'gbm',
    params: {},
    peer: 'sklearn_hgb',
    peerName: 'sklearn HistGradientBoosting',
    peerParams: { random_state: 0 },
  },
  {
    name: 'gbm_xgb',
    kind: 'gbm',
    // XGBoost's defaults: depth-wise depth 6 (= leaf-wise with 64 leaves capped at depth 6), eta 0.3, lambda 1, min_child_weight 1.
    params: { learning_rate: 0.3, max_leaf_nodes: 64, max_depth: 6, min_samples_leaf: 1, l2_regularization: 1 },
    peer: 'xgboost',
    peerName: 'XGBoost hist',
    peerParams: {
      tree_method: 'hist',
      n_estimators: 100,
      max_depth: 6,
      learning_rate: 0.3,
      reg_lambda: 1,
      min_child_weight: 1,
      max_bin: 256,
      random_state: 0,
    },
  },
  {
    name: 'rf',
    kind: 'random_forest',
    params: { n_estimators: 300 },
    peer: 'sklearn_rf',
    peerName: 'sklearn RandomForest',
    peerParams: { n_estimators: 300, n_jobs: -1, random_state: 0 },
  },
  {
    name: 'et',
    kind: 'extra_trees',
    params: { n_estimators: 300 },
    peer: 'sklearn_et',
    peerName: 'sklearn ExtraTrees',
    peerParams: { n_estimators: 300, n_jobs: -1, random_state: 0 },
  },
  {
    name: 'ridge',
    kind: 'ridge',
    params: { alpha: 1 },
    peer: 'sklearn_ridge',
    peerName: 'sklearn Ridge (scaled)',
    peerParams: { alpha: 1 },
  },
  {
    name: 'knn',
    kind: 'knn',
    params: { k: 5, weights: 'uniform' },
    peer: 'sklearn_knn',
    peerName: 'sklearn KNeighbors (scaled)',
    peerParams: { n_neighbors: 5, weights: 'uniform' },
  },
  {
    name: 'mlp',
    kind: 'mlp',
    params: {},
    peer: 'sklearn_mlp',
    peerName: 'sklearn MLPRegressor (scaled)',
    peerParams: {
      hidden_layer_sizes: [64, 64],
      learning_rate_init: 0.001,
      alpha: 0.0001,
      batch_size: 200,
      max_iter: 200,
      early_stopping: true,
      validation_fraction: 0.1,
      n_iter_no_change: 10,
      tol: 0.0001,
      random_state: 0,
    },
  },
];

interface Result {
  rmse: number;
  fit_s: number;
  /** CPU seconds (all threads) during the fit: steadier than wall time on shared cores. */
  fit_cpu_s: number;
  predict_s: number;
}

function parseArgs(argv: string[]) {
  const opts = {
    seed: 42,
    repeats: 3,
    only: undefined as string[] | undefined,
    peers: true,
    data: join(root, 'data/bikes/hour.csv'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seed') opts.seed = Number(argv[++i]);
    else if (a === '--repeats') opts.repeats = Math.max(1, Number(argv[++i]));
    else if (a === '--only') opts.only = argv[++i].split(',');
    else if (a === '--no-peers') opts.peers = false;
    else if (a === '--data') opts.data = argv[++i];
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

function rmse(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

function peerAvailable(): string | undefined {
  // Only numpy is needed up front: a missing sklearn or xgboost skips just the models that use it.
  const probe = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found (apt-get install python3 python3-sklearn python3-xgboost)`;
  if (probe.status !== 0) {
    const missing = /No module named '([^']+)'/.exec(probe.stderr)?.[1] ?? 'a module';
    return `${PYTHON} lacks ${missing} (apt-get install python3-numpy python3-sklearn python3-xgboost)`;
  }
  return undefined;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const models = MODELS.filter((m) => (!opts.only || opts.only.includes(m.name)) && m.kind in LEARNERS);
  const skipped = MODELS.filter((m) => (!opts.only || opts.only.includes(m.name)) && !(m.kind in LEARNERS)).map(
    (m) => m.name,
  );
  if (models.some((m) => m.kind === 'mlp')) await initBackend();

  const table = await readTable(opts.data);
  const drop = ['instant', 'dteday', 'casual', 'registered'];
  const encoder = TableEncoder.fit(table, { target: 'cnt', drop });
  const X = encoder.transform(table);
  const y = extractTarget(table, 'cnt');

  // The split: a seeded permutation, the first 27% train.
  const perm = new Random(opts.seed).permutation(X.rows);
  const nTrain = Math.round(0.27 * X.rows);
  const train = Int32Array.from(perm.subarray(0, nTrain)).sort();
  const test = Int32Array.from(perm.subarray(nTrain)).sort();
  const splitHash = createHash('sha256').update(Buffer.from(train.buffer)).digest('hex').slice(0, 16);
  const splitFile = join(root, 'runs', 'bench-tabular', `split-seed${opts.seed}.json`);
  writeJsonAtomic(splitFile, {
    data: opts.data,
    seed: opts.seed,
    train_fraction: 0.27,
    sha256_train_int32: splitHash,
    train: Array.from(train),
    test: Array.from(test),
  });
  const Xtr = takeRows(X, train);
  const ytr = takeValues(y, train);
  const Xte = takeRows(X, test);
  const yte = takeValues(y, test);
  process.stderr.write(
    `split seed ${opts.seed}: ${train.length} train / ${test.length} test rows, hash ${splitHash} (${splitFile})\n`,
  );

  const ours: Record<string, Result> = {};
  for (const spec of models) {
    const factory = LEARNERS[spec.kind];
    let best: Result | undefined;
    for (let r = 0; r < opts.repeats; r++) {
      const model = factory.create(spec.params);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await model.fit(Xtr, ytr, { seed: opts.seed });
      const t1 = performance.now();
      const cpu = process.cpuUsage(c0);
      const pred = model.predict(Xte);
      const t2 = performance.now();
      const run = {
        rmse: rmse(pred, yte),
        fit_s: (t1 - t0) / 1000,
        fit_cpu_s: (cpu.user + cpu.system) / 1e6,
        predict_s: (t2 - t1) / 1000,
      };
      if (!best || run.fit_s < best.fit_s) best = run;
    }
    ours[spec.name] = best!;
    process.stderr.write(`  sciml ${spec.name}: rmse ${best!.rmse.toFixed(2)}, fit ${best!.fit_s.toFixed(3)} s\n`);
  }

  const peers: Record<string, Result> = {};
  let peerNote: string | undefined;
  if (opts.peers) peerNote = peerAvailable();
  else peerNote = 'skipped (--no-peers)';
  if (!peerNote && models.length > 0) {
    const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-'));
    try {
      const job = join(dir, 'job.json');
      writeFileSync(
        job,
        JSON.stringify({
          csv: resolve(opts.data),
          target: 'cnt',
          drop,
          train: Array.from(train),
          test: Array.from(test),
          repeats: opts.repeats,
          models: models.map((m) => ({ name: m.name, peer: m.peer, params: m.peerParams })),
        }),
      );
      const res = spawnSync(PYTHON, [join(root, 'bench', 'tabular_peer.py'), job], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });
      if (res.status !== 0) peerNote = `peer script failed: ${res.stderr.trim().split('\n').slice(-1)[0]}`;
      for (const line of res.stdout.split('\n')) {
        if (!line.trim()) continue;
        const r = JSON.parse(line);
        if (r.error)
          process.stderr.write(
            `  peer ${r.name}: ${r.error} (apt-get install python3-${String(r.error).replace('missing ', '')})\n`,
          );
        else peers[r.name] = r;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (peerNote) process.stderr.write(`peers: ${peerNote}\n`);

  printTable(models, ours, peers);
  if (skipped.length) console.log(`not yet available in sciml: ${skipped.join(', ')}`);
  const figures: Record<string, unknown> = {
    split_seed: opts.seed,
    split_hash: splitHash,
    train_rows: train.length,
    test_rows: test.length,
    repeats: opts.repeats,
  };
  for (const spec of models) {
    const o = ours[spec.name];
    figures[`${spec.name}_rmse`] = round(o.rmse, 3);
    figures[`${spec.name}_fit_s`] = round(o.fit_s, 4);
    figures[`${spec.name}_fit_cpu_s`] = round(o.fit_cpu_s, 4);
    figures[`${spec.name}_predict_s`] = round(o.predict_s, 4);
    const p = peers[spec.name];
    if (p) {
      figures[`${spec.peer}_rmse`] = round(p.rmse, 3);
      figures[`${spec.peer}_fit_s`] = round(p.fit_s, 4);
      figures[`${spec.peer}_fit_cpu_s`] = round(p.fit_cpu_s, 4);
      figures[`${spec.peer}_predict_s`] = round(p.predict_s, 4);
      figures[`${spec.name}_rmse_ratio`] = round(o.rmse / p.rmse, 4);
      figures[`${spec.name}_fit_ratio`] = round(o.fit_s / p.fit_s, 3);
      figures[`${spec.name}_fit_cpu_ratio`] = round(o.fit_cpu_s / p.fit_cpu_s, 3);
    }
  }
  if (peerNote) figures.peers = peerNote;
  console.log(JSON.stringify(figures));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function printTable(models: ModelSpec[], ours: Record<string, Result>, peers: Record<string, Result>): void {
  const header = [
    'model',
    'rmse',
    'peer',
    'peer rmse',
    'rmse ratio',
    'fit s',
    'peer fit s',
    'fit ratio',
    'cpu ratio',
    'pred s',
    'peer pred s',
  ];
  const rows = models.map((m) => {
    const o = ours[m.name];
    const p = peers[m.name];
    return [
      m.name,
      o.rmse.toFixed(2),
      m.peerName,
      p ? p.rmse.toFixed(2) : '-',
      p ? (o.rmse / p.rmse).toFixed(3) : '-',
      o.fit_s.toFixed(3),
      p ? p.fit_s.toFixed(3) : '-',
      p ? (o.fit_s / p.fit_s).toFixed(2) : '-',
      p ? (o.fit_cpu_s / p.fit_cpu_s).toFixed(2) : '-',
      o.predict_s.toFixed(3),
      p ? p.predict_s.toFixed(3) : '-',
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 || c === 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
