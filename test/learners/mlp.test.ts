import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { Random } from '../../src/runtime/random.js';
import { mlpFactory } from '../../src/learners/mlp.js';
import { Network } from '../../src/learners/mlp-network.js';
import { friedman, rmse, std } from './helpers.js';

for (const activation of ['sigmoid', 'elu', 'relu'] as const) {
  test(`MLP loss gradient (${activation}, weighted, L2) matches finite differences`, async () => {
    await initBackend();
    const rng = new Random(41);
    const net = Network.create([3, 5, 4, 1], activation, rng);
    // Non-zero biases, so relu units sit away from their kink.
    tf.tidy(() =>
      net.params.assign(
        tf.add(net.params, tf.tensor1d(Array.from({ length: net.size }, () => rng.uniform(-0.3, 0.3)))),
      ),
    );
    const x = tf.tensor2d(
      Array.from({ length: 6 * 3 }, () => rng.normal()),
      [6, 3],
    );
    const y = tf.tensor1d(Array.from({ length: 6 }, () => rng.normal()));
    const w = tf.tensor1d(Array.from({ length: 6 }, () => rng.uniform(0.5, 2)));
    const lossAt = (flat: Float32Array) => {
      net.params.assign(tf.tensor1d(flat));
      return tf.tidy(() => net.lossAndGradient(x, y, 0.3, w).loss.dataSync()[0]);
    };
    const base = Float32Array.from(net.params.dataSync());
    const analytic = tf.tidy(() => net.lossAndGradient(x, y, 0.3, w).gradient.dataSync());
    const eps = 1e-2;
    const f0 = lossAt(base);
    let checked = 0;
    for (let k = 0; k < base.length; k++) {
      const plus = base.slice();
      plus[k] += eps;
      const minus = base.slice();
      minus[k] -= eps;
      const fp = lossAt(plus);
      const fm = lossAt(minus);
      // A relu kink inside [-eps, eps] makes the one-sided slopes disagree: no derivative to check there.
      if (Math.abs((fp - f0) / eps - (f0 - fm) / eps) > (0.05 * Math.abs(fp - fm)) / eps + 1e-3) continue;
      const numeric = (fp - fm) / (2 * eps);
      assert.ok(
        Math.abs(numeric - analytic[k]) < 2e-3 + 2e-2 * Math.abs(numeric),
        `param ${k}: ${analytic[k]} vs ${numeric}`,
      );
      checked++;
    }
    assert.ok(checked >= 0.8 * base.length, `checked ${checked} of ${base.length}`);
    // Unweighted loss too (1/n scaling).
    net.params.assign(tf.tensor1d(base));
    const g = tf.tidy(() => net.lossAndGradient(x, y, 0, undefined).gradient.dataSync());
    const k = 7;
    const plus = base.slice();
    plus[k] += eps;
    const minus = base.slice();
    minus[k] -= eps;
    const at = (flat: Float32Array) => {
      net.params.assign(tf.tensor1d(flat));
      return tf.tidy(() => net.lossAndGradient(x, y, 0).loss.dataSync()[0]);
    };
    assert.ok(Math.abs((at(plus) - at(minus)) / (2 * eps) - g[k]) < 2e-3);
    tf.dispose([x, y, w]);
    net.dispose();
  });
}

// Same seed, same MLP, and reloading a saved one: the learner battery (battery.test.ts).
test('MLP learns Friedman #1 and stops early', async () => {
  await initBackend();
  const train = friedman(600, 42, 0.5, 5);
  const test_ = friedman(300, 43, 0, 5);
  const model = mlpFactory.create({
    hidden_units: 32,
    max_epochs: 400,
    batch_size: 32,
    learning_rate: 0.01,
    patience: 5,
  }) as ReturnType<typeof mlpFactory.create> & {
    epochs: number;
    stoppedEarly: boolean;
  };
  await model.fit(train.X, train.y, { seed: 4 });
  const err = rmse(model.predict(test_.X), test_.y);
  assert.ok(err < 0.4 * std(test_.y), `rmse ${err} vs std ${std(test_.y)}`);
  assert.ok(model.stoppedEarly && model.epochs < 400, `epochs ${model.epochs}`);
});

test("tfjs loads lazily: importing the learner registry does not load it, and the MLP uses the backend module's instance", async () => {
  const { execFileSync } = await import('node:child_process');
  const registry = new URL('../../src/learners/registry.js', import.meta.url).href;
  const script = `import { createRequire } from 'node:module'; await import(${JSON.stringify(registry)}); console.log(Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('@tensorflow')));`;
  assert.equal(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim(),
    'false',
  );
  const { tfjs } = await import('../../src/learners/tfjs.js');
  assert.equal(tfjs().tensor1d, tf.tensor1d);
  assert.equal(tfjs().engine(), tf.engine());
});
