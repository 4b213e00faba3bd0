/** Child of footprint.ts: predicts a table with a model folder as `sciml predict` does, then reports its peak RSS. */
import { readFileSync } from 'node:fs';
import { readTable } from '../../data/read-table.js';
import { loadAutomlPredictor, predictAutoml } from './predict.js';

const [modelDir, input] = process.argv.slice(2);
const model = await loadAutomlPredictor(modelDir);
const table = await readTable(input);
const predictions = predictAutoml(model, table);
process.send!({ bytes: peakRssBytes(), rows: predictions.rows }, () => process.exit(0));

/**
 * This process's own peak RSS: VmHWM of /proc/self/status. Not getrusage's maxRSS where there is
 * /proc: on Linux it is preserved across execve, so a child forked from a training process of 400 MB
 * reported at least those 400 MB whatever it used itself.
 */
function peakRssBytes(): number {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {
    // no /proc (not Linux)
  }
  return process.resourceUsage().maxRSS * 1024; // KiB
}
