/**
 * A set of N radio traces of L samples, row-major (trace i is [i*L, (i+1)*L)). `noisy` is min-max
 * scaled to [0, 1] per trace and `signal` (the clean pulse) went through the same affine map:
 * raw = scaled * scale + offset.
 */
export interface TraceSet {
  count: number;
  length: number;
  ids: Int32Array;
  noisy: Float32Array;
  signal: Float32Array;
  /** Peak pulse amplitude over noise RMS (NaN when unknown). */
  snr: Float64Array;
  /** Index of the clean signal's maximum. */
  peakIndex: Int32Array;
  /** Noise kind per trace ('measured', 'uniform', 'cosine', or what a file says). */
  noise: string[];
  scale: Float64Array;
  offset: Float64Array;
}

/** Index of the first maximum (ties go to the earliest sample). */
export function argmax(values: ArrayLike<number>, start = 0, end = values.length): number {
  let best = start;
  let bestValue = -Infinity;
  for (let t = start; t < end; t++) {
    const v = values[t];
    if (v > bestValue) {
      bestValue = v;
      best = t;
    }
  }
  return best - start;
}

/**
 * Min-max scales each noisy trace to [0, 1] in place and maps the clean signal with the same
 * affine map. Idempotent: already scaled traces stay as they are. A constant trace gets scale 1.
 */
export function minMaxScale(
  noisy: Float32Array,
  signal: Float32Array | undefined,
  length: number,
  scale: Float64Array,
  offset: Float64Array,
): void {
  const count = noisy.length / length;
  for (let i = 0; i < count; i++) {
    const base = i * length;
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = 0; t < length; t++) {
      const v = noisy[base + t];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi > lo ? hi - lo : 1;
    for (let t = 0; t < length; t++) {
      noisy[base + t] = (noisy[base + t] - lo) / range;
      if (signal) signal[base + t] = (signal[base + t] - lo) / range;
    }
    // Composing with a previous map (a file may carry its own scale/offset): raw = s*range*scale0 + lo*scale0 + offset0.
    offset[i] = offset[i] + lo * scale[i];
    scale[i] = range * scale[i];
  }
}

/** `count` traces of `length` samples, all zero: noise kinds empty, scale 0, offset 0 (fill them). */
export function allocateTraces(count: number, length: number): TraceSet {
  return {
    count,
    length,
    ids: new Int32Array(count),
    noisy: new Float32Array(count * length),
    signal: new Float32Array(count * length),
    snr: new Float64Array(count),
    peakIndex: new Int32Array(count),
    noise: new Array(count),
    scale: new Float64Array(count),
    offset: new Float64Array(count),
  };
}
