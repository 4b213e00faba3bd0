/** The particle network on the native backend: its recurrent branch is the fused oneDNN op. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { checkGradients } from '../../src/runtime/gradcheck.js';
import { nativeSkipReason } from '../helpers/native.js';
import { simulateEvent } from '../../src/data/particles/simulate.js';
import { N_CLASSES, N_HLF, N_PARTICLE_FEATURES } from '../../src/data/particles/schema.js';
import { initialParams, Network, type NetSpec, type Standardizer } from '../../src/models/particles/network.js';

const skip = nativeSkipReason();
const F = N_PARTICLE_FEATURES;
const unitNorm: Standardizer = {
  hlfMean: new Float32Array(N_HLF),
  hlfStd: new Float32Array(N_HLF).fill(10),
  particleMean: new Float32Array(F),
  particleStd: new Float32Array(F).fill(10),
};

/** Three events over T steps, the second with 3 real particles then padding. */
function batch(T: number) {
  const events = [simulateEvent(2, 3), simulateEvent(2, 4), simulateEvent(2, 5)];
  const parts = new Float32Array(3 * T * F);
  events.forEach((e, i) => parts.set(e.particles.subarray(0, Math.min(e.n, i === 1 ? 3 : T) * F), i * T * F));
  return {
    x: tf.tensor3d(parts, [3, T, F]),
    hlf: tf.tensor2d(Float32Array.from(events.flatMap((e) => Array.from(e.hlf))), [3, N_HLF]),
    y: tf.oneHot(
      tf.tensor1d(
        events.map((e) => e.label),
        'int32',
      ),
      N_CLASSES,
    ),
  };
}

for (const recurrent of ['gru', 'lstm'] as const) {
  test(`particles ${recurrent} on native: loss and gradients equal the wasm step loop's (1e-4), and pass finite differences`, {
    skip,
  }, async () => {
    const spec: NetSpec = { inputs: 'both', recurrent, units: 6, dense: [5], dropout: 0 };
    const params = initialParams(spec, 11);
    const { x, hlf, y } = batch(7);
    const lossAndGrads = async (backend: 'wasm' | 'native') => {
      await initBackend(backend);
      const net = new Network(spec, unitNorm, params);
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, net.logits(hlf, x)) as tf.Scalar,
        net.variables,
      );
      const out = { loss: value.dataSync()[0], grads: net.flatGradients(grads) };
      tf.dispose([value, ...Object.values(grads)]);
      net.dispose();
      return out;
    };
    const wasm = await lossAndGrads('wasm');
    const native = await lossAndGrads('native');
    assert.ok(Math.abs(native.loss - wasm.loss) < 1e-5 * Math.abs(wasm.loss), `loss ${native.loss} vs ${wasm.loss}`);
    const scale = Math.max(...Array.from(wasm.grads, Math.abs));
    native.grads.forEach((g, i) =>
      assert.ok(Math.abs(g - wasm.grads[i]) <= 1e-4 * scale, `gradient ${i}: ${g} vs ${wasm.grads[i]}`),
    );
    const net = new Network(spec, unitNorm, params);
    const report = checkGradients(
      () => tf.tidy(() => tf.losses.softmaxCrossEntropy(y, net.logits(hlf, x)) as tf.Scalar),
      net.variables,
      { seed: 1, samplesPerTensor: 4 },
    );
    assert.ok(report.ok, `${recurrent}: ${report.message}`);
    net.dispose();
    tf.dispose([x, hlf, y]);
  });
}
