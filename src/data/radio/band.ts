/** The receiver's frequency band: where the pulse and the measured noise live. Frequencies in MHz. */
export interface Band {
  lowMhz: number;
  highMhz: number;
  /** Width of the raised-cosine edges inside the band, so the filter rings briefly instead of like a brick wall. */
  taperMhz: number;
}

/**
 * Gain of the band filter at frequency f: 0 outside [low, high], 1 in the middle, raised-cosine
 * edges `taper` wide inside the band. Zero-phase: a delta stays centred where it was.
 */
function bandGain(f: number, band: Band): number {
  const { lowMhz: lo, highMhz: hi } = band;
  if (f <= lo || f >= hi) return 0;
  const w = Math.min(band.taperMhz, (hi - lo) / 2);
  if (w <= 0) return 1;
  if (f < lo + w) return 0.5 * (1 - Math.cos((Math.PI * (f - lo)) / w));
  if (f > hi - w) return 0.5 * (1 - Math.cos((Math.PI * (hi - f)) / w));
  return 1;
}

/** Band gains for every bin of a half spectrum. */
export function bandGains(frequencies: Float64Array, band: Band): Float64Array {
  const g = new Float64Array(frequencies.length);
  for (let k = 0; k < g.length; k++) g[k] = bandGain(frequencies[k], band);
  return g;
}

/** Whether a bin lies in the band's nominal range [low, high] (for in-band spectral errors). */
export function inBand(f: number, band: Pick<Band, 'lowMhz' | 'highMhz'>): boolean {
  return f >= band.lowMhz && f <= band.highMhz;
}
