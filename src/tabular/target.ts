/** Target transforms: fitted models predict in the transformed space; predictions are mapped back. */
export type TargetTransform = 'none' | 'log1p';

export function forward(transform: TargetTransform, y: Float64Array): Float64Array {
  if (transform === 'none') return y;
  return y.map((v) => Math.log1p(v));
}

export function inverseInPlace(transform: TargetTransform, p: Float64Array): Float64Array {
  if (transform === 'log1p') for (let i = 0; i < p.length; i++) p[i] = Math.expm1(p[i]);
  return p;
}

/** Sample skewness (Fisher-Pearson). */
function skewness(y: ArrayLike<number>): number {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = y[i] - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  return m2 === 0 ? 0 : m3 / m2 ** 1.5;
}

/** Whether log1p is worth trying: non-negative and right-skewed. */
export function logCandidate(y: ArrayLike<number>): boolean {
  for (let i = 0; i < y.length; i++) if (!(y[i] >= 0)) return false;
  return skewness(y) > 0.5;
}
