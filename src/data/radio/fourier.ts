import FFT from 'fft.js';

/** A half spectrum of a real signal of length n: bins 0..floor(n/2), re and im parts. */
export interface HalfSpectrum {
  re: Float64Array;
  im: Float64Array;
}

function nextPowerOfTwo(n: number): number {
  let m = 2;
  while (m < n) m *= 2;
  return m;
}

/**
 * Exact discrete Fourier transform of real signals of any length n. fft.js only does powers of
 * two, so other lengths (500 samples) go through Bluestein's chirp-z algorithm on a power-of-two
 * FFT of size >= 2n-1. The convention is numpy's: X_k = sum_t x_t exp(-2 pi i k t / n), and
 * `inverse` divides by n.
 */
export class RealFourier {
  readonly n: number;
  readonly bins: number;
  private readonly direct: boolean;
  private readonly fft: FFT;
  private readonly m: number;
  /** exp(-i pi k^2 / n), k = 0..n-1. */
  private readonly chirpRe: Float64Array;
  private readonly chirpIm: Float64Array;
  /** FFT of the conjugate chirp arranged for circular convolution. */
  private readonly kernel: Float64Array;
  private readonly work: Float64Array;
  private readonly out: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 2) throw new Error(`RealFourier: length must be an integer >= 2, got ${n}`);
    this.n = n;
    this.bins = Math.floor(n / 2) + 1;
    this.direct = (n & (n - 1)) === 0;
    this.m = this.direct ? n : nextPowerOfTwo(2 * n - 1);
    this.fft = new FFT(this.m);
    this.work = new Float64Array(2 * this.m);
    this.out = new Float64Array(2 * this.m);
    this.chirpRe = new Float64Array(n);
    this.chirpIm = new Float64Array(n);
    this.kernel = new Float64Array(2 * this.m);
    if (!this.direct) {
      for (let k = 0; k < n; k++) {
        // k^2 mod 2n keeps the angle small, so the chirp stays accurate for long signals.
        const angle = (Math.PI * ((k * k) % (2 * n))) / n;
        this.chirpRe[k] = Math.cos(angle);
        this.chirpIm[k] = -Math.sin(angle);
      }
      const b = new Float64Array(2 * this.m);
      for (let k = 0; k < n; k++) {
        b[2 * k] = this.chirpRe[k];
        b[2 * k + 1] = -this.chirpIm[k];
        if (k > 0) {
          b[2 * (this.m - k)] = this.chirpRe[k];
          b[2 * (this.m - k) + 1] = -this.chirpIm[k];
        }
      }
      this.fft.transform(this.kernel, b);
    }
  }

  /** The full complex DFT of a complex input (interleaved re, im) of length n, into `out` (interleaved). */
  private complexDft(input: Float64Array, out: Float64Array): void {
    const { n, m } = this;
    if (this.direct) {
      this.fft.transform(out, input);
      return;
    }
    const a = this.work;
    a.fill(0);
    for (let k = 0; k < n; k++) {
      const xr = input[2 * k];
      const xi = input[2 * k + 1];
      a[2 * k] = xr * this.chirpRe[k] - xi * this.chirpIm[k];
      a[2 * k + 1] = xr * this.chirpIm[k] + xi * this.chirpRe[k];
    }
    const fa = this.out;
    this.fft.transform(fa, a);
    const kr = this.kernel;
    for (let j = 0; j < m; j++) {
      const re = fa[2 * j] * kr[2 * j] - fa[2 * j + 1] * kr[2 * j + 1];
      const im = fa[2 * j] * kr[2 * j + 1] + fa[2 * j + 1] * kr[2 * j];
      a[2 * j] = re;
      a[2 * j + 1] = im;
    }
    this.fft.inverseTransform(fa, a);
    for (let k = 0; k < n; k++) {
      const cr = fa[2 * k];
      const ci = fa[2 * k + 1];
      out[2 * k] = cr * this.chirpRe[k] - ci * this.chirpIm[k];
      out[2 * k + 1] = cr * this.chirpIm[k] + ci * this.chirpRe[k];
    }
  }

  /** Half spectrum of a real signal (bins 0..floor(n/2)). */
  forward(signal: ArrayLike<number>, into?: HalfSpectrum): HalfSpectrum {
    const { n } = this;
    if (signal.length !== n) throw new Error(`RealFourier(${n}): got a signal of length ${signal.length}`);
    const input = new Float64Array(2 * n);
    for (let t = 0; t < n; t++) input[2 * t] = signal[t];
    const full = new Float64Array(2 * Math.max(n, this.m));
    this.complexDft(input, full);
    const spec = into ?? { re: new Float64Array(this.bins), im: new Float64Array(this.bins) };
    for (let k = 0; k < this.bins; k++) {
      spec.re[k] = full[2 * k];
      spec.im[k] = full[2 * k + 1];
    }
    return spec;
  }

  /** The real signal whose half spectrum is `spec` (Hermitian symmetry assumed). */
  inverse(spec: HalfSpectrum, into?: Float64Array): Float64Array {
    const { n } = this;
    // x = conj(DFT(conj(X))) / n, with the full spectrum rebuilt from the half.
    const input = new Float64Array(2 * n);
    for (let k = 0; k < this.bins; k++) {
      input[2 * k] = spec.re[k];
      input[2 * k + 1] = -spec.im[k];
    }
    for (let k = this.bins; k < n; k++) {
      input[2 * k] = spec.re[n - k];
      input[2 * k + 1] = spec.im[n - k];
    }
    const full = new Float64Array(2 * Math.max(n, this.m));
    this.complexDft(input, full);
    const out = into ?? new Float64Array(n);
    for (let t = 0; t < n; t++) out[t] = full[2 * t] / n;
    return out;
  }

  /** Frequencies of the half-spectrum bins for a sampling rate (same unit as the rate). */
  frequencies(samplingRate: number): Float64Array {
    const f = new Float64Array(this.bins);
    for (let k = 0; k < this.bins; k++) f[k] = (k * samplingRate) / this.n;
    return f;
  }
}

const cache = new Map<number, RealFourier>();

/** A shared transform per length (they hold precomputed tables). Not for concurrent use across awaits. */
export function fourierFor(n: number): RealFourier {
  let f = cache.get(n);
  if (!f) {
    f = new RealFourier(n);
    cache.set(n, f);
  }
  return f;
}
