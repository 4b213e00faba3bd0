/**
 * Column names of the published knot data set (Davies et al., Nature 2021), spelled as published
 * (including "meridinal"). The 17 invariants are the default features; `signature` is the target.
 */
export const KNOT_FEATURES = [
  'chern_simons',
  'cusp_volume',
  'hyperbolic_adjoint_torsion_degree',
  'hyperbolic_torsion_degree',
  'injectivity_radius',
  'longitudinal_translation',
  'meridinal_translation_imag',
  'meridinal_translation_real',
  'short_geodesic_imag_part',
  'short_geodesic_real_part',
  'Symmetry_0',
  'Symmetry_D3',
  'Symmetry_D4',
  'Symmetry_D6',
  'Symmetry_D8',
  'Symmetry_Z/2 + Z/2',
  'volume',
] as const;

export const KNOT_TARGET = 'signature';

/** The three columns of slope(K) = Re(longitudinal translation / meridional translation). */
export const TRANSLATION_COLUMNS = {
  longitudinal: 'longitudinal_translation',
  meridionalReal: 'meridinal_translation_real',
  meridionalImag: 'meridinal_translation_imag',
} as const;

/**
 * slope(K) = Re(λ / μ) for the longitudinal translation λ (real) and the meridional translation
 * μ = re + i·im: Re(λ / μ) = λ·re / (re² + im²).
 */
export function slope(longitudinal: number, meridionalReal: number, meridionalImag: number): number {
  return (longitudinal * meridionalReal) / (meridionalReal * meridionalReal + meridionalImag * meridionalImag);
}

/** The even integer nearest to v (ties away from zero). */
export function nearestEven(v: number): number {
  const half = v / 2;
  const r = Math.sign(half) * Math.round(Math.abs(half));
  return 2 * r + 0; // + 0 turns -0 into 0
}
