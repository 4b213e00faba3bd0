import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/search/pool.js';

const script = new URL('./fixtures/spin-worker.js', import.meta.url);

test('the pool runs tasks in parallel on separate workers', async () => {
  const pool = new WorkerPool<{ ms: number; spin: boolean }, { ms: number }>(script, null, 2);
  try {
    const t0 = Date.now();
    const results = await Promise.all([pool.run({ ms: 300, spin: false }), pool.run({ ms: 300, spin: false })]);
    assert.ok(results.every((r) => r.status === 'ok'));
    assert.ok(Date.now() - t0 < 550, `two 300 ms tasks took ${Date.now() - t0} ms`);
  } finally {
    await pool.close();
  }
});

test('a task past its hard deadline is killed even in a busy loop, and the pool recovers', async () => {
  const pool = new WorkerPool<{ ms: number; spin: boolean; fail?: boolean }, { ms: number }>(script, null, 1);
  try {
    const t0 = Date.now();
    const killed = await pool.run({ ms: 60_000, spin: true }, t0 + 300);
    assert.equal(killed.status, 'killed');
    assert.ok(Date.now() - t0 < 1500, `kill took ${Date.now() - t0} ms`);
    const after = await pool.run({ ms: 10, spin: true });
    assert.deepEqual(after, { status: 'ok', result: { pid: process.pid, ms: 10 } });
    const failed = await pool.run({ ms: 1, spin: false, fail: true });
    assert.equal(failed.status, 'failed');
    assert.match((failed as { error: string }).error, /asked to fail/);
  } finally {
    await pool.close();
  }
});
