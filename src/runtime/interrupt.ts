/**
 * Ctrl-C or SIGTERM in the middle of a run: the run is recorded as `interrupted` (run.json with the
 * time), its temporary files go, stderr says so, and the process exits 130 (SIGINT) or 143 (SIGTERM).
 */
import type { RunDir } from './rundir.js';

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Installs the handlers; returns their removal (call it once the run has finished either way). */
export function recordInterruption(run: RunDir, markInterrupted: (signal: NodeJS.Signals) => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    try {
      markInterrupted(signal);
      run.removeTemporaries();
    } finally {
      process.stderr.write(`sciml: interrupted (${signal}); ${run.path} is recorded as interrupted\n`);
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    }
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
