import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { Random } from '../../src/runtime/random.js';
import { createLayers, mlpFactory, mlpLoss } from '../../src/models/tabular/mlp.js';
import { friedman, rmse, roundTrip, std } from './helpers.js';

test('MLP loss gradients match finite differences', async () => {
  await initBackend();
  const rng = new Random(41);
  const layers = createLayers([3, 5, 4, 1], 'sigmoid', rng);
  const x = tf.tensor2d(Array.from({ length: 6 * 3 }, () => rng.normal()), [6, 3]);
  const y = tf.tensor1d(Array.from({ length: 6 }, () => rng.normal()));
  const w = tf.tensor1d(Array.from({ length: 6 }, () => rng.uniform(0.5, 2)));
  const variables = layers.flatMap((l) => [l.kernel, l.bias]);
  const lossFn = () => mlpLoss(layers, x, y, 'sigmoid', 0.3, w);
  const { grads } = tf.variableGrads(lossFn, variables);
  const eps = 1e-2;
  let checked = 0;
  for (const v of variables) {
    const analytic = grads[v.name].dataSync();
    const values = Float32Array.from(v.dataSync());
    for (let k = 0; k < values.length; k += 3) {
      const at = (delta: number) => {
        const shifted = values.slice();
        shifted[k] += delta;
        v.assign(tf.tensor(shifted, v.shape));
        return tf.tidy(() => lossFn().dataSync()[0]);
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(values, v.shape));
      assert.ok(Math.abs(numeric - analytic[k]) < 2e-3 + 2e-2 * Math.abs(numeric), `${v.name}[${k}]: ${analytic[k]} vs ${numeric}`);
      checked++;
    }
  }
  assert.ok(checked > 15);
  tf.dispose([x, y, w, ...Object.values(grads)]);
  for (const v of variables) v.dispose();
});

test('MLP learns Friedman #1, stops early, and reloads identically', async () => {
  await initBackend();
  const train = friedman(600, 42, 0.5, 5);
  const test_ = friedman(300, 43, 0, 5);
  const model = mlpFactory.create({ hidden_units: 32, max_epochs: 400, batch_size: 32, learning_rate: 0.01, patience: 5 }) as ReturnType<typeof mlpFactory.create> & {
    epochs: number;
    stoppedEarly: boolean;
  };
  await model.fit(train.X, train.y, { seed: 4 });
  const err = rmse(model.predict(test_.X), test_.y);
  assert.ok(err < 0.4 * std(test_.y), `rmse ${err} vs std ${std(test_.y)}`);
  assert.ok(model.stoppedEarly && model.epochs < 400, `epochs ${model.epochs}`);
  const pred = model.predict(test_.X);
  assert.deepEqual(roundTrip(model).predict(test_.X), pred);
  // Same seed, same model.
  const again = mlpFactory.create({ hidden_units: 32, max_epochs: 3, batch_size: 32 });
  const twice = mlpFactory.create({ hidden_units: 32, max_epochs: 3, batch_size: 32 });
  await again.fit(train.X, train.y, { seed: 4 });
  await twice.fit(train.X, train.y, { seed: 4 });
  assert.deepEqual(again.predict(test_.X), twice.predict(test_.X));
});
