import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { currentBackend, initBackend, tf } from '../../src/runtime/backend.js';
import { isUserError } from '../../src/runtime/errors.js';
import { isKernelPatched, KERNEL_PATCHES } from '../../src/runtime/kernels/patches.js';
import { loadNativeAddon } from '../../src/runtime/native/addon.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));

test('wasm: SIMD binary, 1 thread, every wasm patch registered and listed', async () => {
  const info = await initBackend('wasm');
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(info.simd, true);
  assert.equal(info.threads, 1);
  assert.equal(currentBackend(), info);
  const wasmPatches = KERNEL_PATCHES.filter((p) => p.backend === 'wasm');
  assert.deepEqual(
    info.patches,
    wasmPatches.map((p) => p.label),
  );
  for (const p of wasmPatches) assert.ok(isKernelPatched('wasm', p.kernel), p.kernel);
  assert.ok(info.patches.includes('wasm:Conv2DBackpropFilter (composed)'));
  assert.ok(info.patches.includes('wasm:Conv2DBackpropInput (XNNPACK Conv2D)'));
  assert.ok(info.knownDefects.some((d) => /DepthwiseConv2dNative/.test(d)));
  // A second call with the same request reuses the running backend.
  assert.equal(await initBackend('auto'), info);
});

test('cpu: forced by --backend, with its patches', async () => {
  const info = await initBackend('cpu');
  assert.equal(info.name, 'cpu');
  assert.equal(info.requested, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.ok(info.patches.includes('cpu:ResizeNearestNeighborGrad (exact)'));
  assert.ok(isKernelPatched('cpu', 'ResizeNearestNeighborGrad'));
});

test('forcing a backend that is not installed is a UserError naming it', async () => {
  let installed = true;
  try {
    await import('@tensorflow/tfjs-node' as string);
  } catch {
    installed = false;
  }
  if (installed) return; // nothing to refuse where tfjs-node is present
  await assert.rejects(
    initBackend('node'),
    (err: unknown) => isUserError(err) && /--backend node: not available here .*tfjs-node/.test((err as Error).message),
  );
});

test('auto picks native (oneDNN) when built, else wasm, and records why the others were skipped, from any cwd', async () => {
  const script = `import('${repo}dist/src/runtime/backend.js').then((m) => m.initBackend('auto')).then((i) => console.log(JSON.stringify(i)))`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: tmpdir() });
  const info = JSON.parse(stdout);
  if (info.provider === 'node' || info.provider === 'node-gpu') return; // tfjs-node installed: it wins, which is also right
  const nativeBuilt = !loadNativeAddon().error;
  assert.equal(info.name, nativeBuilt ? 'native' : 'wasm');
  assert.equal(info.simd, true);
  assert.deepEqual(
    info.skipped.map((s: { provider: string }) => s.provider),
    nativeBuilt ? ['node-gpu', 'node'] : ['node-gpu', 'node', 'native'],
  );
  if (nativeBuilt) {
    assert.equal(info.engine.name, 'oneDNN');
    assert.match(info.engine.version, /^\d+\.\d+\.\d+$/);
    assert.ok(info.engine.isa.length > 0 && info.engine.threads >= 1);
    assert.ok(info.patches.includes('native:Conv2DBackpropFilter (oneDNN)'));
    assert.ok(
      info.patches.includes('wasm:ResizeNearestNeighborGrad (exact)'),
      'the wasm patches native does not replace stay',
    );
  }
});

test('sciml info names the backend and the patched kernels', async () => {
  const { stdout } = await run(process.execPath, [`${repo}bin/sciml.js`, 'info'], {
    cwd: tmpdir(),
    env: { ...process.env, CI: 'true' },
  });
  assert.match(stdout, /^backend\s+\S+/m);
  if (/^backend\s+wasm/m.test(stdout)) {
    assert.match(stdout, /patched kernels\s+.*wasm:Conv2DBackpropFilter \(composed\)/);
    assert.match(stdout, /known defects\s+.*DepthwiseConv2dNative/);
  }
  if (/^backend\s+native/m.test(stdout)) assert.match(stdout, /^engine\s+oneDNN \d+\.\d+\.\d+, ISA \w+, \d+ threads$/m);
  const json = await run(process.execPath, [`${repo}bin/sciml.js`, '--backend', 'cpu', '--json', 'info'], {
    cwd: tmpdir(),
  });
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.backend.name, 'cpu');
  assert.ok(parsed.backend.patches.includes('cpu:ResizeNearestNeighborGrad (exact)'));
});
