import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { knotsSchema } from '../../src/models/knots/config.js';
import { knotsTrial } from '../../src/models/knots/trial.js';
import { readStateFile } from '../../src/runtime/state-file.js';
import { initBackend } from '../../src/runtime/backend.js';
import { bin, sciml } from '../helpers/cli.js';
import { runInSteps, tempDir } from './helpers.js';

const dir = tempDir('knots');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const config = knotsSchema.parse({
  task: 'knots',
  seed: 4,
  data: { synthetic_rows: 1500 },
  model: { width: 16, depth: 2 },
  training: { batch_size: 128, max_epochs: 100, patience: 50, learning_rate: 0.01 },
});

test('a knots trial continued from its checkpoint matches one trained straight to the budget', async () => {
  await initBackend('auto');
  const straight = await runInSteps(knotsTrial, config, join(dir, 'straight'), [6], 4);
  const stepped = await runInSteps(knotsTrial, config, join(dir, 'stepped'), [2, 6], 4);
  assert.deepEqual(
    stepped.reports.map((r) => r.epoch),
    [1, 2, 3, 4, 5, 6],
    'the second call continues at epoch 3',
  );
  assert.deepEqual(stepped.reports, straight.reports);
  assert.deepEqual(stepped.outcomes[1].history, straight.outcomes[0].history);
  assert.equal(stepped.outcomes[1].budgetUsed, 6);
  const read = (d: string) =>
    readStateFile<{ epochsDone: number }>(join(dir, d, 'checkpoint', 'checkpoint.bin'), 'sciml-knots-checkpoint/')!;
  assert.deepEqual(
    Buffer.from(read('stepped').array('params').buffer),
    Buffer.from(read('straight').array('params').buffer),
    'same weights',
  );
  assert.equal(read('stepped').state.epochsDone, 6);
  const first = straight.reports[0].metrics;
  const last = straight.reports[5].metrics;
  assert.ok(
    last['validation.mse'] < first['validation.mse'],
    `validation MSE falls: ${first['validation.mse']} -> ${last['validation.mse']}`,
  );
  assert.ok(last['validation.accuracy'] >= 0 && last['validation.accuracy'] <= 1);
  // a budget already reached trains nothing more
  const again = await runInSteps(knotsTrial, config, join(dir, 'straight'), [6], 4);
  assert.deepEqual(again.reports, []);
  assert.equal(again.outcomes[0].budgetUsed, 6);
});

const RUN_CONFIG = `task: knots
seed: 6
data:
  synthetic_rows: 3000
model:
  width: 16
  depth: 2
training:
  batch_size: 64
  max_epochs: 14
  patience: 14
salience:
  steps: 4
  examples: 100
  top_k: 2
`;

test('sciml train --resume continues a knots run killed with SIGKILL to the same weights', async () => {
  const config = join(dir, 'knots.yaml');
  writeFileSync(config, RUN_CONFIG);
  const whole = join(dir, 'whole');
  const w = sciml(['train', config, '--out', whole]);
  assert.equal(w.code, 0, w.stderr);
  const cut = join(dir, 'cut');
  const checkpoint = join(cut, 'model', 'checkpoint-full.bin');
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'train', config, '--out', cut], {
      env: { ...process.env, CI: 'true' },
      stdio: 'ignore',
    });
    const timer = setInterval(() => {
      try {
        const epochs = existsSync(checkpoint)
          ? readStateFile<{ epochsDone: number }>(checkpoint, 'sciml-knots-checkpoint/')!.state.epochsDone
          : 0;
        if (epochs >= 4) {
          done = epochs;
          child.kill('SIGKILL');
        }
      } catch {
        // caught between the temporary file and the rename: look again
      }
    }, 10);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the run ended (${code}) before it could be interrupted`));
    });
  });
  assert.ok(done >= 4 && done < 14, `killed after epoch ${done}`);
  assert.ok(!existsSync(join(cut, 'model', 'full.json')), 'killed before the model was saved');
  const resumed = sciml(['--json', 'train', config, '--resume', cut]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const metrics = (d: string) => JSON.parse(readFileSync(join(d, 'metrics.json'), 'utf8'));
  assert.ok(metrics(cut).resumed_at_epoch >= done, `resumed at epoch ${metrics(cut).resumed_at_epoch}`);
  assert.equal(
    readFileSync(join(cut, 'model', 'full.json'), 'utf8'),
    readFileSync(join(whole, 'model', 'full.json'), 'utf8'),
    'same weights',
  );
  assert.equal(
    readFileSync(join(cut, 'model', 'top_k.json'), 'utf8'),
    readFileSync(join(whole, 'model', 'top_k.json'), 'utf8'),
    'same top-k model',
  );
  assert.deepEqual(metrics(cut).metrics, metrics(whole).metrics);
  assert.deepEqual(
    JSON.parse(readFileSync(join(cut, 'history.json'), 'utf8')),
    JSON.parse(readFileSync(join(whole, 'history.json'), 'utf8')),
  );
});
