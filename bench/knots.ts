/**
 * `npm run bench:knots`: the knots task at its default size (30,000 synthetic knots, the default
 * MLP and training settings).
 *   - Training throughput (training rows per second over all epochs, early stopping included) of
 *     sciml's MLP against the same MLP in PyTorch (Debian's /usr/bin/python3, python3-torch, 2
 *     threads) on the identical standardized split; each run also reports its test MSE.
 *   - End to end: `sciml train configs/knots.yaml` (full model, salience, top-3 retrain, report)
 *     as a child process: wall time, peak RSS (via /usr/bin/time when present) and its results.
 * Timings on shared cores are noisy: the throughput runs alternate sciml and torch for --rounds
 * and each keeps its best round.
 *
 * Options: --rounds N (1), --no-torch, --no-e2e. Prints a table, then one JSON line of figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/runtime/backend.js';
import { silentLogger } from '../src/runtime/log.js';
import { writeNpz } from '../src/data/npy.js';
import { knotsSchema } from '../src/models/knots/config.js';
import { evaluateOnTest, loadData, split, trainModel } from '../src/models/knots/pipeline.js';
import { fitStandardization, standardizeRows } from '../src/models/knots/model.js';
import { meanSquaredError, pick, slopeOverTwo } from '../src/models/knots/evaluation.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Options {
  rounds: number;
  torch: boolean;
  e2e: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { rounds: 1, torch: true, e2e: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') {
      o.rounds = Number(argv[++i]);
      if (!Number.isInteger(o.rounds) || o.rounds < 1)
        throw new Error(`--rounds: expected a positive integer, got ${argv[i]}`);
    } else if (a === '--no-torch') o.torch = false;
    else if (a === '--no-e2e') o.e2e = false;
    else throw new Error(`unknown option ${a} (known: --rounds, --no-torch, --no-e2e)`);
  }
  return o;
}

interface PeerResult {
  train_s: number;
  epochs: number;
  test_mse: number;
  rows_per_s: number;
  torch: string;
}

function runTorch(npz: string, settings: Record<string, unknown>): PeerResult | { error: string } {
  const script = join(root, 'bench', 'knots_torch.py');
  const r = spawnSync('/usr/bin/python3', [script, npz, JSON.stringify(settings), '2'], {
    encoding: 'utf8',
    timeout: 1_800_000,
  });
  if (r.error || r.status !== 0) {
    const text = `${r.error?.message ?? ''}${r.stderr ?? ''}`;
    if (/No module named 'torch'|No module named 'numpy'|ENOENT/.test(text))
      return { error: 'PyTorch not found for /usr/bin/python3: install it with apt-get install python3-torch' };
    return { error: `torch peer failed: ${text.trim().split('\n').slice(-1)[0]}` };
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerResult;
}

interface EndToEnd {
  wall_s: number;
  max_rss_mb: number | null;
  metrics: {
    metrics: Record<string, number>;
    baseline: Record<string, number>;
    salience: { top_gradient: string[]; top_integrated_gradients: string[] };
  };
}

function runEndToEnd(out: string): EndToEnd | { error: string } {
  const timed = existsSync('/usr/bin/time');
  const args = [join(root, 'bin', 'sciml.js'), 'train', join(root, 'configs', 'knots.yaml'), '--out', out];
  const t0 = performance.now();
  const r = timed
    ? spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB %M', process.execPath, ...args], {
        encoding: 'utf8',
        env: { ...process.env, CI: 'true' },
      })
    : spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) return { error: `sciml train failed: ${(r.stderr ?? '').trim().split('\n').slice(-1)[0]}` };
  const rss = /MAXRSS_KB (\d+)/.exec(r.stderr ?? '');
  return {
    wall_s: wall,
    max_rss_mb: rss ? Number(rss[1]) / 1024 : null,
    metrics: JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')),
  };
}

const fixed = (v: number | null | undefined, digits: number) =>
  v === null || v === undefined ? '-' : v.toFixed(digits);

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const backend = await initBackend('auto');
  const config = knotsSchema.parse({ task: 'knots' });
  const data = await loadData(config);
  const rows = split(config, data, 'bench');
  const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-knots-'));
  const figures: Record<string, number | string | null | string[]> = {};
  const table: [string, string, string, string, string][] = [];
  try {
    const st = fitStandardization(data.columns, rows.train);
    const npz = join(dir, 'split.npz');
    const d = data.features.length;
    const part = (r: Int32Array) => ({ shape: [r.length, d], data: standardizeRows(data.columns, r, st) });
    const target = (r: Int32Array) => ({ shape: [r.length], data: Float32Array.from(pick(data.y, r)) });
    writeNpz(npz, {
      x_train: part(rows.train),
      y_train: target(rows.train),
      x_validation: part(rows.validation),
      y_validation: target(rows.validation),
      x_test: part(rows.test),
      y_test: target(rows.test),
    });
    const settings = {
      seed: config.seed,
      width: config.model.width,
      depth: config.model.depth,
      activation: config.model.activation,
      ...config.training,
    };

    let sciml: { train_s: number; epochs: number; test_mse: number; rows_per_s: number } | undefined;
    let torch: PeerResult | undefined;
    let torchNote = '';
    for (let round = 0; round < o.rounds; round++) {
      const t0 = performance.now();
      const trained = await trainModel(config, data, rows, data.features, config.seed, silentLogger, 'all features');
      const seconds = (performance.now() - t0) / 1000;
      const epochs = trained.fit.history.length;
      const result = {
        train_s: seconds,
        epochs,
        test_mse: evaluateOnTest(trained.model, data, rows).mse,
        rows_per_s: (epochs * rows.train.length) / seconds,
      };
      trained.model.dispose();
      if (!sciml || result.rows_per_s > sciml.rows_per_s) sciml = result;
      if (o.torch && !torchNote) {
        const t = runTorch(npz, settings);
        if ('error' in t) torchNote = t.error;
        else if (!torch || t.rows_per_s > torch.rows_per_s) torch = t;
      }
    }
    const baselineMse = meanSquaredError(slopeOverTwo(data, rows.test), pick(data.y, rows.test));
    table.push([
      `sciml MLP (${backend.name})`,
      fixed(sciml!.rows_per_s, 0),
      fixed(sciml!.train_s, 1),
      String(sciml!.epochs),
      fixed(sciml!.test_mse, 3),
    ]);
    table.push([
      torch ? `PyTorch ${torch.torch} (2 threads)` : 'PyTorch (2 threads)',
      fixed(torch?.rows_per_s, 0),
      fixed(torch?.train_s, 1),
      torch ? String(torch.epochs) : torchNote || 'skipped',
      fixed(torch?.test_mse, 3),
    ]);
    table.push(['slope/2 formula', '', '', '', fixed(baselineMse, 3)]);
    figures.backend = backend.name;
    figures.cores = availableParallelism();
    figures.rows = data.rows;
    figures.sciml_rows_per_s = Math.round(sciml!.rows_per_s);
    figures.sciml_train_s = Number(sciml!.train_s.toFixed(2));
    figures.sciml_epochs = sciml!.epochs;
    figures.sciml_test_mse = Number(sciml!.test_mse.toFixed(4));
    figures.torch_rows_per_s = torch ? Math.round(torch.rows_per_s) : null;
    figures.torch_train_s = torch ? Number(torch.train_s.toFixed(2)) : null;
    figures.torch_test_mse = torch ? Number(torch.test_mse.toFixed(4)) : null;
    figures.ratio = torch ? Number((sciml!.rows_per_s / torch.rows_per_s).toFixed(3)) : null;
    figures.slope_over_2_test_mse = Number(baselineMse.toFixed(4));

    if (o.e2e) {
      const e = runEndToEnd(join(dir, 'run'));
      if ('error' in e) figures.e2e_error = e.error;
      else {
        figures.e2e_wall_s = Number(e.wall_s.toFixed(1));
        figures.e2e_max_rss_mb = e.max_rss_mb === null ? null : Math.round(e.max_rss_mb);
        figures.e2e_test_mse = Number(e.metrics.metrics.test_mse.toFixed(4));
        figures.e2e_top_k_test_mse = Number(e.metrics.metrics.top_k_test_mse.toFixed(4));
        figures.e2e_slope_over_2_test_mse = Number(e.metrics.baseline.test_mse.toFixed(4));
        figures.e2e_top3_gradient = e.metrics.salience.top_gradient.slice(0, 3);
        figures.e2e_top3_integrated_gradients = e.metrics.salience.top_integrated_gradients.slice(0, 3);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`knots: MLP training on ${figures.rows} synthetic knots (default config; ${figures.cores} cores)`);
  console.log(
    `${'trainer'.padEnd(30)}${'rows/s'.padStart(10)}${'train s'.padStart(10)}${'epochs'.padStart(8)}${'test MSE'.padStart(10)}`,
  );
  for (const [name, rate, seconds, epochs, mse] of table)
    console.log(
      `${name.padEnd(30)}${rate.padStart(10)}${seconds.padStart(10)}${epochs.padStart(8)}${mse.padStart(10)}`,
    );
  console.log(`ratio sciml / torch (training rows per second): ${figures.ratio ?? '-'}`);
  if (figures.e2e_wall_s !== undefined) {
    console.log(
      `end to end, sciml train configs/knots.yaml: ${figures.e2e_wall_s} s wall, peak RSS ${figures.e2e_max_rss_mb ?? '-'} MB`,
    );
    console.log(
      `  test MSE ${figures.e2e_test_mse} (top-3 model ${figures.e2e_top_k_test_mse}, slope/2 ${figures.e2e_slope_over_2_test_mse})`,
    );
    console.log(`  top 3 gradient saliency: ${(figures.e2e_top3_gradient as string[]).join(', ')}`);
    console.log(`  top 3 integrated gradients: ${(figures.e2e_top3_integrated_gradients as string[]).join(', ')}`);
  } else if (figures.e2e_error) console.log(`end to end: ${figures.e2e_error}`);
  console.log(JSON.stringify(figures));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
