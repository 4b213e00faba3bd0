import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extraTreesFactory, randomForestFactory } from '../../src/learners/forest.js';
import { friedman, rmse, std } from './helpers.js';
import { unpackTrees, type TreePack } from '../../src/learners/tree-pack.js';

const train = friedman(800, 21, 0.5);
const test_ = friedman(400, 22, 0);

for (const factory of [randomForestFactory, extraTreesFactory]) {
  const kind = factory.kind;

  test(`${kind}: beats the mean and a single tree`, async () => {
    const forest = factory.create({ n_estimators: 40, n_jobs: 1 });
    await forest.fit(train.X, train.y, { seed: 1 });
    const err = rmse(forest.predict(test_.X), test_.y);
    assert.ok(err < 0.5 * std(test_.y), `rmse ${err} vs std ${std(test_.y)}`);
    const single = factory.create({ n_estimators: 1, n_jobs: 1 });
    await single.fit(train.X, train.y, { seed: 1 });
    assert.ok(err < 0.85 * rmse(single.predict(test_.X), test_.y));
    const imp = forest.featureImportance!();
    assert.ok(['x0', 'x1', 'x2', 'x3', 'x4'].reduce((s, k) => s + imp[k], 0) > 0.8);
  });

  // Same seed, same forest on one thread, and a saved forest reloading: the learner battery (battery.test.ts).
  test(`${kind}: another seed grows another forest; the same forest whatever the number of threads`, async () => {
    const fit = async (seed: number, threads: number): Promise<Float64Array> => {
      const forest = factory.create({ n_estimators: 12, n_jobs: threads });
      await forest.fit(train.X, train.y, { seed });
      return forest.predict(test_.X);
    };
    assert.notDeepEqual(await fit(6, 1), await fit(5, 1));
    // Force the worker path with a tiny forest: n_jobs > 1 and work above the threshold.
    const big = friedman(4000, 23, 0.5);
    const a = factory.create({ n_estimators: 40, n_jobs: 1, max_depth: 6 });
    const b = factory.create({ n_estimators: 40, n_jobs: 2, max_depth: 6 });
    await a.fit(big.X, big.y, { seed: 9 });
    await b.fit(big.X, big.y, { seed: 9 });
    assert.deepEqual(b.predict(test_.X), a.predict(test_.X));
  });
}

test('random_forest: one fully grown unbootstrapped tree interpolates the training rows', async () => {
  const tree = randomForestFactory.create({ n_estimators: 1, bootstrap: false, n_jobs: 1 });
  await tree.fit(train.X, train.y, { seed: 1 });
  // Leaf values are Float32 (as saved): exact to float32 precision.
  assert.ok(rmse(tree.predict(train.X), train.y) < 1e-5);
});

test('random_forest: min_samples_leaf and max_depth limit the trees', async () => {
  const shallow = randomForestFactory.create({ n_estimators: 1, bootstrap: false, n_jobs: 1, max_depth: 3 });
  await shallow.fit(train.X, train.y, { seed: 1 });
  const nodesOf = (m: typeof shallow) =>
    unpackTrees((m.toJSON() as { state: { pack: TreePack } }).state.pack).trees[0].feature.length;
  assert.ok(nodesOf(shallow) <= 15);
  const leafy = randomForestFactory.create({ n_estimators: 1, bootstrap: false, n_jobs: 1, min_samples_leaf: 50 });
  await leafy.fit(train.X, train.y, { seed: 1 });
  const leaves = nodesOf(leafy);
  assert.ok((leaves + 1) / 2 <= train.X.rows / 50, `${(leaves + 1) / 2} leaves`);
});
