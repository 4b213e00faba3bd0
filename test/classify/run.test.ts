import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { sciml, tempDir, writeFile } from '../automl/helpers.js';
import { DATA } from './helpers.js';
import { scimlBatch } from '../helpers/cli.js';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

function columns(path: string): Record<string, unknown[]> {
  const t = tableFromIPC(readFileSync(path));
  return Object.fromEntries(
    t.schema.fields.map((f) => [f.name, Array.from(t.getChild(f.name)!.toArray() as ArrayLike<unknown>)]),
  );
}

function rowsOf(csvPath: string, rows: number[]): string {
  const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
  return [lines[0], ...rows.map((r) => lines[r + 1])].join('\n') + '\n';
}

test('multiclass (wine): inferred and recorded; predictions.arrow has labels and probabilities; predict reproduces them; report charts', () => {
  const wine = join(DATA, 'wine.csv');
  const cfg = writeFile(
    dir,
    'wine.yaml',
    [
      'task: automl',
      'seed: 3',
      'data:',
      `  path: ${wine}`,
      '  target: cultivar',
      '  test_fraction: 0.25',
      'search:',
      '  time_limit_s: 60',
      '  max_trials: 7',
      '  workers: 2',
      '  learners: [gbm, logistic, extra_trees, knn]',
      'ensemble:',
      '  candidates: 6',
      '',
    ].join('\n'),
  );
  const run = join(dir, 'run-wine');
  const r = sciml(['--json', 'train', cfg, '--out', run]);
  assert.equal(r.status, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  assert.equal(metrics.metric, 'log_loss', 'log loss is the default classification metric');
  assert.equal(metrics.problem_type.type, 'multiclass');
  assert.match(metrics.problem_type.reason, /text labels \(3 classes\)/);
  assert.deepEqual(metrics.problem_type.classes, ['class_0', 'class_1', 'class_2']);
  for (const m of ['accuracy', 'balanced_accuracy', 'log_loss', 'roc_auc', 'f1'])
    assert.ok(Number.isFinite(metrics.metrics[m]), m);
  assert.ok(metrics.metrics.accuracy > 0.9, `holdout accuracy ${metrics.metrics.accuracy}`);
  assert.ok(metrics.metrics.log_loss < 0.4, `holdout log loss ${metrics.metrics.log_loss}`);
  assert.ok(
    metrics.cv_log_loss.greedy_ensemble <= metrics.cv_log_loss.baseline + 1e-12,
    'greedy OOF log loss never above the best member',
  );
  const pred = columns(join(run, 'predictions.arrow'));
  assert.equal(pred.row.length, 45);
  const classes = ['class_0', 'class_1', 'class_2'];
  for (let i = 0; i < pred.row.length; i++) {
    const p = classes.map((c) => Number(pred[`proba_${c}`][i]));
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.equal(pred.prediction[i], classes[p.indexOf(Math.max(...p))]);
    assert.ok(classes.includes(String(pred.y[i])));
  }
  // Holdout rows are stratified: every class present.
  assert.equal(new Set(pred.y).size, 3);
  const input = writeFile(dir, 'wine-holdout.csv', rowsOf(wine, pred.row.map(Number)));
  const out = join(dir, 'wine-pred.arrow');
  const p = sciml(['predict', '--model', join(run, 'model'), '--input', input, '-o', out]);
  assert.equal(p.status, 0, p.stderr);
  const again = columns(out);
  assert.deepEqual(again.prediction, pred.prediction);
  for (const c of classes) assert.deepEqual(again[`proba_${c}`], pred[`proba_${c}`], `proba_${c} reproduced exactly`);
  const onlyProba = sciml([
    'predict',
    '--model',
    join(run, 'model'),
    '--input',
    input,
    '--proba',
    '-o',
    join(dir, 'wine-proba.arrow'),
  ]);
  assert.equal(onlyProba.status, 0, onlyProba.stderr);
  assert.deepEqual(Object.keys(columns(join(dir, 'wine-proba.arrow'))), ['row', ...classes.map((c) => `proba_${c}`)]);
  const board = columns(join(run, 'leaderboard.arrow'));
  assert.ok('cv_accuracy' in board && 'holdout_accuracy' in board && 'cv_log_loss' in board);
  for (const chart of [
    'confusion_matrix',
    'confusion_matrix_normalized',
    'roc_curve',
    'pr_curve',
    'calibration',
    'per_class_scores',
    'leaderboard',
  ]) {
    assert.ok(existsSync(join(run, 'charts', `${chart}.svg`)), `${chart}.svg`);
  }
  assert.match(readFileSync(join(run, 'report.html'), 'utf8'), /Per-class scores/);
  const ev = sciml(['--json', 'evaluate', run, '--out', join(dir, 'wine-eval')]);
  assert.equal(ev.status, 0, ev.stderr);
  assert.ok(
    Math.abs(JSON.parse(ev.stdout).metrics.log_loss - metrics.metrics.log_loss) < 1e-12,
    '`sciml evaluate` re-scores the same holdout',
  );
});

test('binary (breast cancer) from the command line: --metric roc_auc, --class-weight balanced, --problem-type', () => {
  const cancer = join(DATA, 'breast_cancer.csv');
  const run = join(dir, 'run-cancer');
  const r = sciml([
    'automl',
    cancer,
    '--target',
    'diagnosis',
    '--metric',
    'roc_auc',
    '--class-weight',
    'balanced',
    '--max-trials',
    '4',
    '--workers',
    '2',
    '--time-limit',
    '60',
    '--out',
    run,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /rank\s+model\s+cv_roc_auc\s+holdout_roc_auc\s+cv_accuracy\s+holdout_accuracy/);
  assert.match(r.stdout, /problem type: binary \(the target holds text labels \(2 classes\)\)/);
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  assert.equal(metrics.problem_type.type, 'binary');
  assert.equal(metrics.class_weight, 'balanced');
  assert.ok(metrics.metrics.roc_auc > 0.97, `roc_auc ${metrics.metrics.roc_auc}`);
  assert.ok(existsSync(join(run, 'charts', 'roc_curve.svg')));
  // A numeric 0/1 target is binary; --problem-type regression turns it back into regression.
  const lines = readFileSync(cancer, 'utf8').trim().split('\n');
  const numeric = writeFile(
    dir,
    'cancer01.csv',
    [lines[0], ...lines.slice(1, 200).map((l) => l.replace(/,malignant$/, ',1').replace(/,benign$/, ',0'))].join('\n') +
      '\n',
  );
  const reg = sciml([
    '--json',
    'automl',
    numeric,
    '--target',
    'diagnosis',
    '--problem-type',
    'regression',
    '--max-trials',
    '1',
    '--workers',
    '1',
    '--time-limit',
    '30',
    '--out',
    join(dir, 'run-cancer-reg'),
  ]);
  assert.equal(reg.status, 0, reg.stderr);
  assert.equal(JSON.parse(reg.stdout).problem_type, 'regression');
  assert.equal(JSON.parse(readFileSync(join(dir, 'run-cancer-reg', 'metrics.json'), 'utf8')).metric, 'rmse');
  // Probabilities from a regression model: exit 2.
  const proba = sciml(['predict', '--model', join(dir, 'run-cancer-reg', 'model'), '--input', numeric, '--proba']);
  assert.equal(proba.status, 2);
  assert.match(
    proba.stderr,
    /--proba: class probabilities need a classification model, this one is regression \(target 'diagnosis'\)/,
  );
});

test('bad classification input: one class, no label at all, more classes than rows per fold, metric of the wrong kind: exit 2', () => {
  const rows = (n: number, label: (i: number) => string) =>
    'x,z,label\n' + Array.from({ length: n }, (_, i) => `${i},${(i * 7) % 5},${label(i)}`).join('\n') + '\n';
  const counts = writeFile(
    dir,
    'counts.csv',
    'x,w,y\n' + Array.from({ length: 60 }, (_, i) => `${i},${i % 4},${i * 3 + (i % 7)}`).join('\n') + '\n',
  );
  const [one, empty, many, single, wrong, wrong2] = scimlBatch([
    [
      'automl',
      writeFile(
        dir,
        'one.csv',
        rows(40, () => 'same'),
      ),
      '--time-limit',
      '5',
      '--out',
      join(dir, 'bad-1'),
    ],
    [
      'automl',
      writeFile(
        dir,
        'empty.csv',
        rows(40, (i) => (i % 2 ? '' : ' ')),
      ),
      '--time-limit',
      '5',
      '--out',
      join(dir, 'bad-2'),
    ],
    [
      'automl',
      writeFile(
        dir,
        'many.csv',
        rows(60, (i) => `c${i % 12}`),
      ),
      '--time-limit',
      '5',
      '--out',
      join(dir, 'bad-4'),
    ],
    [
      'automl',
      writeFile(
        dir,
        'single.csv',
        rows(40, (i) => (i === 0 ? 'rare' : i % 2 ? 'yes' : 'no')),
      ),
      '--time-limit',
      '5',
      '--test-fraction',
      '0.1',
      '--out',
      join(dir, 'bad-5'),
    ],
    [
      'automl',
      writeFile(
        dir,
        'yesno.csv',
        rows(40, (i) => (i % 2 ? 'yes' : 'no')),
      ),
      '--metric',
      'rmse',
      '--time-limit',
      '5',
      '--out',
      join(dir, 'bad-6'),
    ],
    ['automl', counts, '--metric', 'accuracy', '--time-limit', '5', '--out', join(dir, 'bad-7')],
  ]);
  assert.equal(one.code, 2);
  assert.match(
    one.stderr,
    /one\.csv: column 'label': the target is constant \("same" in all 40 labeled rows\): there is nothing to learn/,
  );
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /empty\.csv: column 'label': no labeled rows \(the target is empty in all 40 rows\)/);
  assert.equal(many.code, 2);
  assert.match(many.stderr, /many\.csv: 12 classes but only 9 training rows per fold \(48 rows, 5 folds\)/);
  assert.equal(single.code, 2);
  assert.match(
    single.stderr,
    /single\.csv: class 'rare' of the target (has a single training row|has no training rows)/,
  );
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /search\.metric: 'rmse' is a regression metric, but the problem type is binary/);
  assert.equal(wrong2.code, 2);
  assert.match(
    wrong2.stderr,
    /search\.metric: 'accuracy' needs a classification target, but the problem type is regression/,
  );
});
