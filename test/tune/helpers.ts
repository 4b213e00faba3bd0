import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { bin, root } from '../helpers/cli.js';

/** A small knots config: synthetic rows, a narrow network, a few epochs per second. */
export const KNOTS_BASE = `task: knots
seed: 42
data:
  synthetic_rows: 2000
model:
  width: 16
  depth: 2
training:
  batch_size: 128
  max_epochs: 9
  patience: 100
`;

export function workdir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-tune-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function tuneYaml(lines: string): string {
  return `tune:\n  base: knots.yaml\n  metric: validation.mse\n${lines}`;
}

/** A seeded successive-halving search of 9 knots configurations, 2 at a time. */
export const HALVING = tuneYaml(`  space:
    training.learning_rate: {loguniform: [1.0e-3, 3.0e-2]}
    model.width: {choice: [8, 16, 32]}
  budget: {min: 1, max: 9}
  scheduler: successive_halving
  sampler: random
  max_trials: 9
  workers: 2
  checkpoint_interval_s: 0
  time_limit_s: 300
  seed: 3
`);

export interface Event {
  ev: string;
  seg?: string;
  run?: number;
  config_index?: number;
  epoch?: number;
  [k: string]: unknown;
}

export function journal(runDir: string): Event[] {
  return readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** leaderboard.arrow as plain rows (without columns that depend on timing). */
export function leaderboardRows(runDir: string): Record<string, unknown>[] {
  const table = tableFromIPC(readFileSync(join(runDir, 'leaderboard.arrow')));
  return table.toArray().map((row: any) => {
    const o = row.toJSON() as Record<string, unknown>;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
  });
}

/**
 * Runs `sciml tune ARGS` (`--out runDir` among them) in a child process and SIGKILLs it once
 * `tells` trials have finished while another is mid-epoch; resolves when the process is gone.
 */
export async function tuneKilledMidTrial(args: string[], runDir: string, tells: number): Promise<void> {
  const child = spawn(process.execPath, [bin, 'tune', ...args], {
    cwd: root,
    env: { ...process.env, CI: 'true' },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (!existsSync(join(runDir, 'trials.jsonl'))) return;
      const ev = journal(runDir);
      const last = ev[ev.length - 1];
      if (ev.filter((e) => e.ev === 'tell').length >= tells && last?.ev === 'epoch') {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error('the tune finished before it could be killed'));
    });
  });
  await exited;
}
