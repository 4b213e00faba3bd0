import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateTraces } from '../../src/data/radio/simulator.js';
import { radioOptionsSchema } from '../../src/data/radio/options.js';
import { RealFourier } from '../../src/data/radio/fourier.js';
import { traceSetToArrow } from '../../src/data/radio/arrow-traces.js';
import { flatFloat32Vectors } from '../../src/data/arrow.js';

const L = 500;
const FS = 180;

function rawOf(set: ReturnType<typeof simulateTraces>, i: number) {
  const signal = new Float64Array(L);
  const noise = new Float64Array(L);
  for (let t = 0; t < L; t++) {
    const s = set.signal[i * L + t];
    const x = set.noisy[i * L + t];
    signal[t] = s * set.scale[i] + set.offset[i];
    noise[t] = (x - s) * set.scale[i];
  }
  return { signal, noise };
}

function powerSpectrum(x: Float64Array): Float64Array {
  const spec = new RealFourier(x.length).forward(x);
  return Float64Array.from(spec.re, (re, k) => re * re + spec.im[k] * spec.im[k]);
}

const freqs = new RealFourier(L).frequencies(FS);

for (const noise of ['measured', 'uniform', 'cosine'] as const) {
  test(`${noise}: each trace's SNR is the one drawn, and traces are min-max scaled`, () => {
    const set = simulateTraces(200, 5, radioOptionsSchema.parse({ noise }));
    for (let i = 0; i < set.count; i++) {
      const { signal, noise: n } = rawOf(set, i);
      const peak = Math.max(...Array.from(signal, Math.abs));
      const rms = Math.sqrt(n.reduce((a, v) => a + v * v, 0) / L);
      assert.ok(
        Math.abs(peak / rms / set.snr[i] - 1) < 1e-3,
        `trace ${i}: measured SNR ${peak / rms}, drawn ${set.snr[i]}`,
      );
      const trace = set.noisy.subarray(i * L, (i + 1) * L);
      assert.equal(Math.min(...trace), 0);
      assert.ok(Math.abs(Math.max(...trace) - 1) < 1e-6);
    }
  });
}

test('SNRs span the configured range, log-uniformly', () => {
  const set = simulateTraces(2000, 3, radioOptionsSchema.parse({ snr_min: 1, snr_max: 20 }));
  const sorted = Array.from(set.snr).sort((a, b) => a - b);
  assert.ok(sorted[0] >= 1 && sorted[sorted.length - 1] <= 20);
  const median = sorted[1000];
  assert.ok(
    Math.abs(Math.log(median) - Math.log(Math.sqrt(20))) < 0.15,
    `median ${median} near the geometric mean ${Math.sqrt(20)}`,
  );
  assert.ok(sorted.filter((s) => s < 1.5).length > 150, 'some traces are hopeless');
  assert.ok(sorted.filter((s) => s > 10).length > 300, 'some traces are easy');
});

test("the pulse's spectrum lies in the band, and its peak away from the edges", () => {
  const set = simulateTraces(100, 9, radioOptionsSchema.parse({ noise: 'uniform' }));
  for (let i = 0; i < set.count; i++) {
    const p = powerSpectrum(rawOf(set, i).signal);
    let inside = 0;
    let outside = 0;
    p.forEach((v, k) => (freqs[k] >= 30 && freqs[k] <= 80 ? (inside += v) : (outside += v)));
    assert.ok(outside < 1e-6 * inside, `trace ${i}: ${outside / inside} of the power out of band`);
    assert.ok(set.peakIndex[i] >= 50 && set.peakIndex[i] < 450, `peak ${set.peakIndex[i]}`);
  }
});

test('measured noise lives in the band, falls with frequency, and carries narrowband lines', () => {
  const opts = radioOptionsSchema.parse({ noise: 'measured', white_fraction: 0, carriers_max: 0 });
  const set = simulateTraces(300, 4, opts);
  const mean = new Float64Array(freqs.length);
  for (let i = 0; i < set.count; i++) powerSpectrum(rawOf(set, i).noise).forEach((v, k) => (mean[k] += v));
  const bandPower = (lo: number, hi: number) =>
    mean.reduce((a, v, k) => a + (freqs[k] >= lo && freqs[k] < hi ? v : 0), 0);
  assert.ok(bandPower(0, 30) + bandPower(80, 91) < 1e-6 * bandPower(30, 80), 'no power outside the band');
  assert.ok(bandPower(38, 48) > 1.5 * bandPower(62, 72), 'galactic-like: lower frequencies carry more power');
  const withCarriers = simulateTraces(
    50,
    4,
    radioOptionsSchema.parse({ noise: 'measured', white_fraction: 0, carriers_max: 3, carrier_amplitude: 3 }),
  );
  let peaky = 0;
  for (let i = 0; i < withCarriers.count; i++) {
    const p = powerSpectrum(rawOf(withCarriers, i).noise);
    const sorted = Array.from(p).sort((a, b) => b - a);
    if (sorted[0] > 20 * sorted[Math.floor(sorted.length / 4)]) peaky++;
  }
  assert.ok(peaky > 25, `${peaky} of 50 traces show a narrowband line`);
});

test('cosine noise is one spectral line; uniform noise is flat and bounded', () => {
  const cos = simulateTraces(20, 2, radioOptionsSchema.parse({ noise: 'cosine' }));
  for (let i = 0; i < cos.count; i++) {
    const p = powerSpectrum(rawOf(cos, i).noise);
    const total = p.reduce((a, b) => a + b, 0);
    const sorted = Array.from(p).sort((a, b) => b - a);
    assert.ok(sorted[0] + sorted[1] + sorted[2] + sorted[3] > 0.8 * total, 'power concentrated at one frequency');
  }
  const uni = simulateTraces(200, 2, radioOptionsSchema.parse({ noise: 'uniform' }));
  const mean = new Float64Array(freqs.length);
  for (let i = 0; i < uni.count; i++) {
    const { noise } = rawOf(uni, i);
    const rms = Math.sqrt(noise.reduce((a, v) => a + v * v, 0) / L);
    assert.ok(
      Math.max(...Array.from(noise, Math.abs)) <= Math.sqrt(3) * rms * 1.2,
      'uniform noise is bounded by sqrt(3) RMS',
    );
    powerSpectrum(noise).forEach((v, k) => (mean[k] += v));
  }
  const low = mean.slice(10, 120).reduce((a, b) => a + b, 0);
  const high = mean.slice(130, 240).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(low / high - 1) < 0.1, `white: ${low / high}`);
});

test('the same seed gives the same traces; the Arrow table round-trips them', () => {
  const opts = radioOptionsSchema.parse({});
  const a = simulateTraces(30, 77, opts);
  const b = simulateTraces(30, 77, opts);
  assert.deepEqual(a.noisy, b.noisy);
  assert.notDeepEqual(simulateTraces(30, 78, opts).noisy, a.noisy);
  const table = traceSetToArrow(a);
  assert.deepEqual(
    table.schema.fields.map((f) => f.name),
    ['id', 'noisy', 'signal', 'snr', 'peak_index', 'noise', 'scale', 'offset'],
  );
  assert.deepEqual(flatFloat32Vectors(table, 'noisy').data, a.noisy);
  assert.equal(table.getChild('peak_index')!.get(3), a.peakIndex[3]);
});
