/** Training and test traces for a denoiser config: simulated from derived seeds, or read from files. */
import { isAbsolute, resolve } from 'node:path';
import { Random } from '../../runtime/random.js';
import { UserError } from '../../runtime/errors.js';
import type { RunDir } from '../../runtime/rundir.js';
import { simulateTraces } from '../../data/radio/simulator.js';
import { loadTraceFile } from '../../data/radio/load.js';
import { radioOptionProblems } from '../../data/radio/options.js';
import { requireMemory } from '../../runtime/memory.js';
import type { TraceSet } from '../../data/radio/traces.js';
import type { DenoiserConfig } from './config.js';

/** Which simulated set: the training traces, the test set of `train`, or the fresh test set of `evaluate`. */
export type TracePurpose = 'train' | 'test' | 'evaluate';

function seedFor(seed: number, purpose: TracePurpose): number {
  return new Random(seed).fork(`radio-${purpose}`).nextUint32();
}

function resolveDataPath(path: string, baseDir: string): string {
  if (path === '-') return path;
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Reads or simulates a trace set; files are recorded as run inputs. `baseDir` resolves relative paths. */
export async function tracesFor(
  config: DenoiserConfig,
  purpose: TracePurpose,
  baseDir: string,
  run?: RunDir,
): Promise<TraceSet> {
  const d = config.data;
  const path = purpose === 'train' ? d.train_path : d.test_path;
  const signalPath = purpose === 'train' ? d.train_signal_path : d.test_signal_path;
  if (path) {
    const full = resolveDataPath(path, baseDir);
    const set = await loadTraceFile({
      path: full,
      signalPath: signalPath ? resolveDataPath(signalPath, baseDir) : undefined,
      noisyKey: d.noisy_key,
      signalKey: d.signal_key,
    });
    if (run && full !== '-') {
      await run.recordInput(full);
      if (signalPath) await run.recordInput(resolveDataPath(signalPath, baseDir));
    }
    return set;
  }
  const problems = radioOptionProblems(d.simulation);
  if (problems.length > 0)
    throw new UserError(`data.simulation: ${problems.map((p) => `data.simulation.${p}`).join('; ')}`);
  const count = purpose === 'train' ? d.train_count : d.test_count;
  requireMemory(
    purpose === 'train' ? 'data.train_count' : 'data.test_count',
    count,
    count * bytesPerTrace(d.simulation.length),
    `traces of ${d.simulation.length} samples`,
  );
  // Ids are unique across the three sets so rows can be told apart after joining outputs.
  const firstId = purpose === 'train' ? 0 : purpose === 'test' ? 10_000_000 : 20_000_000;
  return simulateTraces(count, seedFor(config.seed, purpose), d.simulation, firstId);
}

/** Noisy and clean float32 traces plus the scaled and batched copies training makes, and per-trace fields. */
function bytesPerTrace(length: number): number {
  return 4 * 4 * length + 48;
}

export function requireLength(set: TraceSet, length: number, what: string): void {
  if (set.length !== length)
    throw new UserError(`${what}: expected traces of ${length} samples (the model's input length), got ${set.length}`);
}
