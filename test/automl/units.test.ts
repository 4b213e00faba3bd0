import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/runtime/random.js';
import { greedySelection, stack, stackMatrix } from '../../src/models/automl/ensemble.js';
import { findLeaks } from '../../src/tabular/leak.js';
import { applyPlan, looksLikeId, parseDateTime, planFeatures } from '../../src/tabular/features.js';
import { rmse } from '../../src/metrics/regression.js';
import { kFoldAssignment, holdoutSplit } from '../../src/tabular/split.js';
import { LEARNERS } from '../../src/learners/registry.js';
import type { Matrix } from '../../src/learners/learner.js';
import type { DataTable } from '../../src/data/table.js';

function noisyModels(seed: number, n: number, m: number): { y: Float64Array; preds: Float64Array[] } {
  const rng = new Random(seed);
  const y = Float64Array.from({ length: n }, () => rng.normal(0, 3));
  const preds = Array.from({ length: m }, (_, k) => {
    const bias = rng.normal(0, 0.5);
    const sd = 0.5 + k * 0.3;
    return y.map((v) => v + bias + rng.normal(0, sd));
  });
  return { y, preds };
}

test('greedy ensemble selection is never worse in CV than its best member', () => {
  for (let seed = 1; seed <= 25; seed++) {
    const { y, preds } = noisyModels(seed, 200, 2 + (seed % 6));
    const best = Math.min(...preds.map((p) => rmse(y, p)));
    const g = greedySelection(preds, y, rmse, 20);
    assert.ok(g.loss <= best + 1e-12, `seed ${seed}: ensemble ${g.loss} > best ${best}`);
    assert.ok(Math.abs(g.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(g.weights.every((w) => w >= 0));
    const combined = y.map((_, i) => preds.reduce((s, p, m) => s + g.weights[m] * p[i], 0));
    assert.ok(Math.abs(rmse(y, combined) - g.loss) < 1e-9, 'reported loss matches the weights');
  }
});

test('greedy selection averages models with independent errors and beats each of them', () => {
  const { y, preds } = noisyModels(99, 2000, 4);
  const g = greedySelection(preds, y, rmse, 30);
  const best = Math.min(...preds.map((p) => rmse(y, p)));
  assert.ok(g.loss < 0.85 * best, `ensemble ${g.loss} vs best ${best}`);
  assert.ok(g.weights.filter((w) => w > 0).length >= 2);
});

test('a ridge stack scored on the folds recovers a good combination', async () => {
  const { y, preds } = noisyModels(5, 600, 3);
  const folds = kFoldAssignment(600, 5, 1);
  const design = stackMatrix(preds, ['a', 'b', 'c'], null);
  const result = await stack(design, y, folds, 5, LEARNERS.ridge, { alpha: 1 }, 1, rmse);
  const best = Math.min(...preds.map((p) => rmse(y, p)));
  assert.ok(result.loss < best, `stack ${result.loss} vs best member ${best}`);
  assert.equal(result.model.predict(design).length, 600);
});

function matrix(cols: Record<string, Float64Array>): Matrix {
  return { rows: Object.values(cols)[0].length, columns: Object.values(cols), names: Object.keys(cols) };
}

test('leaks: parts that sum to the target are named; an honest table is not flagged', () => {
  const rng = new Random(3);
  const n = 500;
  const casual = Float64Array.from({ length: n }, () => Math.round(rng.uniform(0, 50)));
  const registered = Float64Array.from({ length: n }, () => Math.round(rng.uniform(0, 300)));
  const temp = Float64Array.from({ length: n }, () => rng.uniform(0, 1));
  const hour = Float64Array.from({ length: n }, () => rng.int(0, 24));
  const cnt = casual.map((c, i) => c + registered[i]);
  const leaks = findLeaks(matrix({ temp, casual, hour, registered }), cnt, { correlation: 0.99, r2: 0.999 });
  assert.equal(leaks.length, 1);
  assert.equal(leaks[0].kind, 'linear_combination');
  assert.deepEqual([...leaks[0].columns].sort(), ['casual', 'registered']);
  const honest = cnt.map((v, i) => v * 0.1 + 30 * temp[i] + rng.normal(0, 5));
  assert.deepEqual(findLeaks(matrix({ temp, hour }), honest, { correlation: 0.99, r2: 0.999 }), []);
  const copy = findLeaks(matrix({ temp, target_copy: cnt.map((v) => 2 * v + 1) }), cnt, {
    correlation: 0.99,
    r2: 0.999,
  });
  assert.equal(copy[0].kind, 'correlation');
  assert.deepEqual(copy[0].columns, ['target_copy']);
});

test('dates expand into calendar parts, ID-like and constant columns are dropped', () => {
  const n = 48;
  const table: DataTable = {
    source: 't.csv',
    numRows: n,
    columns: [
      { name: 'instant', kind: 'number', values: Float64Array.from({ length: n }, (_, i) => i + 1) },
      {
        name: 'when',
        kind: 'string',
        values: Array.from(
          { length: n },
          (_, i) =>
            `2024-02-${String(27 + Math.floor(i / 24)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00`,
        ),
      },
      { name: 'code', kind: 'string', values: Array.from({ length: n }, (_, i) => `user-${i}`) },
      { name: 'const', kind: 'number', values: new Float64Array(n).fill(1) },
      { name: 'x', kind: 'number', values: Float64Array.from({ length: n }, (_, i) => i % 5) },
      { name: 'y', kind: 'number', values: Float64Array.from({ length: n }, (_, i) => i) },
    ],
  };
  const plan = planFeatures(table, { target: 'y', drop: [], expandDates: true, dropIdLike: true });
  assert.deepEqual(plan.inputs, ['when', 'x']);
  assert.deepEqual(plan.dropped.map((d) => d.column).sort(), ['code', 'const', 'instant']);
  const out = applyPlan(table, plan);
  assert.deepEqual(
    out.columns.map((c) => c.name),
    ['when_year', 'when_month', 'when_day', 'when_dayofweek', 'when_dayofyear', 'when_hour', 'x'],
  );
  const row = 30; // 2024-02-28 06:00, a Wednesday, day 59 of the year
  assert.deepEqual(
    out.columns.slice(0, 6).map((c) => c.values[row]),
    [2024, 2, 28, 3, 59, 6],
  );
  assert.equal(parseDateTime('2024-13-01'), undefined);
  assert.ok(
    !looksLikeId({ name: 'count', kind: 'number', values: Float64Array.from([1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10]) }, 11),
  );
});

test('holdout split and folds are seeded, disjoint and balanced', () => {
  const a = holdoutSplit(100, 27, 4);
  assert.equal(a.train.length, 27);
  assert.equal(new Set([...a.train, ...a.holdout]).size, 100);
  assert.deepEqual(a, holdoutSplit(100, 27, 4));
  const folds = kFoldAssignment(103, 5, 2);
  const sizes = [0, 0, 0, 0, 0];
  for (const f of folds) sizes[f]++;
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
});

test('permutation importance ranks the feature the model uses above the ones it ignores', async () => {
  const { permutationImportance } = await import('../../src/models/automl/importance.js');
  const rng = new Random(8);
  const n = 400;
  const signal = Float64Array.from({ length: n }, () => rng.normal());
  const weak = Float64Array.from({ length: n }, () => rng.normal());
  const noise = Float64Array.from({ length: n }, () => rng.normal());
  const y = signal.map((v, i) => 3 * v + 0.5 * weak[i]);
  const predict = (X: Matrix) =>
    Float64Array.from({ length: X.rows }, (_, i) => 3 * X.columns[0][i] + 0.5 * X.columns[1][i]);
  const imp = permutationImportance(predict, matrix({ signal, weak, noise }), y, rmse, {
    seed: 1,
    maxRows: 300,
    timeBudgetMs: 5000,
  });
  assert.deepEqual(
    imp.map((f) => f.feature),
    ['signal', 'weak', 'noise'],
  );
  assert.equal(imp[2].importance, 0);
  assert.ok(imp[0].importance > 5 * imp[1].importance);
});

test('rows without a target are left out with a note naming the count; a constant or empty target is refused; --drop of the target is noted', async () => {
  const { readInputs } = await import('../../src/tabular/prepare.js');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'sciml-labels-'));
  const config = (file: string, drop: string[] = []) =>
    ({
      seed: 1,
      data: { path: join(dir, file), target: 'y', drop, columns: [], test_fraction: 0.2 },
      features: {},
    }) as never;
  writeFileSync(join(dir, 'gaps.csv'), 'x,y\n1,2.5\n2,\n3,4.5\n4,\n5,1\n');
  const read = await readInputs(config('gaps.csv', ['y']), undefined);
  assert.equal(read.table.numRows, 3);
  assert.deepEqual(Array.from(read.table.columns[1].values as Float64Array), [2.5, 4.5, 1]);
  assert.ok(
    read.notes.some((n) => /column 'y': 2 of 5 rows have no target value and are left out/.test(n)),
    read.notes.join('\n'),
  );
  assert.ok(
    read.notes.some((n) => /data\.drop \(--drop\) names the target 'y'/.test(n)),
    read.notes.join('\n'),
  );
  writeFileSync(join(dir, 'constant.csv'), 'x,y\n1,3.5\n2,3.5\n3,\n4,3.5\n');
  await assert.rejects(
    readInputs(config('constant.csv'), undefined),
    /constant\.csv: column 'y': the target is constant \(3\.5 in all 3 labeled rows\)/,
  );
  writeFileSync(join(dir, 'none.csv'), 'x,y\n1,\n2,\n');
  await assert.rejects(readInputs(config('none.csv'), undefined), /none\.csv: column 'y': no labeled rows/);
});

test('predict checks its table with the validator serve uses: a date that is not one is refused naming line and column', async () => {
  const { checkPredictInput } = await import('../../src/models/automl/predict.js');
  const fields = [
    { name: 'day', type: 'datetime' as const, nullable: true },
    { name: 'x', type: 'number' as const, nullable: true },
  ];
  const table = (day: (string | null)[], x: (string | null)[]): DataTable => ({
    source: 'new.csv',
    numRows: day.length,
    columns: [
      { name: 'day', kind: 'string', values: day },
      { name: 'x', kind: 'string', values: x },
    ],
  });
  checkPredictInput(table(['2021-01-01', null], ['1.5', null]), fields);
  assert.throws(
    () => checkPredictInput(table(['2021-01-01', 'notadate'], ['1', '2']), fields),
    /^UserError: new\.csv:3: column 'day': expected an ISO date .*got "notadate"$/,
  );
  assert.throws(
    () => checkPredictInput(table(['2021-01-01', '2021-01-02'], ['1', 'abc']), fields),
    /new\.csv:3: column 'x': expected a number .*got "abc"/,
  );
  assert.throws(
    () => checkPredictInput({ source: 'new.arrow', numRows: 1, columns: [] }, fields),
    /new\.arrow: column 'day': missing column/,
  );
});
