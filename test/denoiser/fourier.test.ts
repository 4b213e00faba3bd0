import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RealFourier } from '../../src/data/radio/fourier.js';
import { Random } from '../../src/runtime/random.js';

function naiveDft(x: Float64Array): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const bins = Math.floor(n / 2) + 1;
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    for (let t = 0; t < n; t++) {
      re[k] += x[t] * Math.cos((2 * Math.PI * k * t) / n);
      im[k] -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
    }
  }
  return { re, im };
}

for (const n of [500, 64, 37]) {
  test(`the DFT of length ${n} matches the naive sum and inverts`, () => {
    const rng = new Random(n);
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const f = new RealFourier(n);
    const got = f.forward(x);
    const want = naiveDft(x);
    for (let k = 0; k < f.bins; k++) {
      assert.ok(Math.abs(got.re[k] - want.re[k]) < 1e-9 * n, `re[${k}]`);
      assert.ok(Math.abs(got.im[k] - want.im[k]) < 1e-9 * n, `im[${k}]`);
    }
    const back = f.inverse(got);
    for (let t = 0; t < n; t++) assert.ok(Math.abs(back[t] - x[t]) < 1e-10, `x[${t}]`);
  });
}
