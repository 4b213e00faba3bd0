import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../../src/runtime/random.js';
import { readStateFile, writeStateFile } from '../../src/runtime/state-file.js';
import { isUserError } from '../../src/runtime/errors.js';
import { tempDir } from './helpers.js';

const dir = tempDir('state');
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a Random restored from its state (through JSON) continues the same stream, spare normal included', () => {
  const a = new Random(77);
  a.permutation(50);
  a.normal(); // leaves a spare normal behind
  const b = Random.fromState(JSON.parse(JSON.stringify(a.getState())));
  assert.deepEqual(
    [b.normal(), b.next(), b.nextUint32(), ...b.permutation(20)],
    [a.normal(), a.next(), a.nextUint32(), ...a.permutation(20)],
  );
  const c = new Random(3);
  const d = Random.fromState(JSON.parse(JSON.stringify(c.getState())));
  assert.equal(d.normal(), c.normal());
});

test('a state file round-trips its header and typed arrays exactly; a truncated one is a UserError', () => {
  const path = join(dir, 's.bin');
  const f32 = Float32Array.from([1.5, -2.25, Math.PI]);
  const f64 = Float64Array.from([Math.E, -0, 1e-300]);
  const i32 = Int32Array.from([7, -9]);
  writeStateFile(path, 'test-state/1', { step: 4, best: null, names: ['a'] }, { f32, f64, i32 });
  const back = readStateFile<{ step: number; names: string[] }>(path, 'test-state/')!;
  assert.deepEqual(back.state, { step: 4, best: null, names: ['a'] });
  assert.deepEqual(back.array('f32'), f32);
  assert.deepEqual(back.array('f64'), f64);
  assert.deepEqual(back.array('i32'), i32);
  assert.throws(
    () => readStateFile(path, 'other-state/'),
    (e: Error) => isUserError(e) && /expected a other-state\/ checkpoint/.test(e.message),
  );
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 4));
  assert.throws(
    () => readStateFile(path, 'test-state/')!.array('i32'),
    (e: Error) => isUserError(e) && /truncated/.test(e.message),
  );
  assert.equal(readStateFile(join(dir, 'none.bin'), 'test-state/'), undefined);
});
