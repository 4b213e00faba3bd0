import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTraceFile } from '../../src/data/radio/load.js';
import { simulateTraces } from '../../src/data/radio/simulator.js';
import { radioOptionsSchema } from '../../src/data/radio/options.js';
import { traceSetToArrow } from '../../src/data/radio/arrow-traces.js';
import { writeArrowTable } from '../../src/data/arrow.js';
import { writeNpy, writeNpz } from '../../src/data/npy.js';
import { UserError } from '../../src/runtime/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-denoiser-load-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const L = 64;
const N = 5;
const keys = { noisyKey: 'noisy', signalKey: 'signal' };

/** Raw (unscaled) traces: a bump on a sloped baseline, plus noise of known SNR 4. */
function rawTraces() {
  const noisy = new Float32Array(N * L);
  const signal = new Float32Array(N * L);
  for (let i = 0; i < N; i++) {
    for (let t = 0; t < L; t++) {
      const s = 8 * Math.exp(-(((t - 20 - 4 * i) / 2) ** 2));
      const n = 2 * Math.sin(1.3 * t + i); // RMS sqrt(2)
      signal[i * L + t] = s;
      noisy[i * L + t] = s + n + 100;
    }
  }
  for (let i = 0; i < N; i++) for (let t = 0; t < L; t++) signal[i * L + t] += 100;
  return { noisy, signal };
}

function checkScaled(set: Awaited<ReturnType<typeof loadTraceFile>>, raw: ReturnType<typeof rawTraces>) {
  assert.equal(set.count, N);
  assert.equal(set.length, L);
  for (let i = 0; i < N; i++) {
    const trace = set.noisy.subarray(i * L, (i + 1) * L);
    assert.ok(Math.abs(Math.min(...trace)) < 1e-6 && Math.abs(Math.max(...trace) - 1) < 1e-6, 'noisy scaled to [0, 1]');
    for (const t of [0, 17, 40]) {
      const back = set.signal[i * L + t] * set.scale[i] + set.offset[i];
      assert.ok(Math.abs(back - raw.signal[i * L + t]) < 1e-3, 'signal mapped with the same affine map');
    }
    assert.equal(set.peakIndex[i], 20 + 4 * i);
  }
}

test('.npz with noisy and signal members (stored and deflated), SNR estimated when absent', async () => {
  const raw = rawTraces();
  for (const compress of [false, true]) {
    const path = join(dir, `traces-${compress}.npz`);
    writeNpz(
      path,
      { noisy: { shape: [N, L], data: raw.noisy }, signal: { shape: [N, L], data: raw.signal } },
      compress,
    );
    const set = await loadTraceFile({ path, ...keys });
    checkScaled(set, raw);
    for (let i = 0; i < N; i++) assert.ok(Math.abs(set.snr[i] - 8 / Math.SQRT2) < 0.3, `estimated SNR ${set.snr[i]}`);
  }
});

test('.npy pair: noisy and signal files, float64 accepted', async () => {
  const raw = rawTraces();
  writeNpy(join(dir, 'noisy.npy'), { shape: [N, L], data: Float64Array.from(raw.noisy) });
  writeNpy(join(dir, 'signal.npy'), { shape: [N, L], data: raw.signal });
  const set = await loadTraceFile({ path: join(dir, 'noisy.npy'), signalPath: join(dir, 'signal.npy'), ...keys });
  checkScaled(set, raw);
  await assert.rejects(loadTraceFile({ path: join(dir, 'noisy.npy'), ...keys }), /signal_path/);
});

test('bad arrays name the file, the member and what was expected', async () => {
  const raw = rawTraces();
  writeNpz(join(dir, 'flat.npz'), {
    noisy: { shape: [N * L], data: raw.noisy },
    signal: { shape: [N, L], data: raw.signal },
  });
  await assert.rejects(
    loadTraceFile({ path: join(dir, 'flat.npz'), ...keys }),
    (e: Error) =>
      e instanceof UserError &&
      /flat\.npz: member 'noisy\.npy': expected a 2-D array \[N, L\], got shape \[320\]/.test(e.message),
  );
  writeNpz(join(dir, 'nosignal.npz'), { noisy: { shape: [N, L], data: raw.noisy } });
  await assert.rejects(
    loadTraceFile({ path: join(dir, 'nosignal.npz'), ...keys }),
    /nosignal\.npz: member 'signal\.npy': missing/,
  );
  writeNpz(join(dir, 'short.npz'), {
    noisy: { shape: [N, L], data: raw.noisy },
    signal: { shape: [N, L - 4], data: raw.signal.subarray(0, N * (L - 4)) },
  });
  await assert.rejects(
    loadTraceFile({ path: join(dir, 'short.npz'), ...keys }),
    /short\.npz: member 'signal\.npy': expected the shape of member 'noisy\.npy' \[5, 64\], got \[5, 60\]/,
  );
  const nan = new Float32Array(raw.noisy);
  nan[70] = NaN;
  writeNpz(join(dir, 'nan.npz'), { noisy: { shape: [N, L], data: nan }, signal: { shape: [N, L], data: raw.signal } });
  await assert.rejects(
    loadTraceFile({ path: join(dir, 'nan.npz'), ...keys }),
    /nan\.npz: noisy: expected finite samples, got NaN in trace 1 at sample 6/,
  );
  await assert.rejects(
    loadTraceFile({ path: join(dir, 'traces.txt'), ...keys }),
    /expected traces in a \.arrow, \.parquet, \.csv, \.npz or \.npy file/,
  );
});

test('Arrow from the simulator and CSV with noisy_i/signal_i columns load the same traces', async () => {
  const sim = simulateTraces(4, 3, radioOptionsSchema.parse({ length: 32, sampling_rate_mhz: 180 }));
  const arrowPath = join(dir, 'sim.arrow');
  await writeArrowTable(traceSetToArrow(sim), arrowPath);
  const fromArrow = await loadTraceFile({ path: arrowPath, ...keys });
  assert.deepEqual(Array.from(fromArrow.snr), Array.from(sim.snr), 'the snr column is kept');
  assert.deepEqual(fromArrow.peakIndex, sim.peakIndex);
  for (let i = 0; i < sim.noisy.length; i++) assert.ok(Math.abs(fromArrow.noisy[i] - sim.noisy[i]) < 1e-6);
  const header = [
    'id',
    'snr',
    ...Array.from({ length: 32 }, (_, t) => `noisy_${t}`),
    ...Array.from({ length: 32 }, (_, t) => `signal_${t}`),
  ];
  const lines = [header.join(',')];
  for (let i = 0; i < 4; i++)
    lines.push(
      [
        sim.ids[i],
        sim.snr[i],
        ...sim.noisy.subarray(i * 32, (i + 1) * 32),
        ...sim.signal.subarray(i * 32, (i + 1) * 32),
      ].join(','),
    );
  writeFileSync(join(dir, 'sim.csv'), lines.join('\n') + '\n');
  const fromCsv = await loadTraceFile({ path: join(dir, 'sim.csv'), ...keys });
  assert.deepEqual(fromCsv.peakIndex, sim.peakIndex);
  for (let i = 0; i < sim.signal.length; i++) assert.ok(Math.abs(fromCsv.signal[i] - sim.signal[i]) < 1e-5);
  writeFileSync(join(dir, 'gap.csv'), 'noisy_0,noisy_2,signal_0,signal_1\n1,2,3,4\n');
  await assert.rejects(loadTraceFile({ path: join(dir, 'gap.csv'), ...keys }), /gap\.csv: column 'noisy_1': missing/);
});
