/**
 * `npm run bench:ui`: how long `sciml ui` takes to list a folder of 1,000 runs (goal: <= 1 s), over
 * real HTTP on loopback, as the browser's runs table asks for it:
 *   cold   - the first listing after start (every run.json / metrics.json read),
 *   warm   - a listing after the refresh interval with nothing changed (stat calls only),
 *   one new - a listing after one more run appeared (one summary read).
 * Runs are written by the bench (run.json, config.yaml, metrics.json, history.json, charts/),
 * a tenth of them tune trials nested 4 levels deep. Options: --runs N (1000), --rounds N (5).
 * Prints a table, then one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildUiApp } from '../src/ui/http.js';
import { writeRun } from '../test/ui/fixtures.js';
import { option } from './options.js';

const count = option('--runs', 1000);
const rounds = option('--rounds', 5);
const work = mkdtempSync(join(tmpdir(), 'sciml-bench-ui-'));
const TASKS = ['knots', 'denoiser', 'tabular', 'automl'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(url: string): Promise<{ seconds: number; runs: number }> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, { headers: { host: '127.0.0.1' } });
  const body = (await res.json()) as { runs: unknown[] };
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, runs: body.runs.length };
}

async function main(): Promise<void> {
  const root = join(work, 'runs');
  const tStart = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const task = TASKS[i % TASKS.length];
    const dir =
      i % 10 === 9
        ? join(root, `tune-${Math.floor(i / 100)}`, 'trials', 'all', String(i))
        : join(root, `${task}-${String(i).padStart(5, '0')}`);
    writeRun(dir, {
      task,
      mse: 1 + (i % 17) / 10,
      width: 16 << (i % 3),
      epochs: 5,
      tags: i % 7 === 0 ? { team: 'a' } : undefined,
      chart: i % 5 === 0,
    });
  }
  const writeSeconds = Number(process.hrtime.bigint() - tStart) / 1e9;
  const cold: number[] = [];
  const warm: number[] = [];
  const oneNew: number[] = [];
  let listed = 0;
  for (let r = 0; r < rounds; r++) {
    // A fresh server each round: the cold figure includes reading every summary.
    const { app } = buildUiApp({ dir: root, host: '127.0.0.1' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/runs`;
    const c = await timed(url);
    cold.push(c.seconds);
    listed = c.runs;
    await new Promise((done) => setTimeout(done, 350));
    warm.push((await timed(url)).seconds);
    writeRun(join(root, `new-${r}`), { task: 'knots' });
    await new Promise((done) => setTimeout(done, 350));
    const n = await timed(url);
    oneNew.push(n.seconds);
    if (n.runs !== listed + 1) throw new Error(`expected ${listed + 1} runs after adding one, listed ${n.runs}`);
    rmSync(join(root, `new-${r}`), { recursive: true });
    await app.close();
  }
  const rows = [
    ['listing', 'median s', 'max s'],
    ['cold (first, every summary read)', median(cold).toFixed(3), Math.max(...cold).toFixed(3)],
    ['warm (nothing changed)', median(warm).toFixed(3), Math.max(...warm).toFixed(3)],
    ['one new run', median(oneNew).toFixed(3), Math.max(...oneNew).toFixed(3)],
  ];
  process.stdout.write(
    `sciml ui: GET /api/runs on ${listed} run directories (${rounds} rounds; fixtures written in ${writeSeconds.toFixed(1)} s)\n`,
  );
  for (const r of rows) process.stdout.write(`${r[0].padEnd(34)} ${r[1].padStart(9)} ${r[2].padStart(9)}\n`);
  const goal = Math.max(...cold) <= 1;
  process.stdout.write(`goal (every listing <= 1 s, cold included): ${goal ? 'met' : 'missed'}\n`);
  process.stdout.write(
    JSON.stringify({
      bench: 'ui',
      runs: listed,
      rounds,
      cold_s: median(cold),
      cold_max_s: Math.max(...cold),
      warm_s: median(warm),
      one_new_s: median(oneNew),
      goal_s: 1,
      goal_met: goal,
    }) + '\n',
  );
  rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  rmSync(work, { recursive: true, force: true });
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
