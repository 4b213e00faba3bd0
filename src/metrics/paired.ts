/**
 * Two models scored on the same items (hit or miss each): the difference of their accuracies and
 * its standard error from the discordant items, as in McNemar's test. On a shared test set this
 * resolves far smaller differences than two independent accuracies of the same size would.
 */
export interface PairedComparison {
  n: number;
  a: number;
  b: number;
  /** b - a, and its standard error from the discordant items (McNemar). */
  diff: number;
  se: number;
  onlyA: number;
  onlyB: number;
}

/** Item-by-item comparison of two models' hits, keyed by item id (e.g. trace ids). */
export function pairedComparison(a: Map<number, boolean>, b: Map<number, boolean>): PairedComparison {
  let n = 0,
    hitsA = 0,
    hitsB = 0,
    onlyA = 0,
    onlyB = 0;
  for (const [id, ha] of a) {
    const hb = b.get(id);
    if (hb === undefined) throw new Error(`item ${id} is missing from the second evaluation`);
    n++;
    if (ha) hitsA++;
    if (hb) hitsB++;
    if (ha && !hb) onlyA++;
    if (hb && !ha) onlyB++;
  }
  const d = (onlyB - onlyA) / n;
  const se = Math.sqrt(Math.max(0, onlyA + onlyB - n * d * d)) / n;
  return { n, a: hitsA / n, b: hitsB / n, diff: d, se, onlyA, onlyB };
}
