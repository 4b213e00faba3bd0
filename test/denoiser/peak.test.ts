import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracyBySnr,
  isPeakHit,
  peakAccuracy,
  peakHits,
  peakIndexOf,
  peakIndices,
  peakTolerance,
  snrBinEdges,
} from '../../src/metrics/peak.js';

const L = 500;

/** A flat trace with given values at given samples. */
function trace(points: Record<number, number>, length = L, base = 0.2): Float32Array {
  const t = new Float32Array(length).fill(base);
  for (const [i, v] of Object.entries(points)) t[Number(i)] = v;
  return t;
}

test('tolerance is 2% of the trace length: exactly 10 samples of 500', () => {
  assert.equal(peakTolerance(500), 10);
  assert.equal(peakTolerance(1000), 20);
  assert.equal(peakTolerance(500, 0.01), 5);
});

test('a peak exactly 2% away counts; one sample further does not (both directions)', () => {
  assert.equal(isPeakHit(260, 250, L), true);
  assert.equal(isPeakHit(240, 250, L), true);
  assert.equal(isPeakHit(261, 250, L), false);
  assert.equal(isPeakHit(239, 250, L), false);
  assert.equal(isPeakHit(250, 250, L), true);
});

test('peaks at the trace edges', () => {
  assert.equal(peakIndexOf(trace({ 0: 0.9 })), 0);
  assert.equal(peakIndexOf(trace({ 499: 0.9 })), 499);
  // the true pulse at the first sample: a recovery at sample 10 is a hit, at 11 a miss
  const recovered = new Float32Array([...trace({ 10: 1 }), ...trace({ 11: 1 }), ...trace({ 499: 1 })]);
  const hits = peakHits(peakIndices(recovered, L), new Int32Array([0, 0, 489]), L);
  assert.deepEqual(Array.from(hits), [1, 0, 1]);
});

test('ties go to the earliest maximum, as numpy.argmax', () => {
  assert.equal(peakIndexOf(trace({ 100: 0.7, 300: 0.7 })), 100);
  // equal maxima 20 samples apart around the true peak: the earlier one decides
  const recovered = trace({ 95: 0.8, 115: 0.8 });
  assert.equal(peakAccuracy(recovered, new Int32Array([105]), L), 1);
  assert.equal(peakAccuracy(recovered, new Int32Array([110]), L), 0);
  // a constant trace peaks at sample 0
  assert.equal(peakIndexOf(new Float32Array(L).fill(0.5)), 0);
});

test('the maximum, not the largest magnitude, is the peak', () => {
  assert.equal(peakIndexOf(trace({ 50: -5, 400: 0.3 })), 400);
});

test('peak accuracy over several traces', () => {
  const flat = new Float32Array([
    ...trace({ 100: 1 }),
    ...trace({ 200: 1 }),
    ...trace({ 300: 1 }),
    ...trace({ 420: 1 }),
  ]);
  assert.equal(peakAccuracy(flat, new Int32Array([105, 215, 290, 100]), L), 0.5);
});

test('accuracy per SNR bin: edges inclusive at the bottom, the last bin closed', () => {
  const snr = [1, 1.5, 2, 3, 4];
  const hits = [0, 1, 1, 1, 0];
  const bins = accuracyBySnr(snr, hits, [1, 2, 4]);
  assert.deepEqual(
    bins.map((b) => [b.count, b.accuracy]),
    [
      [2, 0.5],
      [3, 2 / 3],
    ],
  );
  const edges = snrBinEdges([1, 2, 4, 8, 16], 4);
  assert.equal(edges.length, 5);
  assert.equal(edges[0], 1);
  assert.equal(edges[4], 16);
  assert.ok(Math.abs(edges[2] - 4) < 1e-9, 'log-spaced');
});
