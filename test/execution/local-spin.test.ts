import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor } from '../../src/execution/local.js';
import { jobs } from '../../src/registry.js';

// What src/search/pool.ts guaranteed before AutoML moved onto the executor: a busy loop cannot outlive its deadline.
test('local executor (thread): a job spinning in a busy loop is killed at its deadline, and the executor recovers', async () => {
  const ex = new LocalExecutor({ jobs, slots: 1, isolation: 'thread' });
  try {
    const t0 = Date.now();
    const killed = await ex.submit({
      kind: 'probe',
      id: 'spin',
      payload: { spin_ms: 20_000 },
      deadlineMs: Date.now() + 200,
    });
    assert.equal(killed.status, 'killed');
    assert.ok(Date.now() - t0 < 3000, `killed after ${Date.now() - t0} ms`);
    const next = await ex.submit<{ pid: number }>({ kind: 'probe', id: 'after', payload: { spin_ms: 10 } });
    assert.equal(next.status, 'ok');
    assert.equal(next.result?.pid, process.pid);
  } finally {
    await ex.close();
  }
});

test('local executor: a job killed at its deadline leaves no scratch folder behind (thread and inline)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-scratch-test-'));
  try {
    for (const [isolation, payload] of [
      ['thread', { spin_ms: 20_000 }],
      ['inline', { sleep_ms: 20_000 }],
    ] as const) {
      const ex = new LocalExecutor({ jobs, slots: 1, isolation });
      const note = join(dir, `${isolation}.txt`);
      try {
        // The deadline leaves a loaded machine time to start the worker thread (the job writes the note first thing).
        const killed = await ex.submit({
          kind: 'probe',
          id: 'spin',
          payload: { ...payload, scratch_note: note },
          deadlineMs: Date.now() + 1500,
        });
        assert.equal(killed.status, 'killed');
        const scratch = readFileSync(note, 'utf8');
        assert.match(scratch, /sciml-job-/);
        for (let i = 0; i < 50 && existsSync(scratch); i++) await new Promise((r) => setTimeout(r, 20));
        assert.ok(!existsSync(scratch), `${isolation}: ${scratch} is left behind`);
        const ok = await ex.submit({ kind: 'probe', id: 'after', payload: { scratch_note: note } });
        assert.equal(ok.status, 'ok');
        assert.ok(
          !existsSync(readFileSync(note, 'utf8')),
          `${isolation}: the scratch folder of a finished job is removed`,
        );
      } finally {
        await ex.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
