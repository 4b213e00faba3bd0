import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/runtime/errors.js';
import { writeArrowTable } from '../../src/data/arrow.js';
import { KNOT_FEATURES, KNOT_TARGET, nearestEven, slope } from '../../src/data/knots/columns.js';
import { simulateKnots, DEFAULT_SIMULATION } from '../../src/data/knots/simulate.js';
import { knotsGenerator, SYNTHETIC_METADATA_KEY } from '../../src/data/knots/generate.js';
import { loadKnotFile } from '../../src/data/knots/load.js';

const ALL_COLUMNS = [...KNOT_FEATURES, KNOT_TARGET];

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

test('simulated knots have the published columns, realistic ranges and an even signature near slope/2', () => {
  const n = 6000;
  const c = simulateKnots(n, 5);
  assert.deepEqual(Object.keys(c).sort(), [...ALL_COLUMNS].sort());
  const symmetry = KNOT_FEATURES.filter((f) => f.startsWith('Symmetry_'));
  let slopeSquaredError = 0;
  let slopeHits = 0;
  for (let i = 0; i < n; i++) {
    assert.ok(c.volume[i] >= 2 && c.volume[i] <= 30);
    assert.ok(c.cusp_volume[i] > 0 && c.cusp_volume[i] < c.volume[i]);
    assert.ok(c.chern_simons[i] >= -0.5 && c.chern_simons[i] < 0.5);
    assert.ok(c.injectivity_radius[i] > 0 && c.short_geodesic_real_part[i] > 0);
    assert.ok(Math.abs(c.short_geodesic_imag_part[i]) <= Math.PI);
    assert.ok(c.meridinal_translation_imag[i] > 0);
    assert.equal(
      symmetry.reduce((s, f) => s + c[f][i], 0),
      1,
      'symmetry columns are one-hot',
    );
    for (const f of ['hyperbolic_torsion_degree', 'hyperbolic_adjoint_torsion_degree', KNOT_TARGET])
      assert.ok(Number.isInteger(c[f][i]));
    assert.equal(Math.abs(c.signature[i]) % 2, 0);
    assert.ok(
      c.hyperbolic_torsion_degree[i] >= 2 * Math.abs(c.signature[i]) - 2,
      '|σ| ≤ 2g and torsion degree = 4g − 2',
    );
    const half =
      slope(c.longitudinal_translation[i], c.meridinal_translation_real[i], c.meridinal_translation_imag[i]) / 2;
    slopeSquaredError += (half - c.signature[i]) ** 2;
    if (nearestEven(half) === c.signature[i]) slopeHits++;
  }
  const mse = slopeSquaredError / n;
  const median = (v: Float64Array) => Float64Array.from(v).sort()[n >> 1];
  const meridianLength = Float64Array.from(c.meridinal_translation_real, (re, i) =>
    Math.hypot(re, c.meridinal_translation_imag[i]),
  );
  assert.ok(
    median(c.longitudinal_translation) > 5 * median(meridianLength),
    'the longitudinal translation is the long one',
  );
  let variance = 0;
  const meanSignature = c.signature.reduce((a, b) => a + b, 0) / n;
  for (const s of c.signature) variance += (s - meanSignature) ** 2 / n;
  assert.ok(variance > 10, `signatures spread out (variance ${variance})`);
  assert.ok(mse > 0.5 && mse < 1.2, `slope/2 is good but not perfect: MSE ${mse}`);
  assert.ok(slopeHits / n > 0.6 && slopeHits / n < 0.85, `slope/2 accuracy ${slopeHits / n}`);
  assert.ok(correlation(c.volume, c.cusp_volume) > 0.7, 'cusp volume follows volume');
  assert.ok(correlation(c.volume, c.longitudinal_translation) > 0.5, 'longitudinal translation follows volume');
  assert.ok(
    correlation(c.short_geodesic_real_part, c.injectivity_radius) > 0.9,
    'injectivity radius is half the short geodesic',
  );
  assert.ok(correlation(c.volume, c.short_geodesic_real_part) < -0.1, 'bigger knots have shorter geodesics');
  assert.ok(Math.abs(correlation(c.chern_simons, c.signature)) < 0.05);

  // Without the correction the signature is slope/2 rounded (plus noise): the correction is what slope/2 misses.
  const plain = simulateKnots(n, 5, { ...DEFAULT_SIMULATION, correction: 0 });
  let plainError = 0;
  for (let i = 0; i < n; i++)
    plainError +=
      (slope(
        plain.longitudinal_translation[i],
        plain.meridinal_translation_real[i],
        plain.meridinal_translation_imag[i],
      ) /
        2 -
        plain.signature[i]) **
        2 /
      n;
  assert.ok(plainError < mse - 0.2, `correction adds error to slope/2: ${plainError} vs ${mse}`);
});

test('the generator is deterministic by seed and labels its Arrow output synthetic', async () => {
  const a = await knotsGenerator.generate(200, 9, DEFAULT_SIMULATION);
  const b = await knotsGenerator.generate(200, 9, DEFAULT_SIMULATION);
  const c = await knotsGenerator.generate(200, 10, DEFAULT_SIMULATION);
  assert.deepEqual(
    a.schema.fields.map((f) => f.name),
    ALL_COLUMNS,
  );
  assert.equal(a.schema.metadata.get(SYNTHETIC_METADATA_KEY), 'true');
  assert.deepEqual(a.getChild('volume')!.toArray(), b.getChild('volume')!.toArray());
  assert.notDeepEqual(a.getChild('volume')!.toArray(), c.getChild('volume')!.toArray());

  const dir = mkdtempSync(join(tmpdir(), 'knots-'));
  const path = join(dir, 'knots.arrow');
  await writeArrowTable(a, path);
  const data = await loadKnotFile(path, KNOT_FEATURES, KNOT_TARGET);
  assert.equal(data.synthetic, true);
  assert.equal(data.rows, 200);
  assert.deepEqual(Array.from(data.y), Array.from(a.getChild('signature')!.toArray() as Int32Array));
});

/** A small CSV in the published format, from simulated rows, with `edit` applied to the cells. */
function csvFile(edit: (header: string[], rows: string[][]) => void): string {
  const c = simulateKnots(5, 1);
  const header = [...ALL_COLUMNS];
  const rows = Array.from({ length: 5 }, (_, i) => header.map((h) => String(c[h][i])));
  edit(header, rows);
  const dir = mkdtempSync(join(tmpdir(), 'knots-csv-'));
  const path = join(dir, 'knots.csv');
  const quote = (s: string) => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  writeFileSync(path, [header, ...rows].map((r) => r.map(quote).join(',')).join('\n') + '\n');
  return path;
}

async function loadError(path: string): Promise<UserError> {
  try {
    await loadKnotFile(path, KNOT_FEATURES, KNOT_TARGET);
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
    return err;
  }
  assert.fail('expected the file to be rejected');
}

test('a published-format CSV loads, with "Symmetry_Z/2 + Z/2" and the "meridinal" spelling', async () => {
  const path = csvFile(() => {});
  const data = await loadKnotFile(path, KNOT_FEATURES, KNOT_TARGET);
  assert.equal(data.rows, 5);
  assert.equal(data.synthetic, false);
  assert.equal(data.columns.length, 17);
});

test('a CSV with a missing column names the file and the column', async () => {
  const path = csvFile((header, rows) => {
    const j = header.indexOf('injectivity_radius');
    header.splice(j, 1);
    for (const r of rows) r.splice(j, 1);
  });
  const err = await loadError(path);
  assert.match(
    err.message,
    new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: column 'injectivity_radius': missing`),
  );
});

test('a non-numeric cell names the file, the column and the line', async () => {
  const path = csvFile((header, rows) => {
    rows[2][header.indexOf('volume')] = 'big';
  });
  const err = await loadError(path);
  assert.match(err.message, /knots\.csv: column 'volume', line 4: expected a number, got "big"/);
});

test('an empty cell is rejected with its line', async () => {
  const path = csvFile((header, rows) => {
    rows[0][header.indexOf('cusp_volume')] = '';
  });
  const err = await loadError(path);
  assert.match(err.message, /column 'cusp_volume', line 2: expected a number, got an empty cell/);
});

test('an odd signature is rejected with its line', async () => {
  const path = csvFile((header, rows) => {
    rows[3][header.indexOf('signature')] = '3';
  });
  const err = await loadError(path);
  assert.match(
    err.message,
    /knots\.csv: column 'signature', line 5: expected an even integer \(knot signatures are even\), got 3/,
  );
});
