import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/runtime/random.js';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/runtime/errors.js';
import { loadModel, MODEL_FORMAT } from '../../src/models/automl/model.js';
import type { Learner, LearnerFactory, Matrix } from '../../src/learners/learner.js';
import { LEARNERS } from '../../src/learners/registry.js';
import { CLASSIFIERS } from '../../src/learners/classifiers.js';
import type { Classifier } from '../../src/learners/classifier.js';
import { treeToJSON, type FlatTree } from '../../src/learners/tree.js';
import { classTreeToJSON } from '../../src/learners/class-tree-json.js';
import { unpackTrees, type TreePack } from '../../src/learners/tree-pack.js';
import {
  memberBytes,
  readMemberFile,
  readMemberHead,
  writeMemberFile,
  type SavedMember,
} from '../../src/models/automl/trial-common.js';
import { predictMember } from '../../src/models/automl/trial.js';

/** Numbers with missing values, and a categorical column of 9 levels the target depends on as a set. */
function table(n: number, seed: number): { X: Matrix; y: Float64Array; labels: Float64Array } {
  const rng = new Random(seed);
  const a = Float64Array.from({ length: n }, () => rng.normal());
  const b = Float64Array.from({ length: n }, (_, i) => (i % 13 === 0 ? NaN : rng.next()));
  const c = Float64Array.from({ length: n }, (_, i) => (i % 29 === 0 ? NaN : rng.int(0, 9)));
  const y = Float64Array.from(
    { length: n },
    (_, i) => 2 * a[i] + (Number.isNaN(b[i]) ? 3 : b[i]) + ([1, 4, 7].includes(c[i]) ? 2 : 0) + 0.1 * rng.normal(),
  );
  const labels = y.map((v) => (v < 0.5 ? 0 : v < 2.5 ? 1 : 2));
  return {
    X: {
      rows: n,
      columns: [a, b, c],
      names: ['a', 'b', 'c'],
      categorical: [false, false, true],
      categories: [0, 0, 9],
    },
    y,
    labels,
  };
}

const train = table(600, 1);
const probe = table(300, 2).X;

function predictionsOf(model: Learner): Float64Array {
  return 'predictProba' in model ? (model as Classifier).predictProba(probe) : model.predict(probe);
}

/** The tree renumbered breadth-first, so each split's children are adjacent (as the old classification tree JSON needs). */
function breadthFirst(t: FlatTree): FlatTree {
  const n = t.feature.length;
  const order = [0];
  const id = new Int32Array(n);
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (t.feature[i] >= 0) {
      id[t.left[i]] = order.push(t.left[i]) - 1;
      id[t.right[i]] = order.push(t.right[i]) - 1;
    }
  }
  const pick = <A extends Float64Array | Int32Array | Uint8Array>(a: A) => a.map((_, k) => a[order[k]]) as A;
  const child = (a: Int32Array) => Int32Array.from(order, (i) => (t.feature[i] >= 0 ? id[a[i]] : -1));
  return {
    feature: pick(t.feature),
    threshold: pick(t.threshold),
    bin: pick(t.bin),
    missingLeft: pick(t.missingLeft),
    left: child(t.left),
    right: child(t.right),
    value: pick(t.value),
  };
}

/** The same state in the format of model folders before version 2: one JSON object per tree. */
function perTreeState(state: { pack: TreePack } & Record<string, unknown>): Record<string, unknown> {
  const { pack, ...rest } = state;
  const { trees, leaves } = unpackTrees(pack);
  return {
    ...rest,
    trees: leaves ? trees.map((t, i) => classTreeToJSON(breadthFirst(t), leaves[i])) : trees.map(treeToJSON),
  };
}

/** `smaller`: how many times smaller than the old form the packed form is at least (classification forests' old form was already compact). */
const cases: {
  name: string;
  factory: LearnerFactory;
  params: Record<string, number | string | boolean>;
  classes?: number;
  smaller: number;
}[] = [
  {
    name: 'gbm regression (categorical splits, missing values)',
    factory: LEARNERS.gbm,
    params: { max_iter: 30, early_stopping: 'off' },
    smaller: 3,
  },
  { name: 'extra_trees regression', factory: LEARNERS.extra_trees, params: { n_estimators: 8, n_jobs: 1 }, smaller: 4 },
  {
    name: 'gbm classifier',
    factory: CLASSIFIERS.gbm,
    params: { max_iter: 10, early_stopping: 'off' },
    classes: 3,
    smaller: 3,
  },
  {
    name: 'random_forest classifier',
    factory: CLASSIFIERS.random_forest,
    params: { n_estimators: 8 },
    classes: 3,
    smaller: 2,
  },
];

for (const c of cases) {
  test(`${c.name}: the packed save reloads to identical predictions, ${c.smaller}x smaller than one JSON object per tree, and the old form still loads`, async () => {
    const model = c.factory.create(c.params);
    await model.fit(train.X, c.classes ? train.labels : train.y, {
      seed: 3,
      ...(c.classes ? { classes: c.classes } : {}),
    });
    const expected = predictionsOf(model);
    const json = model.toJSON() as {
      kind: string;
      params: Record<string, number | string | boolean>;
      state: { pack: TreePack } & Record<string, unknown>;
    };
    const text = JSON.stringify(json);
    assert.deepEqual(
      predictionsOf(c.factory.fromJSON(JSON.parse(text))),
      expected,
      'same predictions after a save and load',
    );
    const old = JSON.stringify({ ...json, state: perTreeState(json.state) });
    assert.ok(text.length * c.smaller < old.length, `packed ${text.length} bytes vs ${old.length} per tree`);
    assert.deepEqual(
      predictionsOf(c.factory.fromJSON(JSON.parse(old))),
      expected,
      'a model saved one tree per object still loads',
    );
  });
}

test('a model folder of a format version this sciml cannot read fails with a clear message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-pack-'));
  try {
    for (const [version, hint] of [
      [99, /versions 1, 2 and 3, got 99: the model was saved by a newer sciml, upgrade sciml/],
      [0, /got 0: retrain the model/],
    ] as const) {
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: MODEL_FORMAT, version, members: [] }));
      assert.throws(
        () => loadModel(dir),
        (err: Error) =>
          err instanceof UserError && err.message.startsWith(join(dir, 'model.json')) && hint.test(err.message),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('member files: a model folder of format 3 (gzip) and one of format 2 (plain) read back the same member, heads read from the first bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-pack-'));
  try {
    const model = CLASSIFIERS.gbm.create({ max_iter: 10, early_stopping: 'off' });
    await model.fit(train.X, train.labels, { seed: 3, classes: 3 });
    const expected = model.predictProba(probe);
    // A head longer than the first 64 KiB read, even compressed (random text), so the head's reading continues.
    const rng = new Random(5);
    const note = Array.from({ length: 200_000 }, () => String.fromCharCode(97 + rng.int(0, 26))).join('');
    const member: SavedMember = {
      kind: 'gbm',
      params: { ...model.params, note },
      transform: 'none',
      clampMin: null,
      classes: 3,
      folds: [model.toJSON(), model.toJSON()],
    };
    const gz = join(dir, 'trial-0.json.gz');
    const plain = join(dir, 'trial-0.json');
    writeMemberFile(gz, member);
    writeFileSync(plain, memberBytes(member));
    const small = join(dir, 'small.json.gz');
    writeMemberFile(small, { ...member, params: model.params });
    const packed = memberBytes({ ...member, params: model.params }).length;
    assert.ok(statSync(small).size * 2 < packed, `gzip ${statSync(small).size} vs plain ${packed} bytes`);
    for (const path of [gz, plain]) {
      const { folds, ...head } = member;
      assert.deepEqual(readMemberHead(path), { ...head, fold_lines: folds.length }, path);
      const read = readMemberFile(path);
      assert.deepEqual(read.folds, JSON.parse(JSON.stringify(folds)));
      assert.deepEqual(predictMember(read, probe), expected, 'the mean of two identical folds predicts as one');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
