/** Per-feature attribution methods of knots predictions (`--explain`, `?explain=`). */
export const EXPLAIN_METHODS = ['integrated_gradients'] as const;
export type ExplainMethod = (typeof EXPLAIN_METHODS)[number];
