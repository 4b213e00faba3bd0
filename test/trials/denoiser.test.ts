import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { denoiserSchema } from '../../src/models/denoiser/config.js';
import { denoiserTrial } from '../../src/models/denoiser/trial.js';
import { readDriverState } from '../../src/distributed/checkpoint.js';
import { initBackend } from '../../src/runtime/backend.js';
import { isUserError } from '../../src/runtime/errors.js';
import { runInSteps, tempDir } from './helpers.js';

const dir = tempDir('denoiser');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const config = denoiserSchema.parse({
  task: 'denoiser',
  seed: 5,
  data: { simulation: { noise: 'uniform', length: 64, snr_min: 3 }, train_count: 160, test_count: 10 },
  model: { filters: [4, 4], kernel_size: 5 },
  training: { epochs: 30, batch_size: 32, learning_rate: 0.005, patience: 0 },
});

test('a denoiser trial continued from its checkpoint matches one trained straight to the budget', async () => {
  await initBackend('auto');
  const straight = await runInSteps(denoiserTrial, config, join(dir, 'straight'), [4], 5);
  const stepped = await runInSteps(denoiserTrial, config, join(dir, 'stepped'), [2, 4], 5);
  // epochs continue: the second call reports epochs 3 and 4 only
  assert.deepEqual(
    stepped.reports.map((r) => r.epoch),
    [1, 2, 3, 4],
  );
  assert.deepEqual(
    stepped.outcomes[1].history.map((h) => h.epoch),
    [1, 2, 3, 4],
  );
  assert.equal(stepped.outcomes[1].budgetUsed, 4);
  assert.deepEqual(stepped.reports, straight.reports);
  for (const r of straight.reports) {
    assert.ok(r.metrics['validation.peak_accuracy'] >= 0 && r.metrics['validation.peak_accuracy'] <= 1);
    assert.ok(Number.isFinite(r.metrics['validation.loss']));
  }
  const a = readDriverState(join(dir, 'straight', 'checkpoint', 'checkpoint.bin'))!;
  const b = readDriverState(join(dir, 'stepped', 'checkpoint', 'checkpoint.bin'))!;
  assert.deepEqual(Buffer.from(b.params.buffer), Buffer.from(a.params.buffer), 'same weights');
  assert.equal(b.roundsDone, 4);
  // the loss goes down over the four epochs: it really trains
  assert.ok(straight.reports[3].metrics['validation.loss'] < straight.reports[0].metrics['validation.loss']);
});

test('a denoiser config with too many pooling blocks for the trace length fails the trial with a UserError', async () => {
  const bad = denoiserSchema.parse({ ...config, model: { ...config.model, filters: [4, 4, 4, 4, 4, 4, 4] } });
  await assert.rejects(
    runInSteps(denoiserTrial, bad, join(dir, 'bad'), [2], 5),
    (err: Error) =>
      isUserError(err) && /model\.filters: 7 pooling blocks shrink 64 samples to nothing/.test(err.message),
  );
});
