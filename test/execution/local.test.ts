import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalExecutor } from '../../src/execution/local.js';
import { jobs } from '../../src/registry.js';

for (const isolation of ['thread', 'inline'] as const) {
  test(`local executor (${isolation}): runs a job, returns its result and input sizes`, async () => {
    const ex = new LocalExecutor({ jobs, slots: 2, isolation });
    try {
      const out = await ex.submit<{ echo: unknown; input_bytes: Record<string, number> }>({
        kind: 'probe',
        id: 'a',
        payload: { echo: { x: 1 } },
        inputs: { blob: new Uint8Array(7) },
      });
      assert.equal(out.status, 'ok');
      assert.deepEqual(out.result?.echo, { x: 1 });
      assert.deepEqual(out.result?.input_bytes, { blob: 7 });
      assert.equal(out.id, 'a');
    } finally {
      await ex.close();
    }
  });

  test(`local executor (${isolation}): a job past its deadline is killed, the next one still runs`, async () => {
    const ex = new LocalExecutor({ jobs, slots: 1, isolation });
    try {
      const killed = await ex.submit({
        kind: 'probe',
        id: 'slow',
        payload: { sleep_ms: 5000 },
        deadlineMs: Date.now() + 100,
      });
      assert.equal(killed.status, 'killed');
      assert.ok(killed.endedMs - killed.startedMs < 2000);
      const ok = await ex.submit({ kind: 'probe', id: 'fast', payload: {} });
      assert.equal(ok.status, 'ok');
    } finally {
      await ex.close();
    }
  });
}

test('local executor: an unknown kind fails the job, not the executor', async () => {
  const ex = new LocalExecutor({ jobs, slots: 1 });
  try {
    const out = await ex.submit({ kind: 'no-such-kind', id: 'x', payload: {} });
    assert.equal(out.status, 'failed');
    assert.match(out.error ?? '', /unknown job kind 'no-such-kind'/);
  } finally {
    await ex.close();
  }
});

test('local executor: slots bound concurrency, and a 2-cpu job waits for both', async () => {
  const ex = new LocalExecutor({ jobs, slots: 2, isolation: 'inline' });
  try {
    const t0 = Date.now();
    const outs = await Promise.all([
      ex.submit({ kind: 'probe', id: '1', payload: { sleep_ms: 300 } }),
      ex.submit({ kind: 'probe', id: '2', payload: { sleep_ms: 300 } }),
      ex.submit({ kind: 'probe', id: 'wide', payload: { sleep_ms: 300 }, cpus: 2 }),
    ]);
    assert.ok(outs.every((o) => o.status === 'ok'));
    const wide = outs[2];
    // The wide job cannot overlap the two narrow ones.
    assert.ok(
      wide.startedMs >= Math.min(outs[0].endedMs, outs[1].endedMs) - 5,
      'the 2-cpu job started while a 1-cpu job held a slot',
    );
    assert.ok(Date.now() - t0 >= 590);
  } finally {
    await ex.close();
  }
});

test('packDir/unpackDir round-trip a folder, with the same bytes for the same files', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { packDir, unpackDir, blobHash } = await import('../../src/execution/files.js');
  const root = mkdtempSync(join(tmpdir(), 'pack-'));
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  writeFileSync(join(root, 'a', 'b', 'w.bin'), new Uint8Array([1, 2, 3]));
  writeFileSync(join(root, 'top.json'), '{"x":1}');
  const blob = packDir(root);
  assert.equal(blobHash(packDir(root)), blobHash(blob));
  const out = join(root, '..', `unpacked-${Date.now()}`);
  unpackDir(blob, out);
  assert.deepEqual([...readFileSync(join(out, 'a', 'b', 'w.bin'))], [1, 2, 3]);
  assert.equal(readFileSync(join(out, 'top.json'), 'utf8'), '{"x":1}');
});
