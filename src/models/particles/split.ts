/** The events a particles config names, split into train / validation / test (shared by the task and its trials). */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TaskContext } from '../../contracts/task.js';
import type { RunDir } from '../../runtime/rundir.js';
import { UserError } from '../../runtime/errors.js';
import { openEventDataset, type EventDataset } from '../../data/particles/reader.js';
import { writeSimulatedDataset } from '../../data/particles/write.js';
import type { ParticlesConfig } from './config.js';
import type { Split } from './train.js';

function baseDir(ctx: TaskContext): string {
  return ctx.configFile ? dirname(ctx.configFile) : process.cwd();
}

/** The events of a config: data.path, or simulated into the run's data/ folder when empty. */
async function eventsOf(
  ctx: TaskContext,
  config: ParticlesConfig,
  path: string,
  run: RunDir | undefined,
  simulatedDir?: string,
): Promise<EventDataset> {
  const options = { cacheBytes: config.data.cache_mb * 2 ** 20 };
  if (!path && simulatedDir && existsSync(simulatedDir)) return openEventDataset(simulatedDir, options);
  if (path) {
    // relative to the config's folder, as every task does; failing that (evaluate --set data.path=... of a run), the working folder
    const besideConfig = resolve(baseDir(ctx), path);
    const full = existsSync(besideConfig) || /[*?[]/.test(path) ? besideConfig : resolve(path);
    const ds = await openEventDataset(full, options);
    if (run) await run.recordInput(full);
    return ds;
  }
  if (!run) throw new UserError('data.path: expected events to read, got an empty path');
  const dir = run.file('data');
  if (!existsSync(dir)) {
    ctx.log.info(
      `simulating ${config.data.simulate_events} events in ${config.data.simulate_shards} shards (data.path is empty)`,
    );
    writeSimulatedDataset(dir, config.data.simulate_events, config.data.simulate_shards, config.seed, {
      layout: 'flat',
      maxParticles: config.data.max_particles,
      rowGroupSize: 1000,
    });
  }
  return openEventDataset(dir, options);
}

/** The events of a config split into train / validation / test; `simulatedDir`: a trained run's simulated data/ (for evaluate). */
export async function splitOf(
  ctx: TaskContext,
  config: ParticlesConfig,
  run: RunDir | undefined,
  simulatedDir?: string,
): Promise<Split> {
  const train = await eventsOf(ctx, config, config.data.path, run, simulatedDir);
  if (config.data.test_path) {
    const test = await eventsOf(ctx, config, config.data.test_path, run);
    return { train, test, testPart: undefined, fractions: { validation: config.data.validation_fraction, test: 0 } };
  }
  if (config.data.validation_fraction + config.data.test_fraction >= 1) {
    throw new UserError(
      `data.validation_fraction + data.test_fraction: expected less than 1, got ${config.data.validation_fraction + config.data.test_fraction}`,
    );
  }
  return {
    train,
    test: train,
    testPart: 'test',
    fractions: { validation: config.data.validation_fraction, test: config.data.test_fraction },
  };
}
