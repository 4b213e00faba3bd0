import { z } from 'zod';
import {
  choice,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
  fraction,
} from '../../config/fields.js';

const NOISE_KINDS = ['measured', 'uniform', 'cosine'] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];

/**
 * Simulation settings shared by `sciml data generate radio --set key=value` and the denoiser
 * config's `data.simulation` section.
 */
export const radioOptionShape = {
  noise: choice(
    NOISE_KINDS,
    'measured',
    "noise model: 'measured' (galactic-like Gaussian noise falling with frequency in the band, narrowband carriers and a white floor), 'uniform' (i.i.d. uniform samples) or 'cosine' (one sinusoid of random frequency, phase and amplitude)",
  ),
  length: positiveInt(500, 'samples per trace'),
  sampling_rate_mhz: positiveNumber(180, 'sampling rate of the digitizer in MHz'),
  band_low_mhz: positiveNumber(30, 'lower edge of the receiver band in MHz'),
  band_high_mhz: positiveNumber(80, 'upper edge of the receiver band in MHz'),
  band_taper_mhz: nonNegativeNumber(5, 'width of the raised-cosine edges of the band filter in MHz (0: brick wall)'),
  snr_distribution: choice(
    ['loguniform', 'uniform'] as const,
    'loguniform',
    "how each trace's SNR (peak pulse amplitude over noise RMS) is drawn between snr_min and snr_max",
  ),
  snr_min: positiveNumber(1.5, 'smallest SNR drawn (hopeless traces live down here)'),
  snr_max: positiveNumber(20, 'largest SNR drawn (easy traces)'),
  edge_margin: fraction(0.15, 'fraction of the trace at each end where no pulse is placed'),
  dispersion_ns: nonNegativeNumber(
    15,
    'largest group-delay spread across half the band in ns (random per pulse), so pulses ring differently',
  ),
  spectral_tilt: nonNegativeNumber(
    1,
    'largest |exponent| of a random power-law tilt of the pulse spectrum across the band',
  ),
  galactic_index: nonNegativeNumber(1.3, 'measured noise: its amplitude spectrum falls as f^-index across the band'),
  carriers_max: nonNegativeInt(
    3,
    'measured noise: up to this many narrowband carriers per trace (uniform count 0..max)',
  ),
  carrier_amplitude: nonNegativeNumber(
    1,
    'measured noise: largest carrier amplitude relative to the galactic noise RMS',
  ),
  white_fraction: nonNegativeNumber(
    0.15,
    'measured noise: RMS of a full-band white floor (electronics) relative to the galactic noise RMS',
  ),
};

export const radioOptionsSchema = z.strictObject(radioOptionShape);
export type RadioOptions = z.infer<typeof radioOptionsSchema>;

/** Cross-field checks zod cannot express per field; returns the problems as `field: message`. */
export function radioOptionProblems(o: RadioOptions): string[] {
  const problems: string[] = [];
  const nyquist = o.sampling_rate_mhz / 2;
  if (o.band_low_mhz >= o.band_high_mhz)
    problems.push(`band_low_mhz: expected less than band_high_mhz (${o.band_high_mhz}), got ${o.band_low_mhz}`);
  if (o.band_high_mhz > nyquist)
    problems.push(
      `band_high_mhz: expected at most the Nyquist frequency ${nyquist} MHz (sampling_rate_mhz / 2), got ${o.band_high_mhz}`,
    );
  if (o.snr_min > o.snr_max) problems.push(`snr_min: expected at most snr_max (${o.snr_max}), got ${o.snr_min}`);
  if (o.length < 16) problems.push(`length: expected at least 16 samples, got ${o.length}`);
  return problems;
}
