/**
 * The denoiser's report.html, built only from the run's files (metrics.json, predictions.arrow,
 * spectra.arrow) so `sciml report <run>` re-renders it: metrics DAE vs Wiener vs band-pass, example
 * traces (a good, a weak and a wrong recovery), mean amplitude spectra, accuracy versus SNR, and the
 * training and validation loss curves.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Table } from 'apache-arrow';
import type { RunDir, MetricsFile } from '../../runtime/rundir.js';
import { UserError } from '../../runtime/errors.js';
import { flatFloat32Vectors, readArrowFile } from '../../data/arrow.js';
import {
  epochChart,
  lineChart,
  range,
  runMeta,
  seriesRows,
  writeReport,
  type ChartItem,
  type Report,
  type ReportItem,
} from '../../report/index.js';
import type { EpochRecord } from './checkpoint.js';
import type { SnrBinRow } from './evaluate.js';
import { distributedCharts, readRounds } from '../../distributed/report.js';

const COLORS = {
  noisy: '#BBBBBB',
  true: '#000000',
  recovered: '#D55E00',
  dae: '#D55E00',
  wiener: '#0072B2',
  bandpass: '#009E73',
};

interface DenoiserMetricsFile extends MetricsFile {
  bandpass: Record<string, number>;
  accuracy_by_snr: SnrBinRow[];
  history?: EpochRecord[];
  test_count: number;
  peak_fraction?: number;
  sampling_rate_mhz?: number;
  band_mhz?: [number, number];
}

function numbers(table: Table, name: string): number[] {
  const v = table.getChild(name);
  if (!v) throw new UserError(`predictions.arrow: column '${name}': missing`);
  return Array.from({ length: v.length }, (_, i) => Number(v.get(i)));
}

/** Picks example rows: a clean hit at high SNR, a hit at the lowest SNR, and the miss with the highest SNR. */
function pickExamples(snr: number[], hits: boolean[]): { label: string; row: number }[] {
  const rows = snr.map((s, i) => i);
  const hitsBySnr = rows.filter((i) => hits[i]).sort((a, b) => snr[a] - snr[b]);
  const missesBySnr = rows.filter((i) => !hits[i]).sort((a, b) => snr[a] - snr[b]);
  const out: { label: string; row: number }[] = [];
  if (hitsBySnr.length > 0) out.push({ label: 'good', row: hitsBySnr[Math.floor(hitsBySnr.length * 0.75)] });
  if (hitsBySnr.length > 0)
    out.push({ label: 'weak', row: hitsBySnr[Math.min(hitsBySnr.length - 1, Math.floor(hitsBySnr.length * 0.03))] });
  if (missesBySnr.length > 0) out.push({ label: 'wrong', row: missesBySnr[missesBySnr.length - 1] });
  return out;
}

function exampleCharts(predictions: Table): ChartItem[] {
  const snr = numbers(predictions, 'snr');
  const hitsColumn = predictions.getChild('dae_hit')!;
  const hits = Array.from({ length: hitsColumn.length }, (_, i) => Boolean(hitsColumn.get(i)));
  const truePeak = numbers(predictions, 'true_peak');
  const daePeak = numbers(predictions, 'dae_peak');
  const noisy = flatFloat32Vectors(predictions, 'noisy', 'predictions.arrow');
  const signal = flatFloat32Vectors(predictions, 'signal', 'predictions.arrow');
  const recovered = flatFloat32Vectors(predictions, 'recovered', 'predictions.arrow');
  const L = noisy.length;
  const describe: Record<string, string> = {
    good: 'a clear recovery',
    weak: 'a recovery at low SNR',
    wrong: 'a missed peak (the highest-SNR miss)',
  };
  return pickExamples(snr, hits).map(({ label, row }) => ({
    kind: 'chart' as const,
    name: `example-${label}`,
    caption: `${describe[label]}: SNR ${snr[row].toFixed(2)}, true peak at sample ${truePeak[row]}, DAE peak at ${daePeak[row]}.`,
    spec: lineChart({
      title: `Example: ${label}`,
      data: seriesRows({
        sample: range(L),
        noisy: noisy.data.subarray(row * L, (row + 1) * L),
        true: signal.data.subarray(row * L, (row + 1) * L),
        recovered: recovered.data.subarray(row * L, (row + 1) * L),
      }),
      x: 'sample',
      y: ['noisy', 'true', 'recovered'],
      xTitle: 'sample',
      yTitle: 'scaled amplitude',
      colors: COLORS,
      maxPoints: L,
    }),
  }));
}

function spectraChart(spectra: Table, band?: [number, number]): ChartItem {
  const columns = ['true', 'noisy', 'dae', 'wiener', 'bandpass'];
  const values = columns.map((c) => numbers(spectra, c));
  // Out of band the filters leave (numerically) nothing: floor the log axis 4 decades below the top.
  const floor = Math.max(...values.flat().filter(Number.isFinite)) * 1e-4;
  const data = seriesRows(
    Object.fromEntries([
      ['frequency_mhz', numbers(spectra, 'frequency_mhz')],
      ...columns.map((c, i) => [c, values[i].map((v) => Math.max(v, floor))]),
    ]),
  ).filter((r) => (r.frequency_mhz as number) > 0);
  return {
    kind: 'chart',
    name: 'spectra',
    wide: true,
    caption: `Mean amplitude spectra over the test traces (each trace's mean removed)${band ? `; the receiver band is ${band[0]}-${band[1]} MHz` : ''}. Values more than four decades below the top are drawn at that floor.`,
    spec: lineChart({
      title: 'Mean amplitude spectra',
      data,
      x: 'frequency_mhz',
      y: columns,
      xTitle: 'frequency (MHz)',
      yTitle: 'mean |FFT| (scaled units)',
      yScale: 'log',
      colors: COLORS,
      dashed: ['bandpass'],
    }),
  };
}

function snrChart(bins: SnrBinRow[]): ChartItem {
  const data = bins
    .filter((b) => b.count > 0)
    .map((b) => ({ snr: Math.sqrt(b.snr_low * b.snr_high), dae: b.dae, wiener: b.wiener, bandpass: b.bandpass }));
  return {
    kind: 'chart',
    name: 'accuracy-vs-snr',
    caption: 'Peak accuracy per SNR bin (bin centres, log-spaced bins).',
    spec: lineChart({
      title: 'Peak accuracy vs SNR',
      data,
      x: 'snr',
      y: ['dae', 'wiener', 'bandpass'],
      xTitle: 'SNR (peak / noise RMS)',
      yTitle: 'peak accuracy',
      xScale: 'log',
      yDomain: [0, 1],
      points: true,
      colors: COLORS,
      dashed: ['bandpass'],
    }),
  };
}

function validationAccuracyChart(history: EpochRecord[]): ChartItem {
  return epochChart(
    'validation-accuracy',
    {
      title: 'Validation peak accuracy',
      data: history.map((h) => ({ epoch: h.epoch, accuracy: h.val_peak_accuracy })),
      y: 'accuracy',
      yTitle: 'peak accuracy',
    },
    'Peak accuracy of the DAE on the validation traces after each epoch (the best epoch is picked by validation loss).',
  );
}

function lossChart(history: EpochRecord[]): ChartItem {
  return epochChart(
    'loss',
    {
      title: 'Training and validation loss',
      data: history.map((h) => ({ epoch: h.epoch, training: h.train_loss, validation: h.val_loss })),
      y: ['training', 'validation'],
      yTitle: 'MSE',
      yScale: 'log',
    },
    'Mean squared error per epoch on the training traces (averaged while the weights changed) and on the validation traces.',
  );
}

function readMetrics(run: RunDir): DenoiserMetricsFile {
  const path = run.file('metrics.json');
  if (!existsSync(path)) throw new UserError(`${run.path}: no metrics.json (did the run finish?)`);
  return JSON.parse(readFileSync(path, 'utf8')) as DenoiserMetricsFile;
}

export async function renderDenoiserReport(run: RunDir): Promise<void> {
  const metrics = readMetrics(run);
  const predictions = readArrowFile(run.file('predictions.arrow'));
  const spectra = readArrowFile(run.file('spectra.arrow'));
  const m = metrics.metrics;
  const w = metrics.baseline;
  const b = metrics.bandpass;
  const summary: ReportItem[] = [
    {
      kind: 'metrics',
      metrics: m,
      baseline: w,
      labels: { model: 'DAE', baseline: 'Wiener filter' },
      better: { peak_accuracy: 'higher', mse: 'lower', spectral_error: 'lower' },
    },
    {
      kind: 'table',
      title: 'All methods',
      columns: ['method', 'peak accuracy', 'MSE', 'in-band spectral error'],
      rows: [
        ['DAE', m.peak_accuracy, m.mse, m.spectral_error],
        ['Wiener filter', w.peak_accuracy, w.mse, w.spectral_error],
        ['FFT band-pass', b.peak_accuracy, b.mse, b.spectral_error],
      ],
    },
    {
      kind: 'notes',
      text:
        `Peak accuracy: share of the ${metrics.test_count} test traces whose recovered maximum lies within ` +
        `${Math.round((metrics.peak_fraction ?? 0.02) * 100)}% of the trace length of the true pulse's maximum. MSE on ` +
        `traces scaled to [0, 1]. Spectral error: in-band relative L1 distance between amplitude spectra. The Wiener ` +
        `filter's signal and noise spectra were estimated on the training traces.`,
    },
  ];
  const sections = [
    { title: 'Summary', items: summary },
    { title: 'Example traces', items: exampleCharts(predictions) },
    { title: 'Spectra', items: [spectraChart(spectra, metrics.band_mhz)] },
    { title: 'Accuracy versus SNR', items: [snrChart(metrics.accuracy_by_snr)] },
  ];
  if (metrics.history && metrics.history.length > 0) {
    const items: ReportItem[] = [lossChart(metrics.history)];
    if (metrics.history.every((h) => typeof h.val_peak_accuracy === 'number'))
      items.push(validationAccuracyChart(metrics.history));
    sections.push({ title: 'Training', items });
  }
  const rounds = readRounds(run.file('rounds.json'));
  if (rounds) sections.push({ title: 'Distributed training', items: distributedCharts(rounds) });
  const report: Report = {
    title: 'Radio-pulse denoiser',
    subtitle: 'denoising autoencoder vs Wiener and band-pass filters',
    meta: runMeta(run, { test_traces: metrics.test_count }),
    sections,
  };
  await writeReport(run, report);
}
