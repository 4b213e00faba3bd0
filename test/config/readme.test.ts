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
