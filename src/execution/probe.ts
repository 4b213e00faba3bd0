import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, hostname } from 'node:os';
import type { JobHandler } from './job.js';
import { scimlVersion } from '../runtime/version.js';

/**
 * Reports where it ran; `sleep_ms` holds the slot that long (abortable), `spin_ms` busy-loops that
 * long (only a thread kill stops it). Used to check a worker end to end (reachability, versions,
 * concurrency, deadlines) without running a model. `scratch_note`: a file to write the scratch
 * folder's path to (after putting a file in it), so a test can check that it is gone.
 */
/** Name of the job kind that reports where it ran (tests, `sciml workers`). */
export const PROBE_KIND = 'probe';

export const probeHandler: JobHandler<{
  sleep_ms?: number;
  spin_ms?: number;
  echo?: unknown;
  scratch_note?: string;
}> = async (payload, inputs, ctx) => {
  if (payload?.scratch_note) {
    writeFileSync(join(ctx.scratchDir, 'partial.bin'), new Uint8Array(1024));
    writeFileSync(payload.scratch_note, ctx.scratchDir);
  }
  const spinUntil = performance.now() + Math.max(0, Number(payload?.spin_ms ?? 0));
  while (performance.now() < spinUntil) {
    // Busy on purpose.
  }
  const sleep = Math.max(0, Number(payload?.sleep_ms ?? 0));
  if (sleep > 0) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, sleep);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      });
    });
  }
  const sizes = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.byteLength]));
  return {
    result: {
      host: hostname(),
      pid: process.pid,
      cores: availableParallelism(),
      version: scimlVersion(),
      echo: payload?.echo ?? null,
      input_bytes: sizes,
    },
  };
};
