import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import {
  asMatrix,
  encodeNpy,
  parseNpy,
  parseNpz,
  readArray,
  readNpy,
  readNpz,
  writeNpy,
  writeNpz,
  type NpyData,
} from '../../src/data/npy.js';
import { UserError } from '../../src/runtime/errors.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/npy/', import.meta.url));

/** Builds a .npy by hand, independently of encodeNpy: header text, version and raw data bytes as given. */
function handMadeNpy(header: string, data: number[], major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  let text = header;
  while ((prefix + text.length + 1) % 16 !== 0) text += ' ';
  text += '\n';
  const bytes = [0x93, ...'NUMPY'.split('').map((c) => c.charCodeAt(0)), major, 0];
  if (major === 1) bytes.push(text.length & 0xff, text.length >> 8);
  else bytes.push(text.length & 0xff, (text.length >> 8) & 0xff, 0, 0);
  for (const c of text) bytes.push(c.charCodeAt(0));
  return Uint8Array.from([...bytes, ...data]);
}

test('hand-made bytes: big-endian int16 in Fortran order, version 2 header', () => {
  // A 2x3 array [[1, 2, 3], [4, 5, -1]] stored column by column as big-endian int16.
  const columnMajor = [1, 4, 2, 5, 3, -1];
  const data = columnMajor.flatMap((v) => [(v >> 8) & 0xff, v & 0xff]);
  const array = parseNpy(
    handMadeNpy("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }", data, 2),
    'hand.npy',
  );
  assert.equal(array.dtype, '<i2');
  assert.deepEqual(array.shape, [2, 3]);
  assert.ok(array.data instanceof Int16Array);
  assert.deepEqual([...array.data], [1, 2, 3, 4, 5, -1]);
});

test('hand-made bytes: little-endian float32 known values, scalar shape', () => {
  // 1.0f = 00 00 80 3f, -2.5f = 00 00 20 c0
  const array = parseNpy(
    handMadeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", [0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0]),
    'f.npy',
  );
  assert.deepEqual([...array.data], [1, -2.5]);
  const scalar = parseNpy(
    handMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]),
    's.npy',
  );
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual([...scalar.data], [1]);
});

test('fixtures written by numpy: savez (stored) and savez_compressed (deflated, zip64 headers)', () => {
  const expectNoisy = (i: number, j: number) => i + j / 8;
  const expectSignal = (i: number, j: number) => i * 10 - j / 4;
  for (const file of ['stored.npz', 'compressed.npz']) {
    const arrays = readNpz(join(fixtures, file));
    const noisy = arrays.get('noisy')!;
    const signal = arrays.get('signal')!;
    assert.equal(noisy.dtype, '<f4');
    assert.equal(signal.dtype, '<f8');
    assert.deepEqual(noisy.shape, [3, 5]);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 5; j++) {
        assert.equal(noisy.data[i * 5 + j], expectNoisy(i, j));
        assert.equal(signal.data[i * 5 + j], expectSignal(i, j));
      }
    }
  }
  assert.deepEqual([...readNpz(join(fixtures, 'compressed.npz')).get('short')!.data], [0, 1, 2]);
});

test('fixtures written by numpy: Fortran int64, bool, big-endian, uint8, header versions 2 and 3', () => {
  const f = readNpy(join(fixtures, 'fortran_i8.npy'));
  assert.deepEqual(f.shape, [2, 3, 4]);
  assert.equal(f.dtype, '<i8');
  assert.deepEqual(
    [...f.data],
    Array.from({ length: 24 }, (_, i) => i),
  );
  assert.deepEqual([...readNpy(join(fixtures, 'bool.npy')).data], [1, 0, 1, 1]);
  assert.equal(readNpy(join(fixtures, 'bool.npy')).dtype, '|b1');
  assert.deepEqual([...readNpy(join(fixtures, 'big_endian_f8.npy')).data], [1.5, -2.25, 1e300]);
  assert.deepEqual([...readNpy(join(fixtures, 'u1.npy')).data], [0, 1, 255]);
  for (const v of ['v2_i4.npy', 'v3_i4.npy'])
    assert.deepEqual([...readNpy(join(fixtures, v)).data], [-1, 0, 7, 2147483647]);
});

test('writer round trip for every dtype, .npy and .npz (stored and deflated), atomically', () => {
  const cases: { data: NpyData; shape: number[]; dtype?: string }[] = [
    { data: Float32Array.from([0.1, -0, 3e38, -1.5, 2, 7]), shape: [2, 3] },
    { data: Float64Array.from([Math.PI, -1e-310, NaN, 4]), shape: [2, 2, 1] },
    { data: Int32Array.from([-2147483648, 0, 2147483647]), shape: [3] },
    { data: Int16Array.from([-32768, 5]), shape: [1, 2] },
    { data: Uint8Array.from([0, 128, 255]), shape: [3] },
    { data: Uint8Array.from([1, 0, 1]), shape: [3], dtype: '|b1' },
  ];
  for (const c of cases) {
    const back = parseNpy(encodeNpy(c), 'mem.npy');
    assert.deepEqual(back.shape, c.shape);
    assert.equal(back.data.constructor, c.data.constructor);
    assert.deepEqual(
      new Uint8Array(back.data.buffer, back.data.byteOffset, back.data.byteLength),
      new Uint8Array(c.data.buffer),
    );
    if (c.dtype) assert.equal(back.dtype, c.dtype);
  }
  const dir = mkdtempSync(join(tmpdir(), 'sciml-npy-'));
  writeNpy(join(dir, 'a.npy'), cases[0]);
  writeNpz(join(dir, 'b.npz'), { noisy: cases[0], other: cases[2] }, true);
  writeNpz(join(dir, 'c.npz'), { noisy: cases[0] }, false);
  assert.deepEqual(readdirSync(dir).sort(), ['a.npy', 'b.npz', 'c.npz']);
  assert.deepEqual([...readNpy(join(dir, 'a.npy')).data], [...cases[0].data]);
  for (const f of ['b.npz', 'c.npz'])
    assert.deepEqual([...readNpz(join(dir, f)).get('noisy')!.data], [...cases[0].data]);
  // The header is padded so the data starts on a 64-byte boundary, as numpy writes it.
  const bytes = encodeNpy(cases[0]);
  assert.equal((bytes.length - cases[0].data.byteLength) % 64, 0);
});

test('errors name the file, the member and what was expected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-npy-'));
  const path = join(dir, 'traces.npz');
  writeNpz(path, {
    noisy: { data: Float32Array.from([1, 2, 3]), shape: [3] },
    signal: { data: new Float32Array(4), shape: [2, 2] },
  });
  const noisy = readArray(path, 'noisy');
  assert.throws(
    () => asMatrix(noisy, noisy.where),
    (e: unknown) =>
      e instanceof UserError && e.message === `${path}: member 'noisy.npy': expected a 2-D array [N, L], got shape [3]`,
  );
  assert.deepEqual(asMatrix(readArray(path, 'signal'), 'x').rows, 2);
  assert.throws(() => readArray(path, 'clean'), /member 'clean\.npy': missing \(members: noisy\.npy, signal\.npy\)/);
  assert.throws(() => readArray(path), /expected an array name \(members: noisy, signal\)/);

  const complex = zipSync({
    'z.npy': handMadeNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0, 0, 0, 0, 0]),
  });
  assert.throws(
    () => parseNpz(complex, 'c.npz'),
    (e: unknown) =>
      e instanceof UserError && /^c\.npz: member 'z\.npy': expected a numeric dtype .*got '<c8'/.test(e.message),
  );
  const short = handMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", [0, 0, 0, 0]);
  assert.throws(() => parseNpy(short, 's.npy'), /s\.npy: expected 32 bytes of data for shape \[4\] <f8, got 4/);
  assert.throws(() => parseNpy(new TextEncoder().encode('a,b\n1,2\n'), 'x.npy'), /x\.npy: expected a \.npy array/);
  assert.throws(
    () => parseNpz(new TextEncoder().encode('not a zip'), 'y.npz'),
    /y\.npz: expected an \.npz \(zip\) archive/,
  );
  assert.throws(() => readNpy(join(dir, 'absent.npy')), /absent\.npy: no such file/);
});
