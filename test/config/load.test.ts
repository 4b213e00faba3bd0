import test from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseConfigSource, parseOverride, validateConfig, readTaskName } from '../../src/config/load.js';
import { section, positiveInt, fraction, choice, seed } from '../../src/config/fields.js';
import { describeFields } from '../../src/config/describe.js';
import { UserError } from '../../src/runtime/errors.js';

const schema = z.strictObject({
  task: z.literal('demo'),
  seed: seed(),
  model: section(
    {
      filters: z
        .array(z.number().int().positive({ error: 'expected a positive integer' }))
        .default([16, 32])
        .describe('filters per block'),
      kernel_size: positiveInt(5, 'convolution width'),
      activation: choice(['relu', 'tanh'] as const, 'relu', 'hidden activation'),
    },
    'the network',
  ),
  training: section({ validation_fraction: fraction(0.2, 'held out for early stopping') }, 'training loop'),
});

function load(text: string, set: string[] = [], seedFlag?: number) {
  const { raw, source } = parseConfigSource('configs/x.yaml', text);
  const flags =
    seedFlag === undefined
      ? []
      : [{ path: ['seed'], value: seedFlag, text: `seed=${seedFlag}`, flag: `--seed ${seedFlag}` }];
  return validateConfig(schema, raw, 'configs/x.yaml', source, [...set.map(parseOverride), ...flags]);
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
    return err.message;
  }
  assert.fail('expected an error');
}

test('defaults fill every omitted section and field', () => {
  const c = load('task: demo\n');
  assert.deepEqual(c, {
    task: 'demo',
    seed: 42,
    model: { filters: [16, 32], kernel_size: 5, activation: 'relu' },
    training: { validation_fraction: 0.2 },
  });
});

test('a wrong value names file, line, dotted field, expectation and the value', () => {
  const msg = errorOf(() => load('task: demo\nmodel:\n  filters:\n    - 16\n    - -3\n'));
  assert.equal(msg, 'configs/x.yaml:5: model.filters[1]: expected a positive integer, got -3');
});

test('a misspelled key is an error with a did-you-mean hint and its line', () => {
  const msg = errorOf(() => load('task: demo\nmodel:\n  kernel_sise: 7\n'));
  assert.match(msg, /^configs\/x\.yaml:3: model\.kernel_sise: unknown field \(did you mean 'kernel_size'\?\)/);
});

test('a wrong type is reported with what was given', () => {
  const msg = errorOf(() => load('task: demo\ntraining:\n  validation_fraction: lots\n'));
  assert.match(
    msg,
    /^configs\/x\.yaml:3: training\.validation_fraction: expected a number between 0 and 1, got "lots"/,
  );
  const msg2 = errorOf(() => load('task: demo\nmodel:\n  activation: relux\n'));
  assert.match(msg2, /^configs\/x\.yaml:3: model\.activation: expected one of 'relu', 'tanh', got "relux"/);
});

test('a scalar where a section belongs, a list, a huge integer and a long text read as a person would write them', () => {
  assert.equal(
    errorOf(() => load('task: demo\ntraining: 5\n')),
    "configs/x.yaml:2: training: expected a section of fields indented below 'training:' (validation_fraction), got 5",
  );
  assert.equal(
    errorOf(() => load('task: demo\nmodel: [1, 2]\n')),
    "configs/x.yaml:2: model: expected a section of fields indented below 'model:' (filters, kernel_size, activation), got a list of 2 items",
  );
  assert.equal(
    errorOf(() => load('task: demo\nmodel:\n  kernel_size: 100000000000000000000\n')),
    'configs/x.yaml:3: model.kernel_size: expected a positive integer, got 1e+20 (a number too large for an integer)',
  );
  assert.equal(
    errorOf(() => load('task: demo\nmodel:\n  filters: 8\n')),
    'configs/x.yaml:3: model.filters: expected a list, got 8',
  );
  assert.equal(
    errorOf(() => load(`task: demo\nmodel:\n  kernel_size: ${'x'.repeat(500)}\n`)),
    `configs/x.yaml:3: model.kernel_size: expected a positive integer, got "${'x'.repeat(30)}"... (a text of 500 characters)`,
  );
  assert.equal(
    errorOf(() => load('task: demo\n', [], 7.5)),
    '--seed 7.5: seed: expected a non-negative integer, got 7.5',
  );
});

test('--set overrides with the same validation, typed as YAML', () => {
  const c = load('task: demo\n', ['model.kernel_size=9', 'model.filters=[8, 8, 8]']);
  assert.equal(c.model.kernel_size, 9);
  assert.deepEqual(c.model.filters, [8, 8, 8]);
  const msg = errorOf(() => load('task: demo\n', ['model.kernel_size=-1']));
  assert.equal(msg, '--set model.kernel_size=-1: model.kernel_size: expected a positive integer, got -1');
  const msg2 = errorOf(() => load('task: demo\n', ['model.kernal_size=3']));
  assert.match(msg2, /^--set model\.kernal_size=3: model\.kernal_size: unknown field \(did you mean 'kernel_size'\?\)/);
  const c2 = load('task: demo\nmodel:\n  filters: [1, 2]\n', ['model.filters[1]=5']);
  assert.deepEqual(c2.model.filters, [1, 5]);
});

test('YAML syntax errors name the line', () => {
  const msg = errorOf(() => load('task: demo\nmodel:\n  kernel_size: [1, 2\n'));
  assert.match(msg, /^configs\/x\.yaml:\d+: invalid YAML/);
});

test('task names are checked with a hint', () => {
  const { raw, source } = parseConfigSource('c.yaml', 'task: denoizer\n');
  const msg = errorOf(() => readTaskName('c.yaml', raw, source, ['denoiser', 'knots']));
  assert.equal(msg, `c.yaml:1: task: expected one of 'denoiser', 'knots', got "denoizer" (did you mean 'denoiser'?)`);
  const { raw: r2 } = parseConfigSource('c.yaml', 'seed: 1\n');
  assert.match(
    errorOf(() => readTaskName('c.yaml', r2, undefined, ['denoiser'])),
    /^c\.yaml:1: task: missing required field/,
  );
});

test('field docs list every leaf with its default and description', () => {
  const rows = describeFields(schema);
  const byPath = Object.fromEntries(rows.map((r) => [r.path, r]));
  assert.deepEqual(Object.keys(byPath), [
    'task',
    'seed',
    'model.filters',
    'model.kernel_size',
    'model.activation',
    'training.validation_fraction',
  ]);
  assert.equal(byPath['model.kernel_size'].default, '5');
  assert.equal(byPath['model.kernel_size'].type, 'integer');
  assert.equal(byPath['model.activation'].type, "'relu' | 'tanh'");
  assert.equal(byPath['training.validation_fraction'].description, 'held out for early stopping');
});
