import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../helpers/cli.js';

/** Every folder below src/, as `src/a/b/`. */
function sourceFolders(dir = 'src'): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => [`${dir}/${e.name}/`, ...sourceFolders(`${dir}/${e.name}`)]);
}

/** The `src/...` folders named in the first cell of each row of DEVELOPING.md's layout table. */
function layoutRows(): string[] {
  const text = readFileSync(join(root, 'DEVELOPING.md'), 'utf8');
  const section = text.slice(text.indexOf('## Layout'), text.indexOf('\n## ', text.indexOf('## Layout') + 1));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split(' | ')[0].matchAll(/`(src\/[^`]*\/)`/g)].map((m) => m[1]));
}

test("DEVELOPING.md's layout table has one row per folder of src/, and no row for a folder that is gone", () => {
  const families = readdirSync(join(root, 'src/models'), { withFileTypes: true }).filter((e) => e.isDirectory());
  const rows = layoutRows().flatMap((folder) =>
    folder === 'src/models/<family>/' ? families.map((f) => `src/models/${f.name}/`) : [folder],
  );
  const folders = sourceFolders().filter((f) => f !== 'src/models/');
  const twice = rows.filter((f, i) => rows.indexOf(f) !== i);
  assert.deepEqual(twice, [], `folders with more than one row: ${twice.join(', ')}`);
  assert.deepEqual(
    folders.filter((f) => !rows.includes(f)),
    [],
    'folders of src/ without a row in the layout table',
  );
  assert.deepEqual(
    rows.filter((f) => !folders.includes(f)),
    [],
    'rows of the layout table naming a folder src/ does not have',
  );
});
