/** The particle network on the native backend: its recurrent branch is the fused oneDNN op. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { checkGradients } from '../../src/runtime/gradcheck.js';
import { nativeSkipReason } from '../helpers/native.js';
import { simulateEvent } from '../../src/data/particles/simulate.js';
import { N_CLASSES, N_HLF, N_PARTICLE_FEATURES } from '../../src/data/particles/schema.js';
import { initialParams, Network, type NetSpec, type Standardizer } from '../../src/models/particles/network.js';
import { directGradients } from '../../src/models/particles/direct-step.js';
import { tapeGradients } from '../../src/models/particles/train.js';

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

test('the direct training step (by hand around the oneDNN sequence) equals the tfjs tape: loss, gradients, dropout', {
  skip,
}, async () => {
  await initBackend('native');
  const T = 6;
  const events = [0, 1, 2, 3, 4].map((i) => simulateEvent(3, 10 + i));
  const particles = new Float32Array(events.length * T * F);
  // Event 1 has no particles at all, event 2 three, the others are cut at T.
  events.forEach((e, i) => {
    const kept = i === 1 ? 0 : i === 2 ? 3 : Math.min(e.n, T);
    particles.set(e.particles.subarray(0, kept * F), i * T * F);
  });
  const b = {
    n: events.length,
    T,
    hlf: Float32Array.from(events.flatMap((e) => Array.from(e.hlf))),
    particles,
    labels: Int32Array.from(events, (e) => e.label),
  };
  const specs: NetSpec[] = [
    { inputs: 'both', recurrent: 'gru', units: 6, dense: [5, 4], dropout: 0.3 },
    { inputs: 'both', recurrent: 'lstm', units: 5, dense: [4], dropout: 0.2 },
    { inputs: 'particles', recurrent: 'gru', units: 4, dense: [], dropout: 0.5 },
    { inputs: 'hlf', recurrent: 'gru', units: 4, dense: [7, 3], dropout: 0.2 },
    { inputs: 'both', recurrent: 'gru', units: 3, dense: [3], dropout: 0 },
  ];
  for (const spec of specs) {
    const net = new Network(spec, unitNorm, initialParams(spec, 5));
    for (const seed of [1, 99]) {
      const direct = directGradients(net, b, seed);
      assert.ok(direct, `${JSON.stringify(spec)}: the direct step ran`);
      const tape = tapeGradients(net, b, seed);
      const what = `${spec.inputs} ${spec.recurrent} dropout ${spec.dropout} seed ${seed}`;
      assert.ok(
        Math.abs(direct.lossSum - tape.lossSum) <= 1e-5 * tape.lossSum,
        `${what}: loss ${direct.lossSum} vs ${tape.lossSum}`,
      );
      const scale = Math.max(...Array.from(tape.grads, Math.abs));
      direct.grads.forEach((g, i) =>
        assert.ok(Math.abs(g - tape.grads[i]) <= 1e-5 * scale, `${what}: gradient ${i}: ${g} vs ${tape.grads[i]}`),
      );
    }
    net.dispose();
  }
  // A padding row before a real particle (a gap) is not a trailing mask: the direct step declines.
  const gap = Float32Array.from(particles);
  gap.fill(0, 0, F);
  const net = new Network(specs[0], unitNorm, initialParams(specs[0], 5));
  assert.equal(directGradients(net, { ...b, particles: gap }, 1), null);
  net.dispose();
});
