import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

/** Project root from dist/test/helpers. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const bin = join(root, 'bin', 'sciml.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a child process (CI=true, so no progress output). */
export function sciml(
  args: string[],
  options: { cwd?: string; input?: string | Buffer; env?: Record<string, string> } = {},
): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? root,
    input: options.input,
    env: { ...process.env, CI: 'true', ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/**
 * Runs many CLI commands in one child process, one after the other (for commands that fail before
 * any real work: a bad path, a bad flag): one start-up instead of one per command. An internal
 * error (a bug) comes back as code 1 with its stack on stderr, as the real binary prints it.
 * `quick`: the lines src/quick.ts answers go there first, as in bin/sciml.js (through dist/quick.cjs, the
 * file the bin loads it from; else all through commander).
 */
export function scimlBatch(
  commands: string[][],
  options: { cwd?: string; env?: Record<string, string>; quick?: boolean } = {},
): CliResult[] {
  const r = spawnSync(
    process.execPath,
    [join(root, 'dist', 'test', 'helpers', 'cli-batch.js'), ...(options.quick ? ['--quick'] : [])],
    {
      cwd: options.cwd ?? root,
      input: JSON.stringify(commands),
      env: { ...process.env, CI: 'true', ...options.env },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (r.status !== 0) throw new Error(`cli-batch failed (${r.status}): ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as CliResult[];
}
