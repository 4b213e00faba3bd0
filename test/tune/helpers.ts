import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';

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
  return readFileSync(join(runDir, 'trials.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** leaderboard.arrow as plain rows (without columns that depend on timing). */
export function leaderboardRows(runDir: string): Record<string, unknown>[] {
  const table = tableFromIPC(readFileSync(join(runDir, 'leaderboard.arrow')));
  return table.toArray().map((row: any) => {
    const o = row.toJSON() as Record<string, unknown>;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
  });
}
