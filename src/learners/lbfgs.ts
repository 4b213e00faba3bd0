/**
 * Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4) with a backtracking Armijo line search,
 * for the smooth convex objectives of logistic regression and the stacker. Deterministic.
 */
export interface LbfgsOptions {
  maxIter: number;
  /** Stop when the gradient's max-norm falls below this. */
  tol: number;
  memory?: number;
  /** performance.now() ms after which to stop with the current point. */
  deadlineMs?: number;
}

/** Minimizes f from x0 (updated in place); fg writes the gradient into g and returns f(x). */
export function minimizeLbfgs(
  fg: (x: Float64Array, g: Float64Array) => number,
  x: Float64Array,
  options: LbfgsOptions,
): { value: number; iterations: number } {
  const n = x.length;
  const m = options.memory ?? 10;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const g = new Float64Array(n);
  let f = fg(x, g);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const alpha = new Float64Array(m);
  let iter = 0;
  for (; iter < options.maxIter; iter++) {
    if (maxAbs(g) < options.tol) break;
    if (options.deadlineMs !== undefined && performance.now() > options.deadlineMs) break;
    // Two-loop recursion: d = -H g.
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], d);
      axpy(-alpha[j], Y[j], d);
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    } else {
      const norm = Math.sqrt(dot(g, g));
      if (norm > 0) for (let i = 0; i < n; i++) d[i] /= Math.max(1, norm);
    }
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j] * dot(Y[j], d);
      axpy(alpha[j] - beta, S[j], d);
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = dot(g, d);
    }
    let step = 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      fNew = fg(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew <= f)) break;
    const s = new Float64Array(n);
    const yv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      yv[i] = gNew[i] - g[i];
    }
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    const improvement = f - fNew;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    if (improvement <= 1e-12 * Math.max(1, Math.abs(f))) break;
  }
  return { value: f, iterations: iter };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
