import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalExecutor } from '../../src/execution/index.js';

// What src/search/pool.ts guaranteed before AutoML moved onto the executor: a busy loop cannot outlive its deadline.
test('local executor (thread): a job spinning in a busy loop is killed at its deadline, and the executor recovers', async () => {
  const ex = new LocalExecutor({ slots: 1, isolation: 'thread' });
  try {
    const t0 = Date.now();
    const killed = await ex.submit({ kind: 'probe', id: 'spin', payload: { spin_ms: 20_000 }, deadlineMs: Date.now() + 200 });
    assert.equal(killed.status, 'killed');
    assert.ok(Date.now() - t0 < 3000, `killed after ${Date.now() - t0} ms`);
    const next = await ex.submit<{ pid: number }>({ kind: 'probe', id: 'after', payload: { spin_ms: 10 } });
    assert.equal(next.status, 'ok');
    assert.equal(next.result?.pid, process.pid);
  } finally {
    await ex.close();
  }
});
