/**
 * `npm run bench:automl`: `sciml automl` on the bike sharing data (data/bikes/hour.csv), the
 * published protocol: target cnt, casual and registered dropped (they add up to cnt), 27% train /
 * 73% test. In the same invocation, on the same split (sciml's holdout rows, handed to Debian's
 * /usr/bin/python3 in a temp file), the peer: a scikit-learn StackingRegressor over tuned
 * HistGradientBoosting, XGBoost, random forest, extra trees and ridge (bench/automl_peer.py; it
 * sees the numeric columns less instant and dteday, as in the published protocol).
 *
 * Options: --time-limit S (default 120), --seed N (default 42), --workers N, --no-peer, --data PATH.
 * Prints a table, then one JSON line: sciml_rmse, peer_rmse, sciml_s, peer_s, ...
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const PYTHON = '/usr/bin/python3';

interface Options {
  timeLimit: number;
  seed: number;
  workers?: number;
  peer: boolean;
  data: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { timeLimit: 120, seed: 42, peer: true, data: join(root, 'data', 'bikes', 'hour.csv') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--time-limit') opts.timeLimit = Number(argv[++i]);
    else if (a === '--seed') opts.seed = Number(argv[++i]);
    else if (a === '--workers') opts.workers = Number(argv[++i]);
    else if (a === '--no-peer') opts.peer = false;
    else if (a === '--data') opts.data = resolve(argv[++i]);
    else throw new Error(`bench:automl: unknown option ${a}`);
  }
  return opts;
}

function peerProblem(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy, scipy, sklearn, xgboost'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found (apt-get install python3 python3-sklearn python3-xgboost)`;
  if (probe.status !== 0) {
    const missing = /No module named '([^']+)'/.exec(probe.stderr)?.[1] ?? 'a module';
    return `${PYTHON} lacks ${missing} (apt-get install python3-sklearn python3-xgboost)`;
  }
  return undefined;
}

function fmt(v: number | undefined, digits = 2): string {
  return v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const out = join(root, 'runs', 'bench-automl', `sciml-seed${opts.seed}`);
  rmSync(out, { recursive: true, force: true }); // the bench's own run of an earlier time: a run is never written over
  const args = [
    join(root, 'bin', 'sciml.js'),
    '--json',
    'automl',
    opts.data,
    '--target',
    'cnt',
    '--drop',
    'casual,registered',
    '--time-limit',
    String(opts.timeLimit),
    '--train-fraction',
    '0.27',
    '--seed',
    String(opts.seed),
    '--out',
    out,
  ];
  if (opts.workers) args.push('--workers', String(opts.workers));
  process.stderr.write(`sciml: ${['sciml', ...args.slice(2)].join(' ')}\n`);
  const t0 = performance.now();
  const run = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  const scimlSeconds = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`sciml automl failed (exit ${run.status})`);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
  const runDir: string = summary.run_dir;
  const predictions = tableFromIPC(readFileSync(join(runDir, 'predictions.arrow')));
  const holdout = Array.from(predictions.getChild('row')!.toArray() as Int32Array);
  const rows = readFileSync(opts.data, 'utf8').trim().split('\n').length - 1;
  const inHoldout = new Uint8Array(rows);
  for (const r of holdout) inHoldout[r] = 1;
  const train: number[] = [];
  for (let i = 0; i < rows; i++) if (!inHoldout[i]) train.push(i);

  let peer: {
    rmse?: number;
    seconds?: number;
    tune_s?: number;
    stack_s?: number;
    members?: Record<string, number>;
    error?: string;
  } = {};
  let peerNote = '';
  if (!opts.peer) peerNote = 'peer skipped (--no-peer)';
  else {
    const problem = peerProblem();
    if (problem) peerNote = `peer not run: ${problem}`;
    else {
      const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-automl-'));
      try {
        const job = join(dir, 'job.json');
        writeFileSync(
          job,
          JSON.stringify({
            csv: opts.data,
            target: 'cnt',
            drop: ['instant', 'dteday', 'casual', 'registered'],
            train,
            test: holdout,
            seed: opts.seed,
            jobs: opts.workers ?? 2,
          }),
        );
        process.stderr.write(
          `peer: ${PYTHON} bench/automl_peer.py (sklearn stack over tuned HGB, XGBoost, RF, ET, ridge)\n`,
        );
        const t1 = performance.now();
        const res = spawnSync(PYTHON, [join(root, 'bench', 'automl_peer.py'), job], {
          encoding: 'utf8',
          maxBuffer: 1 << 26,
        });
        const wall = (performance.now() - t1) / 1000;
        if (res.status !== 0) peerNote = `peer failed: ${res.stderr.trim().split('\n').slice(-1)[0]}`;
        else {
          peer = JSON.parse(res.stdout.trim().split('\n').pop()!);
          if (peer.error) peerNote = `peer not run: ${peer.error} (apt-get install python3-sklearn python3-xgboost)`;
          else peer.seconds = wall;
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }

  // Compact deploy: the same model with every fold model kept (bagged), from the same search, and how the refit went.
  const metricsFile = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
  const deploy = {
    baggedRmse: metricsFile.bagged_metrics?.rmse as number | undefined,
    refitS: metricsFile.refit_s as number | undefined,
    keptBagged: (metricsFile.bagged_members ?? []).length as number,
  };
  const sciml = {
    rmse: summary.metrics.rmse as number,
    baseline: summary.baseline.rmse as number,
    final: summary.final_model as string,
    trials: summary.trials as number,
    modelMb: summary.model_bytes / 1e6,
    predictRssMb: summary.predict_peak_rss_bytes === null ? null : summary.predict_peak_rss_bytes / 1e6,
  };
  const lines = [
    `bike sharing, hourly: ${train.length} train / ${holdout.length} test rows (27% / 73%, seed ${opts.seed}); time limit ${opts.timeLimit} s`,
    '',
    `${'system'.padEnd(44)}  ${'test RMSE'.padStart(9)}  ${'wall s'.padStart(7)}  ${'model MB'.padStart(8)}  ${'predict RSS MB'.padStart(14)}`,
    `${`sciml automl (${sciml.final}, ${sciml.trials} trials)`.padEnd(44)}  ${fmt(sciml.rmse).padStart(9)}  ${fmt(scimlSeconds, 1).padStart(7)}  ${fmt(sciml.modelMb, 1).padStart(8)}  ${(sciml.predictRssMb === null ? '-' : fmt(sciml.predictRssMb, 1)).padStart(14)}`,
    `${`  same model, every fold model kept (bagged)`.padEnd(44)}  ${fmt(deploy.baggedRmse).padStart(9)}`,
    `${'  best single sciml model'.padEnd(44)}  ${fmt(sciml.baseline).padStart(9)}  ${''.padStart(7)}`,
    `${'sklearn stack (tuned HGB/XGB/RF/ET + ridge)'.padEnd(44)}  ${fmt(peer.rmse).padStart(9)}  ${fmt(peer.seconds, 1).padStart(7)}`,
    ...Object.entries(peer.members ?? {}).map(
      ([name, v]) => `${`  peer member ${name}`.padEnd(44)}  ${fmt(v).padStart(9)}`,
    ),
  ];
  if (deploy.refitS !== undefined)
    lines.push(
      '',
      `deploy ${summary.deploy}: refit ${fmt(deploy.refitS, 1)} s${deploy.keptBagged ? `, ${deploy.keptBagged} members kept bagged (no time left)` : ''}; time limit held: ${scimlSeconds <= opts.timeLimit ? 'yes' : `no (${fmt(scimlSeconds - opts.timeLimit, 1)} s over)`}`,
    );
  if (peerNote) lines.push('', peerNote);
  if (peer.rmse !== undefined)
    lines.push(
      '',
      `sciml / peer RMSE: ${(sciml.rmse / peer.rmse).toFixed(3)} (below 1 is better); time limit held: ${scimlSeconds <= opts.timeLimit + 5 ? 'yes' : 'no'}`,
    );
  process.stdout.write(lines.join('\n') + '\n');
  process.stdout.write(
    JSON.stringify({
      sciml_rmse: sciml.rmse,
      peer_rmse: peer.rmse ?? null,
      sciml_s: scimlSeconds,
      peer_s: peer.seconds ?? null,
      sciml_baseline_rmse: sciml.baseline,
      sciml_final_model: sciml.final,
      sciml_trials: sciml.trials,
      sciml_model_mb: sciml.modelMb,
      sciml_predict_rss_mb: sciml.predictRssMb,
      sciml_deploy: summary.deploy,
      sciml_bagged_rmse: deploy.baggedRmse ?? null,
      sciml_refit_s: deploy.refitS ?? null,
      sciml_members_kept_bagged: deploy.keptBagged,
      time_limit_s: opts.timeLimit,
      train_rows: train.length,
      test_rows: holdout.length,
      seed: opts.seed,
      run_dir: runDir,
    }) + '\n',
  );
}

main();
