/** The knots family on the shared mechanism: 2 local replicas train the MLP and beat the baseline. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sciml } from '../helpers/cli.js';

test('knots trains on 2 local replicas: every round averages both, the validation loss falls, run.json and the report show the rounds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-distributed-knots-'));
  try {
    writeFileSync(
      join(dir, 'knots.yaml'),
      'task: knots\nseed: 2\ndata:\n  synthetic_rows: 3000\ntraining:\n  learning_rate: 0.006\n  batch_size: 128\n  max_epochs: 8\n  patience: 8\n  distributed:\n    replicas: 2\nsalience:\n  steps: 4\n  examples: 100\n  top_k: 0\n',
    );
    const run = join(dir, 'run');
    const r = sciml(['--json', 'train', join(dir, 'knots.yaml'), '--out', run]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Number.isFinite(JSON.parse(r.stdout).test_mse));
    const rounds = JSON.parse(readFileSync(join(run, 'rounds-full.json'), 'utf8')) as {
      rounds: { replicas: number; jobs: unknown[]; val_loss: number }[];
    };
    const losses = rounds.rounds.map((x) => x.val_loss);
    assert.ok(
      losses[losses.length - 1] < 0.4 * losses[0],
      `validation loss fell: ${losses.map((l) => l.toFixed(3)).join(' ')}`,
    );
    assert.equal(rounds.rounds.length, 8);
    assert.ok(rounds.rounds.every((x) => x.replicas === 2 && x.jobs.length === 2));
    const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    assert.equal(info.distributed.full.replicas, 2);
    assert.equal(info.distributed.full.rounds, 8);
    assert.equal(
      Object.values(info.distributed.full.workers as Record<string, number>).reduce((a, b) => a + b, 0),
      16,
      'every replica job is attributed to a worker',
    );
    const report = readFileSync(join(run, 'report.html'), 'utf8');
    assert.match(report, /Distributed training: all features/);
    assert.match(report, /Worker timeline/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
