/**
 * `npm run bench:tune-models` (long): parts 2 and 3 of the tune benchmark.
 *  2. configs/tune-knots.yaml (<= 10 min): `sciml train` of the winner's best/all/config.yaml against
 *     `sciml train configs/knots.yaml` (the default config), test MSE.
 *  3. configs/tune-denoiser.yaml, three noise segments (<= 30 min; trials train on 3000 traces and validate on 1000, see
 *     its trial_overrides): each segment's winner retrained by `sciml train` against the default
 *     config of that noise, test peak accuracy. The 2000 test traces of `sciml train` resolve about
 *     +-0.6% (one standard error), so both models are also scored by `sciml evaluate` on one common
 *     fresh set of --eval-count traces (default 20000; the same traces for both, from the shared
 *     seed) and compared trace by trace: the paired difference in peak accuracy, its standard
 *     error (McNemar), and the traces only one of the two got right.
 * Options: --only knots|denoiser, --eval-count N (0: skip the common set). Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readArrowFile } from '../src/data/arrow.js';
import { pairedComparison } from '../src/metrics/paired.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const bin = join(root, 'bin', 'sciml.js');
const NOISES = ['measured', 'uniform', 'cosine'];

function sciml(args: string[]): Record<string, any> {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args, '--json'], {
    cwd: root,
    env: { ...process.env, CI: 'true' },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`sciml ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  process.stderr.write(`  sciml ${args.join(' ')}: ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function metricsOf(runDir: string): Record<string, number> {
  return JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')).metrics;
}

function peakAccuracy(m: Record<string, number>): number {
  const key = Object.keys(m).find((k) => /peak_accuracy$/.test(k));
  if (!key) throw new Error(`no peak accuracy in ${JSON.stringify(m)}`);
  return m[key];
}

/** Peak hits per trace id of an evaluation run's predictions.arrow. */
function hitsOf(runDir: string): Map<number, boolean> {
  const table = readArrowFile(join(runDir, 'predictions.arrow'));
  const ids = table.getChild('id')!.toArray() as Int32Array;
  const hits = table.getChild('dae_hit')!;
  return new Map(Array.from(ids, (id, i) => [id, Boolean(hits.get(i))]));
}

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = opt('--only');
  const evalCount = Number(opt('--eval-count') ?? 20000);
  const figures: Record<string, number | string | null> = { bench: 'tune-models' };
  const table: string[][] = [];
  const out = join(root, 'runs', 'bench-tune-models');
  if (!only || only === 'knots') {
    process.stderr.write('bench:tune-models: knots\n');
    const base = sciml(['train', 'configs/knots.yaml', '--out', join(out, 'knots-default')]);
    const tuned = sciml(['tune', 'configs/tune-knots.yaml', '--out', join(out, 'knots-tune')]);
    const winner = sciml([
      'train',
      join(tuned.run_dir, 'best', 'all', 'config.yaml'),
      '--out',
      join(out, 'knots-winner'),
    ]);
    figures.knots_default_test_mse = metricsOf(base.run_dir).test_mse;
    figures.knots_tuned_test_mse = metricsOf(winner.run_dir).test_mse;
    figures.knots_tune_s = tuned.elapsed_s;
    table.push([
      'knots',
      'test MSE',
      String(figures.knots_default_test_mse),
      String(figures.knots_tuned_test_mse),
      `${tuned.trials} trials in ${Number(tuned.elapsed_s).toFixed(0)} s`,
    ]);
  }
  if (!only || only === 'denoiser') {
    process.stderr.write('bench:tune-models: denoiser\n');
    const tuned = sciml(['tune', 'configs/tune-denoiser.yaml', '--out', join(out, 'denoiser-tune')]);
    figures.denoiser_tune_s = tuned.elapsed_s;
    for (const noise of NOISES) {
      const base = sciml(['train', `configs/denoiser-${noise}.yaml`, '--out', join(out, `denoiser-${noise}-default`)]);
      const winner = sciml([
        'train',
        join(tuned.run_dir, 'best', noise, 'config.yaml'),
        '--out',
        join(out, `denoiser-${noise}-winner`),
      ]);
      figures[`denoiser_${noise}_default`] = peakAccuracy(metricsOf(base.run_dir));
      figures[`denoiser_${noise}_tuned`] = peakAccuracy(metricsOf(winner.run_dir));
      table.push([
        `denoiser ${noise}`,
        'test peak accuracy',
        String(figures[`denoiser_${noise}_default`]),
        String(figures[`denoiser_${noise}_tuned`]),
        `${tuned.segments[noise].configurations} trials`,
      ]);
      if (evalCount > 0) {
        const common = ['--set', `data.test_count=${evalCount}`];
        const evalBase = sciml([
          'evaluate',
          base.run_dir,
          ...common,
          '--out',
          join(out, `denoiser-${noise}-default-eval`),
        ]);
        const evalWinner = sciml([
          'evaluate',
          winner.run_dir,
          ...common,
          '--out',
          join(out, `denoiser-${noise}-winner-eval`),
        ]);
        const c = pairedComparison(hitsOf(evalBase.run_dir), hitsOf(evalWinner.run_dir));
        figures[`denoiser_${noise}_default_eval`] = c.a;
        figures[`denoiser_${noise}_tuned_eval`] = c.b;
        figures[`denoiser_${noise}_eval_diff_se`] = c.se;
        table.push([
          `denoiser ${noise}`,
          `peak acc, ${c.n} common`,
          String(c.a),
          String(c.b),
          `tuned - default ${(100 * c.diff).toFixed(2)} +- ${(100 * c.se).toFixed(2)} points (${c.onlyB} traces only tuned hits, ${c.onlyA} only default)`,
        ]);
      }
    }
    if (evalCount > 0) figures.denoiser_eval_count = evalCount;
  }
  const fmt = (s: string) => (/^-?\d/.test(s) ? Number(s).toFixed(4) : s);
  console.log(`${'model'.padEnd(20)} ${'metric'.padEnd(24)} ${'default'.padStart(9)} ${'tuned'.padStart(9)}  search`);
  for (const [model, metric, d, t, note] of table)
    console.log(`${model.padEnd(20)} ${metric.padEnd(24)} ${fmt(d).padStart(9)} ${fmt(t).padStart(9)}  ${note}`);
  console.log(JSON.stringify(figures));
}

main();
