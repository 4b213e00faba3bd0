import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EpochReport, TaskContext, TaskTrial, TrialOutcome } from '../../src/contracts/task.js';
import { RunDir } from '../../src/runtime/rundir.js';
import { createLogger } from '../../src/runtime/log.js';

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `sciml-trial-${label}-`));
}

export function contextIn(dir: string, seed: number, configFile?: string): TaskContext {
  return { run: RunDir.open(dir), log: createLogger({ quiet: true }), seed, workers: 1, configFile };
}

/** Runs a trial to each budget in turn on one checkpoint folder; returns the outcomes and every onEpoch report. */
export async function runInSteps<C>(
  trial: TaskTrial<C>,
  config: C,
  dir: string,
  budgets: number[],
  seed: number,
  configFile?: string,
): Promise<{ outcomes: TrialOutcome[]; reports: EpochReport[] }> {
  const reports: EpochReport[] = [];
  const outcomes: TrialOutcome[] = [];
  for (const budget of budgets) {
    outcomes.push(
      await trial.run(contextIn(dir, seed, configFile), config, {
        budget,
        checkpointDir: join(dir, 'checkpoint'),
        onEpoch: (r) => reports.push(r),
      }),
    );
  }
  return { outcomes, reports };
}

export function bytesOf(path: string): Buffer {
  return readFileSync(path);
}
