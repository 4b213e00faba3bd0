/**
 * Prediction with a saved denoiser: `sciml predict` (traces in a file) and `sciml serve` (HTTP)
 * both call predictDenoiser. Each trace is min-max scaled to [0, 1] as in training, recovered by
 * the autoencoder and mapped back to the trace's own units; the peak is the recovered trace's
 * argmax (the "peak within 2%" convention, metrics/peak.ts) and the amplitude its value there.
 */
import { extname } from 'node:path';
import { UserError } from '../../runtime/errors.js';
import type { PredictToFile } from '../../contracts/family.js';
import { flatFloat32Vectors, readArrowFile, parseArrow } from '../../data/arrow.js';
import { isParquetPath, readParquetAsArrow } from '../../data/parquet.js';
import { asMatrix, readArray } from '../../data/npy.js';
import { minMaxScale } from '../../data/radio/traces.js';
import { peakIndices } from '../../metrics/peak.js';
import { writeRowNumberedPredictions, type Predictions } from '../../data/predictions.js';
import { loadModel, type LoadedModel } from './model-io.js';
import { predictTraces } from './replica.js';
// Registers the per-trace normalisation layers the saved topology names.
import './trace-norm.js';

export const TRACE_COLUMN = 'noisy';

/** The backend must be initialized (initBackend) before this is called. */
export async function loadDenoiserPredictor(modelDir: string): Promise<LoadedModel> {
  return loadModel(modelDir);
}

/** `noisy`: `rows` traces of the model's length, row-major, in any units. */
export function predictDenoiser(loaded: LoadedModel, noisy: Float32Array, rows: number): Predictions {
  const L = loaded.meta.length;
  if (noisy.length !== rows * L)
    throw new UserError(`expected ${rows} traces of ${L} samples (${rows * L} values), got ${noisy.length} values`);
  const scaled = Float32Array.from(noisy);
  const scale = new Float64Array(rows).fill(1);
  const offset = new Float64Array(rows);
  minMaxScale(scaled, undefined, L, scale, offset);
  const recovered = predictTraces(loaded.model, scaled, L);
  for (let i = 0; i < rows; i++) {
    for (let t = i * L; t < (i + 1) * L; t++) recovered[t] = recovered[t] * scale[i] + offset[i];
  }
  const peaks = peakIndices(recovered, L);
  const amplitude = Float64Array.from(peaks, (p, i) => recovered[i * L + p]);
  const peakTimeNs = Float64Array.from(peaks, (p) => (p / loaded.meta.sampling_rate_mhz) * 1000);
  return {
    rows,
    columns: [
      { name: 'recovered', kind: 'vector', length: L, values: recovered },
      { name: 'peak_sample', kind: 'int32', values: peaks },
      { name: 'peak_amplitude', kind: 'float64', values: amplitude },
      { name: 'peak_time_ns', kind: 'float64', values: peakTimeNs },
    ],
  };
}

const ARROW_EXTENSIONS = new Set(['.arrow', '.feather', '.ipc', '.arrows']);

/** Noisy traces from an Arrow table (list column `noisy`), an .npy [N, L] or an .npz member `noisy`; '-' reads Arrow from stdin. */
async function readNoisyTraces(input: string): Promise<{ rows: number; length: number; data: Float32Array }> {
  const ext = extname(input).toLowerCase();
  if (input === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return flatFloat32Vectors(parseArrow(Buffer.concat(chunks), '-'), TRACE_COLUMN, '-');
  }
  if (ARROW_EXTENSIONS.has(ext)) return flatFloat32Vectors(readArrowFile(input), TRACE_COLUMN, input);
  if (isParquetPath(input)) return flatFloat32Vectors(await readParquetAsArrow(input), TRACE_COLUMN, input);
  if (ext === '.npy' || ext === '.npz') {
    const array = readArray(input, TRACE_COLUMN);
    const m = asMatrix(array, array.where);
    return { rows: m.rows, length: m.cols, data: m.data };
  }
  throw new UserError(
    `${input}: expected traces in an Arrow file (a list column '${TRACE_COLUMN}'), an .npy [N, L] or an .npz with member '${TRACE_COLUMN}', got '${ext || 'no extension'}'`,
  );
}

export const predictToFile: PredictToFile = async ({ where, input, output }) => {
  const { initBackend } = await import('../../runtime/backend.js');
  await initBackend('auto');
  const loaded = await loadDenoiserPredictor(where.modelDir);
  const traces = await readNoisyTraces(input);
  if (traces.length !== loaded.meta.length)
    throw new UserError(
      `${input}: column '${TRACE_COLUMN}': expected traces of ${loaded.meta.length} samples (the model's length), got ${traces.length}`,
    );
  const predictions = predictDenoiser(loaded, traces.data, traces.rows);
  loaded.model.dispose();
  return writeRowNumberedPredictions(predictions, output);
};
