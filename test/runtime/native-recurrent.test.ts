/**
 * The fused GRU/LSTM sequence op (src/runtime/native/recurrent.ts) against the particle family's
 * step-by-step tfjs loop (Keras masking semantics) (value and gradients, 1e-4 relative), and against finite
 * differences.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from '../helpers/cli.js';
import { initBackend, tf } from '../../src/runtime/backend.js';
import { nativeSkipReason } from '../helpers/native.js';
import { loadNativeAddon } from '../../src/runtime/native/addon.js';
import { engineCores, setNativeThreads } from '../../src/runtime/native/backend.js';
import { fusedRecurrentEncode, trailingLengths, type RecurrentKind } from '../../src/runtime/native/recurrent.js';
import { checkGradients } from '../../src/runtime/gradcheck.js';
import { Random } from '../../src/runtime/random.js';
import { f32, maxAbsDiff, normals } from './kernel-reference.js';
import { recurrentEncodeStepwise as stepwise } from '../../src/models/particles/network.js';

const skip = nativeSkipReason();

before(async () => {
  if (!skip) await initBackend('native');
});

function problem(kind: RecurrentKind, B: number, T: number, F: number, U: number, lengths: number[], seed: number) {
  const r = new Random(seed);
  const G = kind === 'gru' ? 3 : 4;
  const maskValues = new Float32Array(B * T);
  lengths.forEach((n, b) => maskValues.fill(1, b * T, b * T + n));
  const xValues = f32(normals(r, B * T * F)).map((v, i) => v * maskValues[Math.floor(i / F)]);
  const vars = {
    x: tf.variable(tf.tensor3d(xValues, [B, T, F])),
    kernel: tf.variable(tf.tensor2d(f32(normals(r, F * G * U).map((v) => v * 0.4)), [F, G * U])),
    recurrentKernel: tf.variable(tf.tensor2d(f32(normals(r, U * G * U).map((v) => v * 0.4)), [U, G * U])),
    bias: tf.variable(tf.tensor1d(f32(normals(r, G * U).map((v) => v * 0.2)))),
    recurrentBias: tf.variable(tf.tensor1d(f32(normals(r, G * U).map((v) => v * 0.2)))),
  };
  const mask = tf.tensor2d(maskValues, [B, T]);
  const weights = f32(normals(r, B * U)); // the loss weights each output entry differently
  return { vars, mask, weights: tf.tensor2d(weights, [B, U]) };
}

for (const kind of ['gru', 'lstm'] as const) {
  test(`fused ${kind}: last state and gradients equal the step-by-step reference (1e-4), any trailing padding`, {
    skip,
  }, () => {
    const U = 5;
    const { vars, mask, weights } = problem(kind, 4, 9, 3, U, [9, 4, 0, 1], 1);
    const list = kind === 'gru' ? Object.values(vars) : Object.values(vars).filter((v) => v !== vars.recurrentBias);
    const rb = kind === 'gru' ? vars.recurrentBias : undefined;
    const loss = (fused: boolean) => () =>
      tf.tidy(() => {
        const h = fused
          ? fusedRecurrentEncode(kind, vars.x, mask, U, { ...vars, recurrentBias: rb })!
          : stepwise(kind, vars.x, mask, U, { ...vars, recurrentBias: rb });
        return tf.sum(tf.mul(tf.tanh(h), weights)) as tf.Scalar;
      });
    const fused = tf.variableGrads(loss(true), list);
    const reference = tf.variableGrads(loss(false), list);
    assert.ok(
      Math.abs(fused.value.dataSync()[0] - reference.value.dataSync()[0]) <
        1e-4 * Math.abs(reference.value.dataSync()[0]) + 1e-6,
    );
    for (const v of list) {
      const got = fused.grads[v.name].dataSync();
      const want = reference.grads[v.name].dataSync();
      const scale = Math.max(...Array.from(want, Math.abs));
      assert.ok(
        maxAbsDiff(got, want) <= 1e-4 * scale + 1e-7,
        `${kind} d/d${v.name}: ${maxAbsDiff(got, want)} (scale ${scale})`,
      );
    }
    // A sequence of length 0 gives the zero state; padded steps get no gradient.
    const h = fusedRecurrentEncode(kind, vars.x, mask, U, { ...vars, recurrentBias: rb })!;
    assert.deepEqual(Array.from(h.dataSync().slice(2 * U, 3 * U)), new Array(U).fill(0));
    const dx = fused.grads[vars.x.name].dataSync();
    assert.equal(dx[(1 * 9 + 6) * 3], 0, 'a padded step of sequence 1 has no gradient');
    tf.dispose([
      h,
      fused.value,
      reference.value,
      ...Object.values(fused.grads),
      ...Object.values(reference.grads),
      ...Object.values(vars),
      mask,
      weights,
    ]);
  });

  test(`fused ${kind}: finite-difference check of every weight and the inputs`, { skip }, () => {
    const U = 3;
    const { vars, mask, weights } = problem(kind, 2, 6, 2, U, [6, 3], 2);
    const list = kind === 'gru' ? Object.values(vars) : Object.values(vars).filter((v) => v !== vars.recurrentBias);
    const rb = kind === 'gru' ? vars.recurrentBias : undefined;
    const report = checkGradients(
      () =>
        tf.tidy(
          () =>
            tf.sum(
              tf.mul(fusedRecurrentEncode(kind, vars.x, mask, U, { ...vars, recurrentBias: rb })!, weights),
            ) as tf.Scalar,
        ),
      list,
      { seed: 3, samplesPerTensor: 4 },
    );
    assert.ok(report.ok, report.message);
    tf.dispose([...Object.values(vars), mask, weights]);
  });
}

test('trailingLengths: prefix masks give lengths; a masked step before a real one gives undefined', () => {
  assert.deepEqual(Array.from(trailingLengths([1, 1, 0, 0, 0, 0, 1, 1, 1], 3, 3)!), [2, 0, 3]);
  assert.equal(trailingLengths([1, 0, 1], 1, 3), undefined);
});

test('fusedRecurrentEncode declines (null) off the native backend, so callers keep their step loop', async () => {
  await initBackend('wasm');
  const x = tf.zeros([1, 2, 1]) as tf.Tensor3D;
  const mask = tf.ones([1, 2]) as tf.Tensor2D;
  assert.equal(
    fusedRecurrentEncode('gru', x, mask, 1, {
      kernel: tf.zeros([1, 3]),
      recurrentKernel: tf.zeros([1, 3]),
      bias: tf.zeros([3]),
      recurrentBias: tf.zeros([3]),
    }),
    null,
  );
  tf.dispose([x, mask]);
  if (!skip) await initBackend('native');
});

test('fused gru: buffers reused from call to call give bit-identical values and gradients, with an inference call between a forward pass and its backward pass', {
  skip,
}, () => {
  const U = 6;
  const { vars, mask, weights } = problem('gru', 5, 12, 4, U, [12, 7, 3, 12, 1], 9);
  const list = Object.values(vars);
  const encode = (x: tf.Tensor3D = vars.x) => fusedRecurrentEncode('gru', x, mask, U, vars)!;
  const other = tf.mul(vars.x, -0.5) as tf.Tensor3D;
  const inference = tf.tidy(() => encode(other).dataSync().slice());
  const gradients = (interleave: boolean) => {
    const { value, grads } = tf.variableGrads(() => {
      const h = encode();
      // An inference pass of the same shape, other inputs, while this forward pass waits for its backward pass.
      if (interleave)
        assert.deepEqual(
          tf.tidy(() => encode(other).dataSync().slice()),
          inference,
        );
      return tf.sum(tf.mul(tf.tanh(h), weights)) as tf.Scalar;
    }, list);
    return [value, ...list.map((v) => grads[v.name])].map((t) => t.dataSync().slice());
  };
  const first = gradients(false);
  assert.deepEqual(gradients(true), first);
  assert.deepEqual(gradients(false), first);
  assert.deepEqual(
    tf.tidy(() => encode(other).dataSync().slice()),
    inference,
  );
  // A longer batch grows the kept buffers; this shape then runs on views of them, to the same bits.
  const longer = problem('gru', 5, 30, 4, U, [30, 7, 3, 12, 1], 10);
  tf.tidy(() =>
    tf.variableGrads(
      () => tf.sum(fusedRecurrentEncode('gru', longer.vars.x, longer.mask, U, longer.vars)!) as tf.Scalar,
      Object.values(longer.vars),
    ),
  );
  assert.deepEqual(gradients(false), first);
  assert.deepEqual(gradients(true), first);
});

test("a batch over 100 MFLOP run as two halves side by side (two engine threads) gives the whole batch's values and gradients", {
  skip,
}, () => {
  const { addon } = loadNativeAddon();
  const [N, T, F, U] = [48, 150, 19, 50]; // 2 N T 3U (F + U) = 447 MFLOP forward
  const r = new Random(5);
  const x = f32(normals(r, N * T * F));
  const kernel = f32(normals(r, F * 3 * U).map((v) => v * 0.2));
  const recurrentKernel = f32(normals(r, U * 3 * U).map((v) => v * 0.2));
  const bias = f32(normals(r, 4 * U).map((v) => v * 0.1));
  const dy = f32(normals(r, N * T * U));
  const params = Int32Array.of(N, T, F, U);
  const run = (threads: number) => {
    addon!.setThreads(threads);
    const y = new Float32Array(N * T * U);
    const ws = addon!.rnnForward(0, x, kernel, recurrentKernel, bias, y, params, null);
    const out = {
      y,
      dx: new Float32Array(x.length),
      dKernel: new Float32Array(kernel.length),
      dRecurrentKernel: new Float32Array(recurrentKernel.length),
      dBias: new Float32Array(bias.length),
    };
    addon!.rnnBackward(
      0,
      x,
      kernel,
      recurrentKernel,
      bias,
      y,
      dy,
      ws,
      out.dx,
      out.dKernel,
      out.dRecurrentKernel,
      out.dBias,
      params,
    );
    return out;
  };
  try {
    const whole = run(1);
    const halves = run(2);
    for (const key of Object.keys(whole) as (keyof typeof whole)[]) {
      const scale = whole[key].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(
        maxAbsDiff(halves[key], whole[key]) <= 1e-5 * scale,
        `${key}: ${maxAbsDiff(halves[key], whole[key])} of ${scale}`,
      );
    }
  } finally {
    setNativeThreads(engineCores());
  }
});

test('engine calls survive signals arriving mid-call: under node --cpu-prof (a SIGPROF every millisecond) GRU and LSTM passes and sgemm give what they give without it', {
  skip,
}, () => {
  // oneDNN's generated GEMM kernels point rsp at the heap while they run (oneDNN issue #4845), so a
  // signal handler's frame landed in the heap: this child aborted ("corrupted size vs. prev_size")
  // within 50 passes before the addon deferred signals during its calls.
  const addonUrl = pathToFileURL(join(root, 'dist', 'src', 'runtime', 'native', 'addon.js')).href;
  const script = `
    const { loadNativeAddon } = await import(${JSON.stringify(addonUrl)});
    const { addon } = loadNativeAddon();
    const B = 128, T = 20, F = 19, U = 32, out = {};
    for (const kind of [0, 1]) {
      const G = kind === 0 ? 3 : 4;
      const x = new Float32Array(B * T * F).map((_, i) => Math.sin(i) * 0.5);
      const k = new Float32Array(F * G * U).map((_, i) => Math.cos(i) * 0.1);
      const rk = new Float32Array(U * G * U).map((_, i) => Math.sin(i * 3) * 0.1);
      const b = new Float32Array(4 * U), y = new Float32Array(B * T * U), dy = new Float32Array(B * T * U).fill(1e-3);
      const dx = new Float32Array(x.length), dk = new Float32Array(k.length), drk = new Float32Array(rk.length), db = new Float32Array(b.length);
      const c = new Float32Array(B * T * G * U), p = Int32Array.of(B, T, F, U);
      let ws = null;
      for (let i = 0; i < 150; i++) {
        ws = addon.rnnForward(kind, x, k, rk, b, y, p, ws);
        addon.rnnBackward(kind, x, k, rk, b, y, dy, ws, dx, dk, drk, db, p);
        addon.gemm(x, k, c, Int32Array.of(0, 0, B * T, G * U, F), 1, 0);
      }
      out[kind] = [dx, dk, drk, db, c].map((a) => Array.from(a.slice(0, 64)));
    }
    console.log(JSON.stringify(out));`;
  const dir = mkdtempSync(join(tmpdir(), 'sciml-cpuprof-'));
  try {
    const run = (flags: string[]) =>
      spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
    const plain = run([]);
    assert.equal(plain.status, 0, plain.stderr);
    const profiled = run(['--cpu-prof', '--cpu-prof-dir', dir]);
    assert.equal(profiled.status, 0, `exit ${profiled.status} (${profiled.signal}): ${profiled.stderr}`);
    assert.deepEqual(JSON.parse(profiled.stdout), JSON.parse(plain.stdout));
    assert.ok(
      readdirSync(dir).some((f) => f.endsWith('.cpuprofile')),
      'the profile was written',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
