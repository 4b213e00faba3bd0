/**
 * Test-set evaluation: peak accuracy, MSE, accuracy per SNR bin and in-band spectral error for the
 * DAE and the two classical filters, mean amplitude spectra per method, and the run files
 * predictions.arrow, spectra.arrow and metrics.json.
 */
import type { Table } from 'apache-arrow';
import type { RunDir, MetricsFile } from '../../runtime/rundir.js';
import {
  arrowFileBytes,
  arrowTable,
  boolColumn,
  float32VectorColumn,
  float64Column,
  int32Column,
  utf8Column,
} from '../../data/arrow.js';
import type { TraceSet } from '../../data/radio/traces.js';
import { accuracyBySnr, meanOf, peakHits, peakIndices, snrBinEdges } from '../../metrics/peak.js';
import { binFrequencies, inBandSpectralError, meanAmplitudeSpectrum } from '../../metrics/spectra.js';
import { applyFilter, type FrequencyFilter } from './filters.js';

const METHODS = ['dae', 'wiener', 'bandpass'] as const;
type Method = (typeof METHODS)[number];

interface MethodResult {
  traces: Float32Array;
  peaks: Int32Array;
  hits: Uint8Array;
  /** Per-trace mean squared error against the clean signal. */
  mse: Float64Array;
  metrics: { peak_accuracy: number; mse: number; spectral_error: number };
}

export interface SnrBinRow {
  snr_low: number;
  snr_high: number;
  count: number;
  dae: number;
  wiener: number;
  bandpass: number;
}

export interface Evaluation {
  test: TraceSet;
  results: Record<Method, MethodResult>;
  bins: SnrBinRow[];
  spectra: {
    frequency_mhz: Float64Array;
    true: Float64Array;
    noisy: Float64Array;
    dae: Float64Array;
    wiener: Float64Array;
    bandpass: Float64Array;
  };
}

export interface EvaluationSettings {
  samplingRateMhz: number;
  band: { lowMhz: number; highMhz: number };
  peakFraction: number;
  snrBins: number;
}

function perTraceMse(estimate: Float32Array, truth: Float32Array, length: number): Float64Array {
  const n = truth.length / length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = i * length; t < (i + 1) * length; t++) {
      const d = estimate[t] - truth[t];
      s += d * d;
    }
    out[i] = s / length;
  }
  return out;
}

function resultFor(traces: Float32Array, test: TraceSet, s: EvaluationSettings): MethodResult {
  const L = test.length;
  const peaks = peakIndices(traces, L);
  const hits = peakHits(peaks, test.peakIndex, L, s.peakFraction);
  const mse = perTraceMse(traces, test.signal, L);
  return {
    traces,
    peaks,
    hits,
    mse,
    metrics: {
      peak_accuracy: meanOf(hits),
      mse: meanOf(mse),
      spectral_error: inBandSpectralError(traces, test.signal, L, s.samplingRateMhz, s.band),
    },
  };
}

export function evaluateMethods(
  test: TraceSet,
  recovered: Float32Array,
  filters: { wiener: FrequencyFilter; bandpass: FrequencyFilter },
  s: EvaluationSettings,
): Evaluation {
  const L = test.length;
  const results: Record<Method, MethodResult> = {
    dae: resultFor(recovered, test, s),
    wiener: resultFor(applyFilter(filters.wiener, test.noisy), test, s),
    bandpass: resultFor(applyFilter(filters.bandpass, test.noisy), test, s),
  };
  const edges = snrBinEdges(test.snr, s.snrBins);
  const perMethod = Object.fromEntries(
    METHODS.map((m) => [m, accuracyBySnr(test.snr, results[m].hits, edges)]),
  ) as Record<Method, ReturnType<typeof accuracyBySnr>>;
  const bins: SnrBinRow[] = perMethod.dae.map((b, i) => ({
    snr_low: b.low,
    snr_high: b.high,
    count: b.count,
    dae: b.accuracy,
    wiener: perMethod.wiener[i].accuracy,
    bandpass: perMethod.bandpass[i].accuracy,
  }));
  const spectra = {
    frequency_mhz: binFrequencies(L, s.samplingRateMhz),
    true: meanAmplitudeSpectrum(test.signal, L),
    noisy: meanAmplitudeSpectrum(test.noisy, L),
    dae: meanAmplitudeSpectrum(results.dae.traces, L),
    wiener: meanAmplitudeSpectrum(results.wiener.traces, L),
    bandpass: meanAmplitudeSpectrum(results.bandpass.traces, L),
  };
  return { test, results, bins, spectra };
}

function predictionsTable(e: Evaluation): Table {
  const { test, results: r } = e;
  const L = test.length;
  return arrowTable({
    id: int32Column(test.ids),
    snr: float64Column(test.snr),
    noise: utf8Column(test.noise),
    true_peak: int32Column(test.peakIndex),
    dae_peak: int32Column(r.dae.peaks),
    wiener_peak: int32Column(r.wiener.peaks),
    bandpass_peak: int32Column(r.bandpass.peaks),
    dae_hit: boolColumn(Array.from(r.dae.hits, Boolean)),
    wiener_hit: boolColumn(Array.from(r.wiener.hits, Boolean)),
    bandpass_hit: boolColumn(Array.from(r.bandpass.hits, Boolean)),
    dae_mse: float64Column(r.dae.mse),
    wiener_mse: float64Column(r.wiener.mse),
    bandpass_mse: float64Column(r.bandpass.mse),
    recovered: float32VectorColumn(r.dae.traces, L),
    noisy: float32VectorColumn(test.noisy, L),
    signal: float32VectorColumn(test.signal, L),
  });
}

/** The frequency axis and every mean spectrum, one float64 column each, in the evaluation's order. */
function spectraTable(e: Evaluation): Table {
  return arrowTable(
    Object.fromEntries(Object.entries(e.spectra).map(([name, values]) => [name, float64Column(values)])),
  );
}

/** Writes predictions.arrow, spectra.arrow and metrics.json (metrics = DAE, baseline = Wiener). */
export function writeEvaluation(run: RunDir, e: Evaluation, extra: Record<string, unknown>): MetricsFile {
  run.writeBytes('predictions.arrow', arrowFileBytes(predictionsTable(e)));
  run.writeBytes('spectra.arrow', arrowFileBytes(spectraTable(e)));
  const metrics: MetricsFile = {
    task: 'denoiser',
    metrics: { ...e.results.dae.metrics },
    baseline: { ...e.results.wiener.metrics },
    baseline_name: 'wiener',
    bandpass: { ...e.results.bandpass.metrics },
    test_count: e.test.count,
    accuracy_by_snr: e.bins,
    ...extra,
  };
  run.writeMetrics(metrics);
  return metrics;
}
