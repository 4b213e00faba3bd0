import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configsReadme } from '../../src/commands/config-readme.js';
import { root } from '../helpers/cli.js';

test('configs/README.md documents every field of every task schema (regenerate: npm run docs:configs)', async () => {
  const onDisk = readFileSync(join(root, 'configs', 'README.md'), 'utf8');
  assert.equal(onDisk, await configsReadme());
});

test('pipelines/quick.yaml and the README state the sizes configs/quick/ really uses', async () => {
  const { parse } = await import('yaml');
  const header = readFileSync(join(root, 'pipelines', 'quick.yaml'), 'utf8');
  const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  // (The pipeline file itself is not plain YAML to a YAML parser: `${}` inside flow lists.)
  const testTraces = /^\s+traces: (\d+)$/m.exec(header)![1];
  const [, traces, epochs] = /(\d+) training traces, (\d+) epochs/.exec(header)!;
  assert.ok(header.includes(`${testTraces}-trace test sets`), 'the test-set size');
  for (const noise of ['measured', 'uniform', 'cosine']) {
    const config = parse(readFileSync(join(root, 'configs', 'quick', `denoiser-${noise}.yaml`), 'utf8')) as {
      data: { train_count: number };
      training: { epochs: number };
    };
    assert.equal(config.data.train_count, Number(traces), noise);
    assert.equal(config.training.epochs, Number(epochs), noise);
  }
  assert.ok(
    readme.includes(`${Number(traces).toLocaleString('en-US')} training traces, ${epochs} epochs`),
    'README names the same sizes',
  );
  assert.ok(!/quick[^.]*already beat the Wiener filter/.test(readme), 'no claim the measurement refutes');
});
