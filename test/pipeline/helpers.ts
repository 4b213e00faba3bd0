import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { sciml, type CliResult } from '../helpers/cli.js';

/** A fresh folder holding `pipeline.yaml` with the given text (and any extra files). */
export function project(pipeline: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-pipe-'));
  writeFileSync(join(dir, 'pipeline.yaml'), pipeline);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function pipe(dir: string, ...args: string[]): CliResult {
  const [command, ...rest] = args;
  return sciml(['pipeline', command, join(dir, 'pipeline.yaml'), ...rest], { cwd: dir });
}

export function pipeJson(dir: string, ...args: string[]): any {
  const [command, ...rest] = args;
  const r = sciml(['--json', 'pipeline', command, join(dir, 'pipeline.yaml'), ...rest], { cwd: dir });
  if (r.code !== 0 && r.code !== 1) throw new Error(`pipeline ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return { ...JSON.parse(r.stdout), code: r.code, stderr: r.stderr };
}

export function lockOf(dir: string): any {
  return parse(readFileSync(join(dir, 'pipeline.lock'), 'utf8'));
}

export function stateOf(result: { stages: { name: string; state: string }[] }): Record<string, string> {
  return Object.fromEntries(result.stages.map((s) => [s.name, s.state]));
}

/** How many times a stage's command ran: each run appends a line to runs-<name>.count (not an out). */
export function count(dir: string, name: string): number {
  try {
    return readFileSync(join(dir, `runs-${name}.count`), 'utf8').trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
