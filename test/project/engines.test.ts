import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { root } from '../helpers/cli.js';

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
}

test('every locked package supports the oldest Node that package.json engines admits (npm ci has no EBADENGINE)', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const oldest = semver.minVersion(pkg.engines.node);
  assert.ok(oldest, `engines.node ${pkg.engines.node} is not a range`);
  assert.ok(
    semver.satisfies(process.version, pkg.engines.node),
    `this Node ${process.version} is outside engines.node ${pkg.engines.node}`,
  );
  const refused = Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .flatMap(([path, entry]) => {
      const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
      return range && !semver.satisfies(oldest, range) ? [`${path}@${entry.version} requires node ${range}`] : [];
    });
  assert.deepEqual(refused, [], `engines.node ${pkg.engines.node} admits Node ${oldest}`);
});
