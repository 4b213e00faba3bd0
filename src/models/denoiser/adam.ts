/**
 * Adam on a flat parameter vector, in plain JS so its whole state (moments and step count) can be
 * checkpointed exactly and a resumed run continues bit for bit. Moments are kept in float64.
 * Update as in Kingma & Ba (and PyTorch): p -= lr * m_hat / (sqrt(v_hat) + eps).
 */
export interface AdamState {
  step: number;
  m: Float64Array;
  v: Float64Array;
}

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const ADAM_DEFAULTS: Omit<AdamSettings, 'learningRate'> = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

export function createAdamState(size: number): AdamState {
  return { step: 0, m: new Float64Array(size), v: new Float64Array(size) };
}

export function adamStep(params: Float32Array, grads: Float32Array, state: AdamState, s: AdamSettings): void {
  state.step += 1;
  const { m, v } = state;
  const c1 = 1 - Math.pow(s.beta1, state.step);
  const c2 = 1 - Math.pow(s.beta2, state.step);
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    m[i] = s.beta1 * m[i] + (1 - s.beta1) * g;
    v[i] = s.beta2 * v[i] + (1 - s.beta2) * g * g;
    params[i] -= (s.learningRate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + s.epsilon);
  }
}
