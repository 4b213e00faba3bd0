import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/runtime/errors.js';
import type { DataTable } from '../../src/data/table.js';
import { LEARNERS } from '../../src/learners/registry.js';
import { extractTarget, StandardEncoder, TableEncoder } from '../../src/learners/preprocess.js';
import { fitBinning, applyBinning } from '../../src/learners/binning.js';
import { initBackend } from '../../src/runtime/backend.js';
import { matrix } from './helpers.js';

function table(): DataTable {
  return {
    source: 'shop.csv',
    numRows: 5,
    columns: [
      { name: 'id', kind: 'number', values: Float64Array.from([1, 2, 3, 4, 5]) },
      { name: 'price', kind: 'number', values: Float64Array.from([1.5, NaN, 3, 4, 5]) },
      { name: 'color', kind: 'string', values: ['red', 'blue', null, 'red', 'green'] },
      { name: 'sales', kind: 'number', values: Float64Array.from([10, 20, 30, 40, 50]) },
    ],
  };
}

test('TableEncoder: numbers pass through, strings become codes (most frequent first), unseen -> missing', () => {
  const enc = TableEncoder.fit(table(), { target: 'sales', drop: ['id'] });
  const X = enc.transform(table());
  assert.deepEqual(X.names, ['price', 'color']);
  assert.deepEqual(X.categorical, [false, true]);
  assert.deepEqual(X.categories, [0, 3]);
  // red (2 rows) first, then the ties blue and green alphabetically.
  assert.deepEqual(Array.from(X.columns[1]), [0, 1, NaN, 0, 2]);
  const again = TableEncoder.fromJSON(JSON.parse(JSON.stringify(enc.toJSON())));
  const other = table();
  (other.columns[2] as { values: (string | null)[] }).values = ['purple', 'red', 'blue', null, 'green'];
  assert.deepEqual(Array.from(again.transform(other).columns[1]), [NaN, 0, 1, NaN, 2]);
  const noColor = { ...table(), columns: table().columns.filter((c) => c.name !== 'color') };
  assert.throws(
    () => enc.transform(noColor),
    (e: unknown) => e instanceof UserError && /shop\.csv: column 'color'/.test(e.message),
  );
});

test('extractTarget names the file, the column and the bad row', () => {
  const t = table();
  assert.deepEqual(Array.from(extractTarget(t, 'sales')), [10, 20, 30, 40, 50]);
  assert.throws(() => extractTarget(t, 'price'), /shop\.csv: column 'price': .*row 2 is missing/);
  assert.throws(() => extractTarget(t, 'color'), /shop\.csv: column 'color': expected numbers/);
  assert.throws(() => extractTarget(t, 'nope'), /shop\.csv: column 'nope'/);
  assert.throws(() => TableEncoder.fit(t, { target: 'sales', drop: ['nope'] }), /column 'nope'/);
});

test('StandardEncoder: one-hot, standardization, missing indicator, JSON round trip', () => {
  const X = {
    ...matrix([
      [1, 2, 3, NaN],
      [0, 1, 1, 2],
    ]),
    categorical: [false, true],
    categories: [0, 3],
  };
  const enc = StandardEncoder.fromJSON(JSON.parse(JSON.stringify(StandardEncoder.fit(X).toJSON())));
  const d = enc.transform(X);
  assert.equal(d.width, 5); // x0, x0_missing, x1=0..2
  const row = (i: number) => Array.from(d.data.subarray(i * 5, i * 5 + 5));
  const s = Math.sqrt(2 / 3);
  assert.deepEqual(
    row(0).map((v) => +v.toFixed(9)),
    [+(-1 / s).toFixed(9), 0, 1, 0, 0],
  );
  assert.deepEqual(row(3), [0, 1, 0, 0, 1]);
});

test('binning: one bin per distinct value when few; quantiles (<= max_bins) when many; missing bin', () => {
  const few = matrix([[3, 1, 2, 2, NaN, 3]]);
  const b = fitBinning(few, 255, 1);
  assert.equal(b.nBins[0], 3);
  const codes = applyBinning(few, b).codes;
  assert.deepEqual(Array.from(codes), [2, 0, 1, 1, 3, 2]);
  const many = matrix([Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 1000)]);
  const bm = fitBinning(many, 32, 1);
  assert.ok(bm.nBins[0] <= 32 && bm.nBins[0] >= 30);
  const counts = new Array(bm.nBins[0]).fill(0);
  for (const c of applyBinning(many, bm).codes) counts[c]++;
  assert.ok(Math.max(...counts) < 2 * (5000 / 32), 'quantile bins are balanced');
});

test('every learner rejects a NaN target, an empty table and a single row with a clear UserError', async () => {
  await initBackend();
  const good = matrix([[1, 2, 3, 4]]);
  const cases: [string, () => Parameters<typeof fit>, RegExp][] = [
    [
      'NaN target',
      () => [good, Float64Array.from([1, NaN, 3, 4])],
      /target: expected a finite number in every row, row 2 is NaN/,
    ],
    ['empty table', () => [matrix([[]]), new Float64Array(0)], /expected training rows, got an empty table/],
    ['one row', () => [matrix([[1]]), Float64Array.from([1])], /expected at least 2 training rows, got 1/],
    ['length mismatch', () => [good, Float64Array.from([1, 2])], /expected one target value per row \(4\), got 2/],
    [
      'infinite feature',
      () => [matrix([[1, Infinity, 3, 4]]), Float64Array.from([1, 2, 3, 4])],
      /feature 'x0': expected finite numbers or NaN/,
    ],
  ];
  async function fit(X: ReturnType<typeof matrix>, y: Float64Array) {
    return [X, y] as const;
  }
  for (const [kind, factory] of Object.entries(LEARNERS)) {
    for (const [label, make, pattern] of cases) {
      if (kind === 'knn' && label === 'one row') continue; // one neighbour is a valid k-NN model
      const [X, y] = make();
      const model = factory.create({});
      await assert.rejects(
        async () => model.fit(X, y, { seed: 1 }),
        (e: unknown) => e instanceof UserError && pattern.test(e.message) && e.message.startsWith(`${kind}: `),
        `${kind}: ${label}`,
      );
    }
  }
});

test('unknown or ill-typed parameters are UserErrors naming the learner and parameter', () => {
  assert.throws(() => LEARNERS.gbm.create({ max_leafs: 3 }), /gbm: unknown parameter 'max_leafs'/);
  assert.throws(() => LEARNERS.gbm.create({ learning_rate: 'fast' }), /gbm: learning_rate: expected a number/);
  assert.throws(() => LEARNERS.gbm.create({ max_bins: 1000 }), /gbm: max_bins: expected an integer in \[2, 255\]/);
  assert.throws(() => LEARNERS.random_forest.create({ max_features: 0 }), /random_forest: max_features/);
  assert.throws(() => LEARNERS.knn.create({ weights: 'gaussian' }), /knn: weights: expected one of uniform, distance/);
});

test('predict checks the feature count', async () => {
  const model = LEARNERS.gbm.create({ max_iter: 2 });
  await model.fit(
    matrix([
      [1, 2, 3, 4],
      [4, 3, 2, 1],
    ]),
    Float64Array.from([1, 2, 3, 4]),
    { seed: 1 },
  );
  assert.throws(() => model.predict(matrix([[1]])), /gbm: expected 2 feature columns \(as in training\), got 1/);
});

test('a table with text columns trains every tree learner end to end and reloads', async () => {
  const { Random } = await import('../../src/runtime/random.js');
  const { learnerFromJSON } = await import('../../src/learners/registry.js');
  const rng = new Random(51);
  const n = 600;
  const cities = ['oslo', 'lima', 'pune', 'kobe', 'gent'];
  const effect: Record<string, number> = { oslo: 10, lima: -5, pune: 7, kobe: -8, gent: 2 };
  const city: (string | null)[] = [];
  const size = new Float64Array(n);
  const price = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    city.push(i % 31 === 0 ? null : cities[rng.int(0, cities.length)]);
    size[i] = rng.uniform(0, 10);
    price[i] = (city[i] ? effect[city[i]!] : 0) + 2 * size[i] + 0.1 * rng.normal();
  }
  const t: DataTable = {
    source: 'homes.csv',
    numRows: n,
    columns: [
      { name: 'city', kind: 'string', values: city },
      { name: 'size', kind: 'number', values: size },
      { name: 'price', kind: 'number', values: price },
    ],
  };
  const enc = TableEncoder.fit(t, { target: 'price' });
  const X = enc.transform(t);
  const y = extractTarget(t, 'price');
  for (const kind of ['gbm', 'random_forest', 'extra_trees', 'ridge', 'knn']) {
    const model = LEARNERS[kind].create(kind === 'gbm' ? { max_iter: 200 } : {});
    await model.fit(X, y, { seed: 3 });
    const pred = model.predict(X);
    let se = 0;
    for (let i = 0; i < n; i++) se += (pred[i] - y[i]) ** 2;
    assert.ok(Math.sqrt(se / n) < 2, `${kind}: rmse ${Math.sqrt(se / n)}`);
    assert.deepEqual(learnerFromJSON(JSON.parse(JSON.stringify(model.toJSON()))).predict(X), pred);
  }
});
