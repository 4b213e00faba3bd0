import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sciml, scimlBatch } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-cli-'));
const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));

// Commands that fail before any work run in one process (one start-up); the tests read their results.
const badTask = file('bad-task.yaml', '# a comment\ntask: denoizer\n');
const broken = file('broken.yaml', 'task: knots\nmodel: {width: 3\n');
const misspelled = file('knots-bad.yaml', 'task: knots\nseed: 1\nmodel:\n  widht: 16\n');
const wrongType = file('knots-type.yaml', 'task: knots\nseed: many\n');
const [
  missingConfig,
  unknownTask,
  invalidYaml,
  bogus,
  badSeed,
  badBackend,
  badKind,
  misspelledKey,
  wrongTypeRun,
  badSet,
  trainHelp,
] = scimlBatch([
  ['train', join(dir, 'nope.yaml')],
  ['train', badTask, '--out', join(dir, 'never')],
  ['train', broken],
  ['train', 'x.yaml', '--bogus'],
  ['train', 'x.yaml', '--seed', 'abc'],
  ['--backend', 'tpu', 'info'],
  ['data', 'generate', 'radoi'],
  ['train', misspelled, '--out', join(dir, 'never-knots')],
  ['train', wrongType, '--out', join(dir, 'never-knots')],
  ['train', wrongType, '--set', 'seed=3', '--set', 'model.width=-2', '--out', join(dir, 'never-knots')],
  ['train', '--help'],
]);

test('a missing config file exits 2 naming the file', () => {
  const r = missingConfig;
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nope\.yaml: cannot read config: no such file/);
  assert.equal(r.stdout, '');
});

test('an unknown task exits 2 with file, line, field and a hint', () => {
  const r = unknownTask;
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`${badTask}:2: task: expected one of`), r.stderr);
  assert.match(r.stderr, /did you mean 'denoiser'/);
  assert.ok(!readdirSync(dir).includes('never'), 'no run directory for a config that failed validation');
});

test('an invalid YAML file exits 2 with its line', () => {
  const r = invalidYaml;
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`${broken}:`) && r.stderr.includes('invalid YAML'), r.stderr);
});

test('unknown options and bad flag values exit 2', () => {
  assert.equal(bogus.code, 2);
  assert.equal(badSeed.code, 2);
  assert.match(badSeed.stderr, /--seed: expected an integer/);
  assert.equal(badBackend.code, 2);
});

test('info names the compute backend, on stdout only', () => {
  const r = sciml(['--json', 'info']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.ok(['tensorflow', 'native', 'wasm', 'cpu'].includes(info.backend.name));
  assert.equal(typeof info.backend.tfjsVersion, 'string');
  assert.ok(Array.isArray(info.backend.patches));
  const cpu = JSON.parse(sciml(['--json', '--backend', 'cpu', 'info']).stdout);
  assert.equal(cpu.backend.name, 'cpu');
});

test('data generate rejects an unknown kind with a hint', () => {
  const r = badKind;
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown kind 'radoi' \(did you mean 'radio'\?\)/);
});

test('a real task config: misspelled key and wrong type exit 2 naming file, line and field; nothing is written', () => {
  assert.equal(misspelledKey.code, 2);
  assert.ok(
    misspelledKey.stderr.includes(`${misspelled}:4: model.widht: unknown field (did you mean 'width'?)`),
    misspelledKey.stderr,
  );
  assert.ok(!readdirSync(dir).includes('never-knots'));
  assert.equal(wrongTypeRun.code, 2);
  assert.ok(
    wrongTypeRun.stderr.includes(`${wrongType}:2: seed: expected a non-negative integer, got "many"`),
    wrongTypeRun.stderr,
  );
  assert.equal(badSet.code, 2);
  assert.ok(
    badSet.stderr.includes('--set model.width=-2: model.width: expected a positive integer, got -2'),
    badSet.stderr,
  );
});

test('config errors read as a person would write them, exit 2, and leave no run directory behind', () => {
  const cwd = join(dir, 'wording');
  mkdirSync(join(cwd, 'runs'), { recursive: true });
  const configs: Record<string, string> = {
    'section.yaml': 'task: denoiser\ntraining: 5\n',
    'huge.yaml': 'task: denoiser\ntraining:\n  epochs: 100000000000000000000\n',
    'npy.yaml': 'task: denoiser\ndata:\n  train_count: 64\n  train_path: noisy.npy\n',
    'pair.yaml': 'task: denoiser\ndata:\n  train_path: present.npy\n',
    'arrow.yaml': 'task: automl\nseed: 3\ndata:\n  path: table.arrow\n  target: y\n',
    'parquet.yaml': 'task: particles\ndata:\n  path: events.parquet\n',
  };
  for (const [name, text] of Object.entries(configs)) writeFileSync(join(cwd, name), text);
  writeFileSync(join(cwd, 'present.npy'), '');
  const results = scimlBatch(
    [
      ...Object.keys(configs).map((f) => ['train', f]),
      ['automl', 'absent.csv', '--target', 'y'],
      ['automl', 'absent.csv', '--max-trials', '100000000000000000000'],
      ['--json', 'runs'],
    ],
    { cwd },
  );
  const stderr = results.map((r) => r.stderr.trim());
  assert.deepEqual(stderr.slice(0, 8), [
    "sciml: section.yaml:2: training: expected a section of fields indented below 'training:' (epochs, batch_size, learning_rate, learning_rate_decay, patience, min_delta, ...), got 5",
    'sciml: huge.yaml:3: training.epochs: expected a positive integer, got 1e+20 (a number too large for an integer)',
    'sciml: npy.yaml:4: data.train_path: no such file: noisy.npy',
    'sciml: pair.yaml:3: data.train_signal_path: expected the .npy of the clean traces, since data.train_path present.npy is a .npy (one array: the noisy traces)',
    'sciml: arrow.yaml:4: data.path: no such file: table.arrow',
    'sciml: parquet.yaml:3: data.path: no such file: events.parquet',
    'sciml: automl absent.csv: data.path: no such file: absent.csv',
    'sciml: --max-trials: expected an integer >= 1, got 1e+20 (a number too large for an integer)',
  ]);
  assert.deepEqual(
    results.slice(0, 8).map((r) => r.code),
    [2, 2, 2, 2, 2, 2, 2, 2],
  );
  assert.deepEqual(JSON.parse(results[8].stdout), [], 'sciml runs lists nothing');
  assert.deepEqual(readdirSync(join(cwd, 'runs')), [], 'no run directory was made');
});

test('train --help documents the config fields with their defaults', () => {
  const r = trainHelp;
  assert.equal(r.code, 0);
  assert.match(r.stdout, /task: knots/);
  assert.match(r.stdout, /model\.width\s+integer = \d+/);
});
