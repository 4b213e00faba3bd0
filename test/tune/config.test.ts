import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadTuneFile, trialConfig } from '../../src/tune/config.js';
import { root } from '../helpers/cli.js';
import { KNOTS_BASE, tuneYaml, workdir } from './helpers.js';

async function problem(body: string, base = KNOTS_BASE): Promise<string> {
  const dir = workdir({ 'knots.yaml': base, 'tune.yaml': tuneYaml(body) });
  try {
    await loadTuneFile(join(dir, 'tune.yaml'));
  } catch (err) {
    assert.equal((err as { exitCode?: number }).exitCode, 2, String(err));
    return (err as Error).message;
  }
  throw new Error('expected a user error');
}

const SPACE = '  space:\n    training.learning_rate: {loguniform: [1.0e-3, 1.0e-2]}\n';

test('tune file errors name the file, line and field, with a suggestion', async () => {
  assert.match(
    await problem(SPACE + '  budget: {field: training.max_epoch, min: 1, max: 4}\n'),
    /tune\.yaml:6: tune\.budget\.field: expected one of 'training\.max_epochs'.*\(did you mean 'training\.max_epochs'\?\)/,
  );
  assert.match(
    await problem(SPACE + '  segments:\n    a: {modle.width: 8}\n'),
    /tune\.yaml:7: tune\.segments\.a\.modle\.width: no such field in the base config \(did you mean 'model'\?\)/,
  );
  assert.match(
    await problem(SPACE + '  segments:\n    a: {model.width: -3}\n'),
    /tune\.yaml:7: tune\.segments\.a\.model\.width: -3 does not fit this field/,
  );
  assert.match(
    await problem('  space:\n    model.activation: {choice: [relu, swish]}\n'),
    /tune\.yaml:5: tune\.space\.model\.activation: choice value "swish" does not fit this field/,
  );
  assert.match(
    await problem('  space:\n    model.depth: {randint: [0, 3]}\n'),
    /tune\.yaml:5: tune\.space\.model\.depth: randint bound 0 does not fit this field/,
  );
  assert.match(
    await problem('  space:\n    training.max_epochs: {randint: [1, 3]}\n'),
    /tune\.yaml:5: tune\.space\.training\.max_epochs: this is the budget field/,
  );
  assert.match(
    await problem(SPACE + '  sheduler: asha\n'),
    /tune\.yaml:6: tune\.sheduler: unknown field \(did you mean 'scheduler'\?\)/,
  );
  assert.match(
    await problem(SPACE + '  budget: {min: 1, max: 9}\n  brackets: 4\n'),
    /tune\.yaml:7: tune\.brackets: expected at most 3 \(the rungs from budget\.min 1 to budget\.max 9 at eta 3\), got 4/,
  );
  assert.match(
    await problem(SPACE + '  scheduler: successive_halving\n  brackets: 2\n'),
    /tune\.yaml:7: tune\.brackets: brackets work with scheduler: asha, got scheduler: successive_halving/,
  );
});

test('space paths reach into records (model.params.* of task: tabular), checked by the learner', async () => {
  const dir = workdir({
    'tune.yaml': `tune:\n  base: ${join(root, 'configs', 'tabular-bikes-gbm.yaml')}\n  metric: validation.rmse\n  space:\n    model.params.max_leaf_nodes: {uniform: [8, 64]}\n  budget: {field: model.params.max_iter, min: 10, max: 90}\n`,
  });
  await assert.rejects(
    loadTuneFile(join(dir, 'tune.yaml')),
    /tune\.yaml:5: tune\.space\.model\.params\.max_leaf_nodes: a uniform domain draws fractions but this field takes integers/,
  );
  const ok = workdir({
    'tune.yaml': `tune:\n  base: ${join(root, 'configs', 'tabular-bikes-gbm.yaml')}\n  metric: validation.rmse\n  space:\n    model.params.max_leaf_nodes: {randint: [8, 64]}\n    model.params.learning_rate: {loguniform: [0.01, 0.3]}\n  budget: {field: model.params.max_iter, min: 10, max: 90}\n  trial_overrides: {validation.fraction: 0.3}\n`,
  });
  const setup = await loadTuneFile(join(ok, 'tune.yaml'));
  const trial = trialConfig(
    setup,
    setup.segments[0],
    { 'model.params.max_leaf_nodes': 17, 'model.params.learning_rate': 0.05 },
    30,
    42,
  ) as any;
  assert.equal(trial.model.params.max_iter, 30);
  assert.equal(trial.model.params.max_leaf_nodes, 17);
  assert.equal(trial.validation.fraction, 0.3);
  assert.ok(trial.data.path.startsWith('/'), 'relative data paths become absolute');
  const best = trialConfig(
    setup,
    setup.segments[0],
    { 'model.params.max_leaf_nodes': 17, 'model.params.learning_rate': 0.05 },
    30,
    42,
    { forTrial: false },
  ) as any;
  assert.equal(best.validation.fraction, 0.2, 'trial_overrides stay out of the winner config');
});

test('the shipped tune files load against their base configs', async () => {
  const denoiser = await loadTuneFile(join(root, 'configs', 'tune-denoiser.yaml'));
  assert.deepEqual(
    denoiser.segments.map((s) => s.name),
    ['measured', 'uniform', 'cosine'],
  );
  assert.equal(denoiser.mode, 'max');
  const filters = denoiser.parameters.find((p) => p.path === 'model.filters')!;
  assert.deepEqual(filters.values?.[1], [32, 32, 16, 16], 'a choice of lists samples an index into its values');
  const knots = await loadTuneFile(join(root, 'configs', 'tune-knots.yaml'));
  assert.equal(knots.budgetField, 'training.max_epochs');
  const gbm = await loadTuneFile(join(root, 'configs', 'tune-bikes-gbm.yaml'));
  assert.equal(gbm.budgetField, 'model.params.max_iter');
  assert.equal(gbm.task.name, 'tabular');
});
