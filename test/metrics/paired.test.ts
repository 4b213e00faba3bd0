import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedComparison } from '../../src/metrics/paired.js';
import { Random } from '../../src/runtime/random.js';

test('paired comparison: accuracies, difference and its standard error from per-item differences', () => {
  const rng = new Random(7);
  const a = new Map<number, boolean>();
  const b = new Map<number, boolean>();
  const d: number[] = [];
  for (let id = 0; id < 5000; id++) {
    const ha = rng.next() < 0.9;
    const hb = rng.next() < 0.05 ? !ha : ha || rng.next() < 0.1;
    a.set(1000 + id, ha);
    b.set(1000 + id, hb);
    d.push(Number(hb) - Number(ha));
  }
  const c = pairedComparison(a, b);
  const mean = d.reduce((s, x) => s + x, 0) / d.length;
  const variance = d.reduce((s, x) => s + (x - mean) ** 2, 0) / d.length;
  assert.equal(c.n, 5000);
  assert.ok(Math.abs(c.b - c.a - mean) < 1e-12);
  assert.ok(Math.abs(c.diff - mean) < 1e-12);
  assert.ok(Math.abs(c.se - Math.sqrt(variance / d.length)) < 1e-12);
  assert.equal(c.onlyB - c.onlyA, Math.round(mean * d.length));
  assert.ok(c.onlyA > 100 && c.onlyB > 20, `discordant traces both ways: ${c.onlyA}, ${c.onlyB}`);
});

test('paired comparison: identical models differ by exactly 0 with no error; a missing item is refused', () => {
  const a = new Map([
    [1, true],
    [2, false],
    [3, true],
  ]);
  assert.deepEqual(pairedComparison(a, new Map(a)), { n: 3, a: 2 / 3, b: 2 / 3, diff: 0, se: 0, onlyA: 0, onlyB: 0 });
  assert.throws(
    () =>
      pairedComparison(
        a,
        new Map([
          [1, true],
          [2, false],
        ]),
      ),
    /item 3 is missing/,
  );
});
