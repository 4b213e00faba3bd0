/**
 * `npm run bench:tune-models` (long): parts 2 and 3 of the tune benchmark.
 *  2. configs/tune-knots.yaml (<= 10 min): `sciml train` of the winner's best/all/config.yaml against
 *     `sciml train configs/knots.yaml` (the default config), test MSE.
 *  3. configs/tune-denoiser.yaml, three noise segments (<= 30 min; trials train on 3000 traces and validate on 1000, see
 *     its trial_overrides): each segment's winner retrained by `sciml train` against the default
 *     config of that noise, test peak accuracy.
 * Options: --only knots|denoiser. Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const bin = join(root, 'bin', 'sciml.js');
const NOISES = ['measured', 'uniform', 'cosine'];

function sciml(args: string[]): Record<string, any> {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args, '--json'], { cwd: root, env: { ...process.env, CI: 'true' }, encoding: 'utf8', maxBuffer: 64 << 20 });
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

function main(): void {
  const argv = process.argv.slice(2);
  const only = argv[0] === '--only' ? argv[1] : undefined;
  const figures: Record<string, number | string | null> = { bench: 'tune-models' };
  const table: string[][] = [];
  const out = join(root, 'runs', 'bench-tune-models');
  if (!only || only === 'knots') {
    process.stderr.write('bench:tune-models: knots\n');
    const base = sciml(['train', 'configs/knots.yaml', '--out', join(out, 'knots-default')]);
    const tuned = sciml(['tune', 'configs/tune-knots.yaml', '--out', join(out, 'knots-tune')]);
    const winner = sciml(['train', join(tuned.run_dir, 'best', 'all', 'config.yaml'), '--out', join(out, 'knots-winner')]);
    figures.knots_default_test_mse = metricsOf(base.run_dir).test_mse;
    figures.knots_tuned_test_mse = metricsOf(winner.run_dir).test_mse;
    figures.knots_tune_s = tuned.elapsed_s;
    table.push(['knots', 'test MSE', String(figures.knots_default_test_mse), String(figures.knots_tuned_test_mse), `${tuned.trials} trials in ${Number(tuned.elapsed_s).toFixed(0)} s`]);
  }
  if (!only || only === 'denoiser') {
    process.stderr.write('bench:tune-models: denoiser\n');
    const tuned = sciml(['tune', 'configs/tune-denoiser.yaml', '--out', join(out, 'denoiser-tune')]);
    figures.denoiser_tune_s = tuned.elapsed_s;
    for (const noise of NOISES) {
      const base = sciml(['train', `configs/denoiser-${noise}.yaml`, '--out', join(out, `denoiser-${noise}-default`)]);
      const winner = sciml(['train', join(tuned.run_dir, 'best', noise, 'config.yaml'), '--out', join(out, `denoiser-${noise}-winner`)]);
      figures[`denoiser_${noise}_default`] = peakAccuracy(metricsOf(base.run_dir));
      figures[`denoiser_${noise}_tuned`] = peakAccuracy(metricsOf(winner.run_dir));
      table.push([`denoiser ${noise}`, 'test peak accuracy', String(figures[`denoiser_${noise}_default`]), String(figures[`denoiser_${noise}_tuned`]), `${tuned.segments[noise].configurations} trials`]);
    }
  }
  const fmt = (s: string) => (/^-?\d/.test(s) ? Number(s).toFixed(4) : s);
  console.log(`${'model'.padEnd(20)} ${'metric'.padEnd(20)} ${'default'.padStart(9)} ${'tuned'.padStart(9)}  search`);
  for (const [model, metric, d, t, note] of table) console.log(`${model.padEnd(20)} ${metric.padEnd(20)} ${fmt(d).padStart(9)} ${fmt(t).padStart(9)}  ${note}`);
  console.log(JSON.stringify(figures));
}

main();
