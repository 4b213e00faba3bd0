import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { DenoiserMeta } from './model-io.js';
import { loadDenoiserPredictor, predictDenoiser, TRACE_COLUMN } from './predict.js';
import type { ServableAdapter, TraceColumn } from '../../contracts/servable.js';

export const denoiserServable: ServableAdapter = {
  describe(where) {
    const meta = JSON.parse(readFileSync(join(where.modelDir, 'denoiser.json'), 'utf8')) as DenoiserMeta;
    return {
      task: 'denoiser',
      inputs: [{ name: TRACE_COLUMN, type: 'trace', nullable: false, length: meta.length }],
      options: [],
      details: {
        trace_length: meta.length,
        sampling_rate_mhz: meta.sampling_rate_mhz,
        band_mhz: meta.band_mhz,
        parameters: meta.parameters,
        bottleneck: meta.bottleneck,
        best_epoch: meta.best_epoch,
      },
      tensorflow: true,
    };
  },
  async load(where) {
    const loaded = await loadDenoiserPredictor(where.modelDir);
    return {
      predict(batch) {
        const traces = batch.columns[0] as TraceColumn;
        return predictDenoiser(loaded, traces.values, batch.rows);
      },
    };
  },
};
