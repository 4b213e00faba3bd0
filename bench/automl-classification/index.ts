/**
 * `npm run bench:automl-classification`: `sciml automl` on four classification data sets against
 * scikit-learn's StackingClassifier (HistGradientBoosting, RandomForest(300), ExtraTrees(300), a
 * logistic final estimator, cv 5; bench/automl-classification/peer.py on Debian's /usr/bin/python3),
 * in the same invocation and on the same splits: stratified 75/25 (scikit-learn's
 * train_test_split, seed 42) for breast cancer, wine and digits; the customary first 16,000 /
 * last 4,000 rows for letter. Both see the same train.csv / test.csv (sciml through --test).
 *
 * Goal (issue 13): letter accuracy >= 0.972 and log loss <= 0.10 with --time-limit 120; on the
 * others accuracy >= the peer's and log loss <= the peer's.
 *
 * Options: --time-limit S (letter, default 120), --small-time-limit S (the others, default 60),
 * --seed N (42), --workers N, --only a,b, --no-peer, --letter PATH.
 * Prints a table, then one JSON line: <name>_accuracy, <name>_log_loss, <name>_s, <name>_model_mb (the saved
 * model folder), <name>_predict_rss_mb (peak RSS of predicting the test rows with it), <name>_peer_accuracy,
 * <name>_peer_log_loss, <name>_peer_s for breast_cancer, wine, digits, letter; with the compact deploy also
 * <name>_bagged_accuracy / _bagged_log_loss (the same model with every fold model kept), <name>_refit_s and
 * <name>_members_kept_bagged (members whose refit did not fit in the time limit).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const PYTHON = '/usr/bin/python3';
const PEER = join(root, 'bench', 'automl-classification', 'peer.py');

interface DataSet {
  name: string;
  file: string;
  target: string;
  split: 'stratified' | 'letter';
}

interface Options {
  timeLimit: number;
  smallTimeLimit: number;
  seed: number;
  workers?: number;
  only?: string[];
  peer: boolean;
  letter?: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { timeLimit: 120, smallTimeLimit: 60, seed: 42, peer: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--time-limit') opts.timeLimit = Number(argv[++i]);
    else if (a === '--small-time-limit') opts.smallTimeLimit = Number(argv[++i]);
    else if (a === '--seed') opts.seed = Number(argv[++i]);
    else if (a === '--workers') opts.workers = Number(argv[++i]);
    else if (a === '--only') opts.only = argv[++i].split(',');
    else if (a === '--no-peer') opts.peer = false;
    else if (a === '--letter') opts.letter = resolve(argv[++i]);
    else throw new Error(`bench:automl-classification: unknown option ${a}`);
  }
  return opts;
}

/** letter.csv is not bundled (see data/classification/ABOUT.md): the shared data folder. */
function letterPath(given: string | undefined): string | undefined {
  const candidates = given
    ? [given]
    : [
        resolve(root, '..', 'shared', 'data', 'classification', 'letter.csv'),
        resolve(root, '..', '..', 'shared', 'data', 'classification', 'letter.csv'),
        '/work/shared/data/classification/letter.csv',
      ];
  return candidates.find((p) => existsSync(p));
}

function peerProblem(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy, sklearn'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found (apt-get install python3 python3-sklearn)`;
  if (probe.status !== 0)
    return `${PYTHON} lacks ${/No module named '([^']+)'/.exec(probe.stderr)?.[1] ?? 'a module'} (apt-get install python3-sklearn)`;
  return undefined;
}

function python(job: Record<string, unknown>, dir: string): Record<string, unknown> {
  const path = join(dir, `job-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(job));
  const res = spawnSync(PYTHON, [PEER, path], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (res.status !== 0) return { error: res.stderr.trim().split('\n').slice(-1)[0] };
  return JSON.parse(res.stdout.trim().split('\n').pop()!);
}

/** A deterministic stratified 75/25 split for when the peer (and its train_test_split) is absent. */
function fallbackSplit(labels: string[], seed: number): { train: number[]; test: number[] } {
  const byClass = new Map<string, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  const train: number[] = [];
  const test: number[] = [];
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (const rows of byClass.values()) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    const nTest = Math.round(0.25 * rows.length);
    rows.forEach((r, k) => (k < nTest ? test : train).push(r));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

function fmt(v: unknown, digits = 4): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-';
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const letter = letterPath(opts.letter);
  const sets: DataSet[] = [
    {
      name: 'breast_cancer',
      file: join(root, 'data', 'classification', 'breast_cancer.csv'),
      target: 'diagnosis',
      split: 'stratified' as const,
    },
    {
      name: 'wine',
      file: join(root, 'data', 'classification', 'wine.csv'),
      target: 'cultivar',
      split: 'stratified' as const,
    },
    {
      name: 'digits',
      file: join(root, 'data', 'classification', 'digits.csv'),
      target: 'digit',
      split: 'stratified' as const,
    },
    ...(letter ? [{ name: 'letter', file: letter, target: 'letter', split: 'letter' as const }] : []),
  ].filter((d) => !opts.only || opts.only.includes(d.name));
  const notes: string[] = [];
  if (!letter)
    notes.push(
      'letter.csv not found (expected ../shared/data/classification/letter.csv or --letter PATH): letter skipped',
    );
  const peerNote = opts.peer ? peerProblem() : 'peer skipped (--no-peer)';
  if (peerNote) notes.push(peerNote);
  const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-cls-'));
  const runs = join(root, 'runs', 'bench-automl-classification');
  mkdirSync(runs, { recursive: true });
  const result: Record<string, unknown> = {};
  const rows: string[][] = [];
  try {
    for (const set of sets) {
      const lines = readFileSync(set.file, 'utf8').trim().split('\n');
      const header = lines[0];
      const body = lines.slice(1);
      const targetIndex = header.split(',').indexOf(set.target);
      const labels = body.map((l) => l.split(',')[targetIndex]);
      let split: { train: number[]; test: number[] };
      let splitBy = 'first 16,000 / last 4,000 rows';
      if (set.split === 'letter') {
        split = { train: body.slice(0, 16000).map((_, i) => i), test: body.slice(16000).map((_, i) => 16000 + i) };
      } else if (!peerNote) {
        split = python(
          { csv: set.file, target: set.target, mode: 'split', seed: opts.seed },
          dir,
        ) as unknown as typeof split;
        splitBy = `stratified 75/25 (sklearn train_test_split, seed ${opts.seed})`;
      } else {
        split = fallbackSplit(labels, opts.seed);
        splitBy = `stratified 75/25 (built-in, seed ${opts.seed}; sklearn absent)`;
      }
      const trainCsv = join(dir, `${set.name}-train.csv`);
      const testCsv = join(dir, `${set.name}-test.csv`);
      writeFileSync(trainCsv, [header, ...split.train.map((i) => body[i])].join('\n') + '\n');
      writeFileSync(testCsv, [header, ...split.test.map((i) => body[i])].join('\n') + '\n');
      const limit = set.name === 'letter' ? opts.timeLimit : opts.smallTimeLimit;
      const out = join(runs, `${set.name}-seed${opts.seed}`);
      rmSync(out, { recursive: true, force: true });
      const args = [
        join(root, 'bin', 'sciml.js'),
        '--json',
        'automl',
        trainCsv,
        '--test',
        testCsv,
        '--target',
        set.target,
        '--time-limit',
        String(limit),
        '--seed',
        String(opts.seed),
        '--out',
        out,
      ];
      if (opts.workers) args.push('--workers', String(opts.workers));
      process.stderr.write(
        `${set.name}: ${split.train.length} train / ${split.test.length} test rows, ${splitBy}; sciml automl --time-limit ${limit}\n`,
      );
      const t0 = performance.now();
      const run = spawnSync(process.execPath, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 26,
      });
      const seconds = (performance.now() - t0) / 1000;
      if (run.status !== 0) throw new Error(`sciml automl on ${set.name} failed (exit ${run.status})`);
      const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
      result[`${set.name}_accuracy`] = summary.metrics.accuracy;
      result[`${set.name}_log_loss`] = summary.metrics.log_loss;
      result[`${set.name}_s`] = seconds;
      result[`${set.name}_final_model`] = summary.final_model;
      result[`${set.name}_model_mb`] = summary.model_bytes / 1e6;
      result[`${set.name}_predict_rss_mb`] =
        summary.predict_peak_rss_bytes === null ? null : summary.predict_peak_rss_bytes / 1e6;
      // Compact deploy: the same model with every fold model kept (bagged), from the same search, and how the refit went.
      const metricsFile = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
      result[`${set.name}_bagged_accuracy`] = metricsFile.bagged_metrics?.accuracy ?? null;
      result[`${set.name}_bagged_log_loss`] = metricsFile.bagged_metrics?.log_loss ?? null;
      result[`${set.name}_refit_s`] = metricsFile.refit_s ?? null;
      result[`${set.name}_members_kept_bagged`] = (metricsFile.bagged_members ?? []).length;
      let peer: Record<string, unknown> = {};
      if (!peerNote) {
        process.stderr.write(
          `${set.name}: peer ${PYTHON} bench/automl-classification/peer.py (StackingClassifier HGB + RF300 + ET300, logistic, cv 5)\n`,
        );
        const t1 = performance.now();
        peer = python(
          {
            csv: set.file,
            target: set.target,
            mode: 'fit',
            seed: opts.seed,
            jobs: opts.workers ?? 2,
            train: split.train,
            test: split.test,
          },
          dir,
        );
        const wall = (performance.now() - t1) / 1000;
        if (peer.error) notes.push(`peer on ${set.name} failed: ${peer.error}`);
        else peer.seconds = wall;
      }
      result[`${set.name}_peer_accuracy`] = peer.accuracy ?? null;
      result[`${set.name}_peer_log_loss`] = peer.log_loss ?? null;
      result[`${set.name}_peer_s`] = peer.seconds ?? null;
      const goal =
        set.name === 'letter'
          ? summary.metrics.accuracy >= 0.972 && summary.metrics.log_loss <= 0.1
          : typeof peer.accuracy === 'number'
            ? summary.metrics.accuracy >= (peer.accuracy as number) &&
              summary.metrics.log_loss <= (peer.log_loss as number)
            : null;
      result[`${set.name}_goal_met`] = goal;
      const mb = (b: number | null) => (b === null ? '-' : (b / 1e6).toFixed(1));
      rows.push([
        set.name,
        fmt(summary.metrics.accuracy),
        fmt(summary.metrics.log_loss),
        `${fmt(metricsFile.bagged_metrics?.accuracy)} / ${fmt(metricsFile.bagged_metrics?.log_loss)}`,
        fmt(seconds, 1),
        fmt(metricsFile.refit_s, 1),
        mb(summary.model_bytes),
        mb(summary.predict_peak_rss_bytes),
        fmt(peer.accuracy),
        fmt(peer.log_loss),
        fmt(peer.seconds, 1),
        goal === null ? '-' : goal ? 'yes' : 'no',
        String(summary.final_model),
      ]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const head = [
    'data set',
    'accuracy',
    'log loss',
    'bagged acc / loss',
    'wall s',
    'refit s',
    'model MB',
    'predict RSS MB',
    'peer acc',
    'peer loss',
    'peer s',
    'goal',
    'sciml final model',
  ];
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (j === 0 || j === cells.length - 1 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
  const text = [
    `sciml automl vs scikit-learn StackingClassifier (HGB, RF 300, ET 300; logistic; cv 5); time limit ${opts.timeLimit} s (letter), ${opts.smallTimeLimit} s (others)`,
    'goal: letter accuracy >= 0.972 and log loss <= 0.10; others: accuracy >= peer and log loss <= peer',
    '',
    line(head),
    ...rows.map(line),
    ...(notes.length ? ['', ...notes] : []),
  ];
  process.stdout.write(text.join('\n') + '\n');
  process.stdout.write(
    JSON.stringify({
      ...result,
      time_limit_s: opts.timeLimit,
      small_time_limit_s: opts.smallTimeLimit,
      seed: opts.seed,
    }) + '\n',
  );
}

main();
