/**
 * `npm run bench:tune`: tuning one gradient-boosting model on the bike data for a wall-clock budget.
 * sciml tune (TPE + ASHA with 3 brackets of asynchronous Hyperband over boosting rounds) against Optuna 3.1 (Debian python3-optuna) TPE +
 * HyperbandPruner tuning scikit-learn's HistGradientBoostingRegressor over the same ranges, and
 * against sciml's random search. The split is bench:tabular's (seeded permutation, 27% train / 73%
 * holdout; instant, dteday, casual, registered dropped); 20% of the training rows validate (the same
 * rows on both sides: the tabular trial's seeded validation split). Each side refits the
 * configuration with its best validation score (at the rounds it was measured at) on all training
 * rows and reports its holdout RMSE, and the time its best-so-far validation RMSE first reached
 * Optuna's final one. sciml's side refits what `sciml tune` answers, best/all/config.yaml: the best
 * 3 by validation RMSE re-ranked by 4-fold cross-validation over the other training rows
 * (tune.rerank, 20% of the time budget); the search's own best validation score is refitted too,
 * to show what the re-ranking changed.
 *
 * Options: --budget S (default 60), --seed N (42), --workers N (2), --min-rounds N (90: rungs at 90, 270
 * and 810 rounds), --rerank-top N (3; 0: no re-ranking), --brackets N (3: asynchronous Hyperband, bracket b
 * starting at rung b; 1: plain ASHA), --no-peer, --no-random.
 * Writes runs/bench-tune/ (the split, the tune runs; the TPE run's report.html carries the random
 * search's curve). Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { tableFromIPC } from 'apache-arrow';
import { Random } from '../src/runtime/random.js';
import { validationSplit } from '../src/models/tabular/data.js';
import { readJournal } from '../src/tune/journal.js';
import { renderTuneReport } from '../src/tune/index.js';
import { bestSoFar, type BestSoFar } from '../src/tune/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const PYTHON = process.env.SCIML_PEER_PYTHON ?? '/usr/bin/python3';
const bin = join(root, 'bin', 'sciml.js');

const SPACE = {
  learning_rate: [0.01, 0.3],
  max_leaf_nodes: [8, 127],
  min_samples_leaf: [5, 99],
  l2_regularization: [1e-6, 10],
  max_bins: [32, 255],
};
/** Boosting rounds of the rungs: ASHA's and Hyperband's (min, min * 3, ..., max). */
let STEPS = [90, 270, 810];
const DROP = ['instant', 'dteday', 'casual', 'registered'];

function parseArgs(argv: string[]) {
  const o = { budget: 60, seed: 42, workers: 2, peer: true, random: true, min: 90, rerankTop: 3, brackets: 3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--budget') o.budget = Number(argv[++i]);
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--workers') o.workers = Number(argv[++i]);
    else if (a === '--no-peer') o.peer = false;
    else if (a === '--no-random') o.random = false;
    else if (a === '--min-rounds') o.min = Number(argv[++i]);
    else if (a === '--rerank-top') o.rerankTop = Number(argv[++i]);
    else if (a === '--brackets') o.brackets = Number(argv[++i]);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function sciml(args: string[]): string {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, CI: 'true' },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`sciml ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

interface SideResult {
  trials: number;
  best_validation_rmse: number;
  holdout_rmse: number;
  /** sciml only: the holdout RMSE of the search's best validation score (before re-ranking). */
  search_winner_holdout_rmse?: number;
  curve: { t: number; best: number }[];
  best: { params: Record<string, unknown>; rounds: number };
}

/**
 * Runs a sciml tune, then refits what the tune itself answers (best/all/config.yaml: the winner's
 * values at the rounds of its last rung) with `sciml train` on all training rows. The best-so-far
 * curve counts the validation scores at rung ends only (90, 270, 810 rounds), the rounds Optuna's
 * trials report at, though sciml's trials score every round.
 */
function runSciml(
  dir: string,
  name: string,
  base: string,
  opts: ReturnType<typeof parseArgs>,
  scheduler: string,
  sampler: string,
): SideResult {
  const tuneFile = join(dir, `tune-${name}.yaml`);
  const space = {
    'model.params.learning_rate': { loguniform: SPACE.learning_rate },
    'model.params.max_leaf_nodes': { randint: [SPACE.max_leaf_nodes[0], SPACE.max_leaf_nodes[1] + 1] },
    'model.params.min_samples_leaf': { randint: [SPACE.min_samples_leaf[0], SPACE.min_samples_leaf[1] + 1] },
    'model.params.l2_regularization': { loguniform: SPACE.l2_regularization },
    'model.params.max_bins': { randint: [SPACE.max_bins[0], SPACE.max_bins[1] + 1] },
  };
  const rerank = { top: opts.rerankTop, folds: 4, reserve: 0.2 };
  const tune = {
    base,
    metric: 'validation.rmse',
    mode: 'min',
    space,
    budget: { field: 'model.params.max_iter', min: STEPS[0], max: STEPS[STEPS.length - 1] },
    scheduler,
    ...(scheduler === 'asha' ? { brackets: opts.brackets } : {}),
    sampler,
    time_limit_s: opts.budget,
    workers: opts.workers,
    seed: opts.seed,
    rerank,
  };
  writeFileSync(tuneFile, stringify({ tune }));
  const out = join(dir, name);
  rmSync(out, { recursive: true, force: true });
  const summary = JSON.parse(sciml(['tune', tuneFile, '--out', out, '--json']));
  const events = readJournal(join(out, 'trials.jsonl'));
  const reports = events.flatMap((e) =>
    e.ev === 'epoch' && STEPS.includes(e.epoch)
      ? [{ t: e.t, metric: e.metrics['validation.rmse'], config: e.config_index, rounds: e.epoch }]
      : [],
  );
  const winnerFile = join(out, 'best', 'all', 'config.yaml');
  const config = parse(readFileSync(winnerFile, 'utf8'));
  const trained = refit(winnerFile, join(dir, `refit-${name}`));
  const params = Object.fromEntries(Object.entries(config.model.params).filter(([k]) => k !== 'max_iter'));
  const bestReport = reports.reduce((a, b) => (b.metric < a.metric ? b : a));
  // What the search alone would have answered: the best validation RMSE at its last rung, refitted the same way.
  const board = tableFromIPC(readFileSync(join(out, 'leaderboard.arrow')))
    .toArray()
    .map((r: any) => r.toJSON() as Record<string, unknown>);
  const byValidation = board
    .filter((r) => Number.isFinite(r['validation.rmse']))
    .sort((a, b) => (a['validation.rmse'] as number) - (b['validation.rmse'] as number))[0];
  let searchWinnerHoldout = trained;
  if (byValidation && byValidation.trial !== summary.segments.all.winner.trial) {
    const alt = structuredClone(config);
    for (const key of Object.keys(SPACE)) alt.model.params[key] = Number(byValidation[`model.params.${key}`]);
    alt.model.params.max_iter = Number(byValidation.epochs);
    const altFile = join(dir, `search-winner-${name}.yaml`);
    writeFileSync(altFile, stringify(alt));
    searchWinnerHoldout = refit(altFile, join(dir, `refit-search-${name}`));
  }
  return {
    trials: summary.trials,
    best_validation_rmse: bestReport.metric,
    holdout_rmse: trained,
    search_winner_holdout_rmse: searchWinnerHoldout,
    curve: bestSoFar(reports, 'min'),
    best: { params, rounds: config.model.params.max_iter },
  };
}

/** Holdout RMSE of `sciml train CONFIG` (all training rows). */
function refit(configFile: string, out: string): number {
  const trained = JSON.parse(sciml(['train', configFile, '--out', out, '--json']));
  rmSync(out, { recursive: true, force: true });
  return trained.metrics.rmse;
}

function firstReach(curve: { t: number; best: number }[], target: number): number | null {
  return curve.find((p) => p.best <= target)?.t ?? null;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  STEPS = [];
  for (let r = opts.min; r < 810; r *= 3) STEPS.push(r);
  STEPS.push(810);
  const dir = join(root, 'runs', 'bench-tune');
  mkdirSync(dir, { recursive: true });
  const lines = readFileSync(join(root, 'data', 'bikes', 'hour.csv'), 'utf8')
    .trim()
    .split('\n');
  const header = lines[0];
  const rows = lines.slice(1);
  const perm = new Random(opts.seed).permutation(rows.length);
  const nTrain = Math.round(0.27 * rows.length);
  const train = Int32Array.from(perm.subarray(0, nTrain)).sort();
  const holdout = Int32Array.from(perm.subarray(nTrain)).sort();
  const trainCsv = join(dir, 'train.csv');
  const holdoutCsv = join(dir, 'holdout.csv');
  writeFileSync(trainCsv, [header, ...Array.from(train, (i) => rows[i])].join('\n') + '\n');
  writeFileSync(holdoutCsv, [header, ...Array.from(holdout, (i) => rows[i])].join('\n') + '\n');
  const validation = validationSplit(train.length, 0.2, opts.seed, 'bench:tune').validation;
  const base = join(dir, 'base.yaml');
  writeFileSync(
    base,
    stringify({
      task: 'tabular',
      seed: opts.seed,
      data: { path: trainCsv, test_path: holdoutCsv, target: 'cnt', drop: DROP },
      features: { expand_dates: false, drop_id_like: false, log_target: 'never' },
      model: { learner: 'gbm', params: {} },
      validation: { fraction: 0.2 },
    }),
  );
  process.stderr.write(
    `bench:tune: ${train.length} train (${validation.length} validate) / ${holdout.length} holdout rows, ${opts.budget} s per search, ${opts.workers} workers\n`,
  );

  let optuna: (SideResult & { note?: string }) | undefined;
  let peerNote: string | undefined;
  if (opts.peer) {
    const jobFile = join(dir, 'optuna-job.json');
    writeFileSync(
      jobFile,
      JSON.stringify({
        train_csv: trainCsv,
        holdout_csv: holdoutCsv,
        target: 'cnt',
        drop: DROP,
        validation_rows: Array.from(validation),
        steps: STEPS,
        space: SPACE,
        seed: opts.seed,
        budget_s: opts.budget,
      }),
    );
    process.stderr.write('bench:tune: Optuna TPE + Hyperband ...\n');
    const r = spawnSync(PYTHON, [join(root, 'bench', 'tune_optuna.py'), jobFile], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: String(opts.workers), PYTHONPATH: join(root, 'bench') },
      maxBuffer: 64 << 20,
    });
    if (r.status === 0) {
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      optuna = {
        trials: out.trials,
        best_validation_rmse: out.best_validation_rmse,
        holdout_rmse: out.holdout_rmse,
        curve: bestSoFar(
          out.reports.map((p: { t: number; rmse: number }) => ({ t: p.t, metric: p.rmse })),
          'min',
        ),
        best: { params: out.best.params, rounds: out.best.rounds },
      };
    } else
      peerNote = `Optuna peer failed or missing (apt-get install python3-optuna python3-sklearn): ${r.stderr.trim().split('\n').slice(-1)[0] ?? r.error?.message}`;
  }
  process.stderr.write('bench:tune: sciml TPE + ASHA ...\n');
  const tpe = runSciml(dir, 'tpe-asha', base, opts, 'asha', 'tpe');
  process.stderr.write('bench:tune: sciml random search ...\n');
  const random = opts.random
    ? runSciml(dir, 'random', base, opts, 'random', 'random')
    : { trials: 0, best_validation_rmse: NaN, holdout_rmse: NaN, curve: [], best: { params: {}, rounds: 0 } };
  const curves: BestSoFar[] = [
    { name: 'random search', points: random.curve },
    ...(optuna ? [{ name: 'Optuna TPE+Hyperband (sklearn HGB)', points: optuna.curve }] : []),
  ];
  let reportNote = `report with all three best-so-far curves: ${join(dir, 'tpe-asha', 'report.html')}`;
  try {
    await renderTuneReport(join(dir, 'tpe-asha'), curves);
  } catch (err) {
    reportNote = `the report with the reference curves was not written: ${(err as Error).message.split('\n')[0]}`;
  }

  const target = optuna?.best_validation_rmse;
  const rowsOut = [
    ['sciml TPE + ASHA', tpe],
    ['sciml random search', random],
    ...(optuna ? [['Optuna TPE + Hyperband (sklearn HGB)', optuna] as const] : []),
  ] as const;
  const fmt = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? '-' : v.toFixed(d));
  console.log(
    `${'search'.padEnd(38)} ${'trials'.padStart(7)} ${'best val RMSE'.padStart(14)} ${'holdout RMSE'.padStart(13)} ${'s to Optuna best'.padStart(17)}  best rounds`,
  );
  for (const [name, r] of rowsOut)
    console.log(
      `${name.padEnd(38)} ${String(r.trials).padStart(7)} ${fmt(r.best_validation_rmse).padStart(14)} ${fmt(r.holdout_rmse).padStart(13)} ${fmt(target === undefined ? null : firstReach(r.curve, target), 1).padStart(17)}  ${r.best.rounds}`,
    );
  if (opts.rerankTop > 0)
    console.log(
      `sciml TPE + ASHA: the search's best validation score refits to holdout RMSE ${fmt(tpe.search_winner_holdout_rmse)}; re-ranked by cross-validation, ${fmt(tpe.holdout_rmse)}`,
    );
  if (peerNote) console.log(peerNote);
  console.log(reportNote);
  const figures = {
    bench: 'tune',
    budget_s: opts.budget,
    workers: opts.workers,
    sciml_holdout_rmse: tpe.holdout_rmse,
    sciml_search_winner_holdout_rmse: tpe.search_winner_holdout_rmse,
    sciml_rerank_top: opts.rerankTop,
    sciml_brackets: opts.brackets,
    optuna_holdout_rmse: optuna?.holdout_rmse ?? null,
    random_holdout_rmse: random.holdout_rmse,
    sciml_trials: tpe.trials,
    optuna_trials: optuna?.trials ?? null,
    random_trials: random.trials,
    sciml_best_validation_rmse: tpe.best_validation_rmse,
    optuna_best_validation_rmse: optuna?.best_validation_rmse ?? null,
    random_best_validation_rmse: random.best_validation_rmse,
    sciml_s_to_optuna_best: target === undefined ? null : firstReach(tpe.curve, target),
    random_s_to_optuna_best: target === undefined ? null : firstReach(random.curve, target),
  };
  console.log(JSON.stringify(figures));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
