import type { Table } from 'apache-arrow';
import { arrowTable, float32VectorColumn, float64Column, int32Column, utf8Column } from '../arrow.js';
import type { TraceSet } from './traces.js';

/** The radio trace table: id, noisy, signal (FixedSizeList<Float32>[L]), snr, peak_index, noise, scale, offset. */
export function traceSetToArrow(set: TraceSet): Table {
  return arrowTable({
    id: int32Column(set.ids),
    noisy: float32VectorColumn(set.noisy, set.length),
    signal: float32VectorColumn(set.signal, set.length),
    snr: float64Column(set.snr),
    peak_index: int32Column(set.peakIndex),
    noise: utf8Column(set.noise),
    scale: float64Column(set.scale),
    offset: float64Column(set.offset),
  });
}
