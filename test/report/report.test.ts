import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '../../src/runtime/rundir.js';
import { Random } from '../../src/runtime/random.js';
import {
  barChart,
  downsampleRows,
  escapeHtml,
  facetChart,
  formatNumber,
  histogramChart,
  layerCharts,
  lineChart,
  lttbIndices,
  range,
  renderSvg,
  reportHtml,
  scatterChart,
  seriesRows,
  strideRows,
  writeReport,
  type Report,
} from '../../src/report/index.js';

/** Number of drawn items (<path>) inside the role-mark groups of one mark type. */
function countMarks(svg: string, mark: 'line' | 'symbol' | 'rect'): number {
  const groups = svg.matchAll(new RegExp(`<g class="mark-${mark} role-mark[^"]*"[^>]*>(.*?)</g>`, 'gs'));
  let n = 0;
  for (const g of groups) n += (g[1].match(/<path\b/g) ?? []).length;
  return n;
}

function axisTitles(svg: string): string[] {
  return [...svg.matchAll(/<g class="mark-text role-axis-title"[^>]*>(.*?)<\/g>/gs)].flatMap((g) =>
    [...g[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]),
  );
}

const rng = new Random(11);
const trace = range(200).map((i) => Math.sin(i / 10));

test('line chart: one path per series, axis titles rendered', async () => {
  const spec = lineChart({
    data: seriesRows({
      sample: range(200),
      noisy: trace.map((v) => v + rng.normal(0, 0.1)),
      signal: trace,
      recovered: trace,
    }),
    x: 'sample',
    y: ['noisy', 'signal', 'recovered'],
    xTitle: 'sample index',
    yTitle: 'amplitude',
    title: 'A trace',
  });
  const svg = await renderSvg(spec);
  assert.equal(countMarks(svg, 'line'), 3);
  assert.deepEqual(axisTitles(svg).sort(), ['amplitude', 'sample index']);
  assert.match(svg, /A trace/);
  for (const name of ['noisy', 'signal', 'recovered'])
    assert.match(svg, new RegExp(`>${name}<`), `legend shows ${name}`);
});

test('scatter: one symbol per point plus a y = x line; bars: one rect per category and group', async () => {
  const points = range(37).map((i) => ({ truth: i, predicted: i + rng.normal() }));
  const scatter = await renderSvg(
    scatterChart({
      data: points,
      x: 'truth',
      y: 'predicted',
      diagonal: true,
      xTitle: 'true value',
      yTitle: 'predicted value',
    }),
  );
  assert.equal(countMarks(scatter, 'symbol'), 37);
  assert.equal(countMarks(scatter, 'line'), 1);
  assert.deepEqual(axisTitles(scatter).sort(), ['predicted value', 'true value']);

  const bars = ['low', 'mid', 'high', 'top'].flatMap((bin) =>
    ['DAE', 'Wiener'].map((method) => ({ bin, method, accuracy: rng.next() })),
  );
  const barSvg = await renderSvg(
    barChart({ data: bars, x: 'bin', y: 'accuracy', color: 'method', xTitle: 'SNR bin', yTitle: 'peak accuracy' }),
  );
  assert.equal(countMarks(barSvg, 'rect'), 8);
  assert.deepEqual(axisTitles(barSvg).sort(), ['SNR bin', 'peak accuracy']);
  const horizontal = await renderSvg(
    barChart({ data: bars.slice(0, 4), x: 'bin', y: 'accuracy', horizontal: true, labels: true }),
  );
  assert.equal(countMarks(horizontal, 'rect'), 4);
});

test('layered, faceted and histogram charts render the expected marks', async () => {
  const a = lineChart({
    data: seriesRows({ f: range(50), amp: range(50).map((i) => Math.exp(-i / 10)) }),
    x: 'f',
    y: 'amp',
    xTitle: 'frequency (MHz)',
    yTitle: 'amplitude',
  });
  const b = lineChart({
    data: seriesRows({ f: range(50), amp: range(50).map((i) => Math.exp(-i / 5)) }),
    x: 'f',
    y: 'amp',
  });
  const layered = await renderSvg(layerCharts([a, b], { names: ['true', 'DAE'] }));
  assert.equal(countMarks(layered, 'line'), 2);
  assert.deepEqual(
    axisTitles(layered).sort(),
    ['amplitude', 'frequency (MHz)'],
    'titles of the first layer, not joined with commas',
  );
  assert.match(layered, />DAE</);

  const cases = ['good', 'weak', 'wrong'].flatMap((c) =>
    range(40).map((i) => ({ case: c, sample: i, noisy: rng.next(), recovered: rng.next() })),
  );
  const faceted = await renderSvg(
    facetChart(lineChart({ data: cases, x: 'sample', y: ['noisy', 'recovered'] }), { field: 'case', columns: 3 }),
  );
  assert.equal(countMarks(faceted, 'line'), 6);
  for (const c of ['good', 'weak', 'wrong']) assert.match(faceted, new RegExp(`>${c}<`));

  const hist = await renderSvg(
    histogramChart({ data: range(500).map(() => ({ r: rng.normal() })), field: 'r', maxBins: 20 }),
  );
  const bins = countMarks(hist, 'rect');
  assert.ok(bins >= 8 && bins <= 25, `${bins} bins`);
});

test('long series are thinned (LTTB keeps the spike) and NaN becomes null', () => {
  const n = 20000;
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 500) + (i === 12345 ? 25 : 0));
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const picked = lttbIndices(x, y, 500);
  assert.ok(picked.length <= 500);
  assert.equal(picked[0], 0);
  assert.equal(picked[picked.length - 1], n - 1);
  assert.ok(picked.includes(12345), 'the spike survives');
  assert.ok(
    picked.every((v, i) => i === 0 || v > picked[i - 1]),
    'ascending',
  );

  const rows = seriesRows({ t: x, a: y, b: Float64Array.from(y, (v) => -v) });
  rows[3].a = NaN;
  const spec = lineChart({ data: rows, x: 't', y: ['a', 'b'], maxPoints: 400 }) as unknown as {
    data: { values: Record<string, unknown>[] };
  };
  assert.ok(spec.data.values.length <= 800 && spec.data.values.length >= 400);
  assert.ok(
    spec.data.values.some((r) => (r.a as number) > 24),
    'peak of a kept',
  );
  assert.ok(
    spec.data.values.some((r) => (r.b as number) < -24),
    'dip of b kept',
  );
  const grouped = downsampleRows(
    ['p', 'q'].flatMap((g) => range(3000).map((i) => ({ g, x: i, y: i % 17 }))),
    { x: 'x', ys: ['y'], maxPoints: 100, groupBy: 'g' },
  );
  assert.ok(grouped.filter((r) => r.g === 'p').length <= 100 && grouped.filter((r) => r.g === 'q').length <= 100);
  assert.equal(strideRows(range(10), 4).length, 4);
  const clean = lineChart({
    data: [
      { x: 0, y: NaN },
      { x: 1, y: Infinity },
      { x: 2, y: 1 },
    ],
    x: 'x',
    y: 'y',
  }) as unknown as { data: { values: Record<string, unknown>[] } };
  assert.deepEqual(
    clean.data.values.map((r) => r.y),
    [null, null, 1],
  );
});

test('writeReport: chart files, self-contained HTML with two inline SVG charts, escaped text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-report-'));
  const run = RunDir.create({ task: 'demo', out: join(dir, 'run') });
  const report: Report = {
    title: 'Demo <report>',
    subtitle: 'two charts & a table',
    meta: { run: 'demo-1', backend: 'wasm', seed: 42 },
    sections: [
      {
        title: 'Results',
        items: [
          {
            kind: 'metrics',
            metrics: { peak_accuracy: 0.9, mse: 0.002, spectral_error: 0.3 },
            baseline: { peak_accuracy: 0.7, mse: 0.001, spectral_error: 0.3 },
            labels: { model: 'DAE', baseline: 'Wiener' },
          },
          { kind: 'notes', text: 'First paragraph <script>alert(1)</script>\n\nSecond & last.' },
          {
            kind: 'chart',
            name: 'trace',
            spec: lineChart({
              data: seriesRows({ s: range(100), signal: trace.slice(0, 100), noisy: trace.slice(0, 100) }),
              x: 's',
              y: ['signal', 'noisy'],
              xTitle: 'sample',
              yTitle: 'amplitude',
            }),
          },
          {
            kind: 'chart',
            name: 'pred',
            spec: scatterChart({
              data: range(25).map((i) => ({ t: i, p: i * 1.1 })),
              x: 't',
              y: 'p',
              xTitle: 'true',
              yTitle: 'predicted',
            }),
          },
          { kind: 'keyvalue', entries: { 'model.filters': '[16, 32]', epochs: 40 } },
          { kind: 'table', columns: ['model', 'rmse'], rows: range(5).map((i) => [`m${i}`, i / 10]), maxRows: 3 },
        ],
      },
    ],
  };
  const written = await writeReport(run, report);
  assert.deepEqual(readdirSync(run.path).sort(), ['charts', 'report.html']);
  assert.deepEqual(readdirSync(run.file('charts')).sort(), ['pred.svg', 'pred.vl.json', 'trace.svg', 'trace.vl.json']);
  assert.equal(written.charts.length, 2);

  const html = readFileSync(run.file('report.html'), 'utf8');
  assert.equal((html.match(/<svg\b/g) ?? []).length, 2);
  assert.ok(!/<script/i.test(html), 'no script element');
  assert.ok(!/(src|href)="(https?:)?\/\//i.test(html), 'nothing loaded from the network');
  assert.ok(!/@import|url\(/i.test(html), 'no external CSS or fonts');
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /<title>Demo &lt;report&gt;<\/title>/);
  assert.equal(countMarks(html, 'line'), 2);
  assert.equal(countMarks(html, 'symbol'), 25);
  // Metrics: model beats the baseline on accuracy, loses on mse, ties on spectral_error.
  assert.match(
    html,
    /<td class="num better">0\.9<\/td><td class="num">0\.7<\/td><td class="num diff better">\+0\.2 ▲<\/td>/,
  );
  assert.match(
    html,
    /<td class="num worse">0\.002<\/td><td class="num">0\.001<\/td><td class="num diff worse">\+0\.001 ▲<\/td>/,
  );
  assert.match(html, /<th scope="col" class="num">Wiener<\/th>/);
  assert.match(html, /… 2 more rows/);

  // The saved spec is complete: rendering it again gives the saved SVG.
  const spec = JSON.parse(readFileSync(run.file('charts/trace.vl.json'), 'utf8'));
  assert.equal(spec.data.values.length, 100);
  assert.equal(await renderSvg(spec), readFileSync(run.file('charts/trace.svg'), 'utf8'));

  await assert.rejects(
    writeReport(run, {
      title: 't',
      sections: [{ title: 's', items: [report.sections[0].items[2], report.sections[0].items[2]] }],
    }),
    /two charts are named 'trace'/,
  );
  const badName = {
    ...(report.sections[0].items[2] as { kind: 'chart'; name: string; spec: never }),
    name: '../escape',
  };
  await assert.rejects(
    writeReport(run, { title: 't', sections: [{ title: 's', items: [badName] }] }),
    /must be letters, digits/,
  );
  assert.ok(!existsSync(join(run.path, 'escape.svg')));
});

test('html helpers: escaping and number formatting', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(formatNumber(0.123456), '0.1235');
  assert.equal(formatNumber(12345), '12,345');
  assert.equal(formatNumber(0.00001234), '1.234e-5');
  assert.equal(formatNumber(NaN), '—');
  const html = reportHtml({ title: 'x', sections: [] }, new Map());
  assert.match(html, /Content-Security-Policy/);
});

test("metrics table: the arrow follows the difference's sign, the colour whether it is better; rmsle is lower-is-better", () => {
  const html = reportHtml(
    {
      title: 'x',
      sections: [
        {
          title: 'r',
          items: [
            {
              kind: 'metrics',
              metrics: { log_loss: 0.11, roc_auc: 0.99, rmsle: 0.3 },
              baseline: { log_loss: 0.12, roc_auc: 0.98, rmsle: 0.4 },
            },
          ],
        },
      ],
    },
    new Map(),
  );
  const row = (name: string) => new RegExp(`<th scope="row">${name}</th>(.*?)</tr>`).exec(html)![1];
  assert.match(row('log_loss'), /class="num diff better">−0\.01 ▼</, 'lower loss: better, and a downward arrow');
  assert.match(row('roc_auc'), /class="num diff better">\+0\.01 ▲</);
  assert.match(row('rmsle'), /class="num better">0\.3</, 'rmsle is coloured');
});

test('automl report helpers: leaderboard axis zoomed to packed scores (drawn as dots), params for people, budgets in model names', async () => {
  const { zoomedDomain, paramsText, modelLabels } = await import('../../src/models/automl/report.js');
  const domain = zoomedDomain([0.981, 0.985, 0.99])!;
  assert.ok(domain[0] > 0.97 && domain[0] < 0.981 && domain[1] > 0.99 && domain[1] < 1, String(domain));
  assert.equal(zoomedDomain([0.06, 0.12]), undefined, 'scores far apart keep the zero-based axis');
  const spec = barChart({
    data: [
      { m: 'a', s: 0.981 },
      { m: 'b', s: 0.99 },
    ],
    x: 'm',
    y: 's',
    horizontal: true,
    yDomain: domain,
  }) as unknown as { mark: { type: string } };
  assert.equal(spec.mark.type, 'point');
  assert.equal(
    paramsText('{"learner":"gbm","learning_rate":0.10000000000000002,"members":[0.54213,1e-7],"budget":1}'),
    'learner=gbm, learning_rate=0.1, members=[0.5421, 1e-7], budget=1',
  );
  const labels = modelLabels([
    { model: 'gbm_1', params: '{"budget":0.333333}' },
    { model: 'gbm_4', params: '{"budget":1}' },
    { model: 'greedy_ensemble', params: '{"logistic_2":0.9}' },
  ]);
  assert.deepEqual(labels, ['gbm_1 (budget 0.333)', 'gbm_4 (budget 1)', 'greedy_ensemble']);
  assert.deepEqual(modelLabels([{ model: 'gbm_1', params: '{"budget":1}' }]), ['gbm_1'], 'one budget: names alone');
});
