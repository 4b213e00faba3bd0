import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createLogger } from '../../src/runtime/log.js';
import { isUserError } from '../../src/runtime/errors.js';
import { pipelineDag, pipelineGc, pipelineRun, pipelineStatus } from '../../src/pipeline/index.js';

/** A fresh folder holding `pipeline.yaml` with the given text (and any extra files). */
export function project(pipeline: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-pipe-'));
  writeFileSync(join(dir, 'pipeline.yaml'), pipeline);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export interface Result {
  /** 0 ok, 1 a stage failed, 2 a user error (as the CLI would exit). */
  code: number;
  stdout: string;
  stderr: string;
}

/** `sciml pipeline <command> <dir>/pipeline.yaml [flags]`, in this process (a CLI start per call would double the suite's time). */
export async function pipe(dir: string, command: string, ...flags: string[]): Promise<Result> {
  const file = join(dir, 'pipeline.yaml');
  let stderr = '';
  const stream = { isTTY: false, write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WriteStream;
  const json = flags.includes('--json');
  const value = (flag: string) => (flags.includes(flag) ? flags[flags.indexOf(flag) + 1] : undefined);
  try {
    if (command === 'run') {
      const out = await pipelineRun(file, {
        jobs: value('-j') ? Number(value('-j')) : undefined,
        keepGoing: flags.includes('--keep-going'),
        dryRun: flags.includes('--dry-run'),
        runCache: !flags.includes('--no-run-cache'),
        executor: value('--executor'),
        json,
        targets: value('--stages')?.split(','),
        log: createLogger({ stream }),
      });
      return { code: out.failed ? 1 : 0, stdout: out.text, stderr };
    }
    if (command === 'status')
      return { code: 0, stdout: await pipelineStatus(file, json, value('--stages')?.split(',')), stderr };
    if (command === 'dag') return { code: 0, stdout: pipelineDag(file, value('--format') ?? 'mermaid'), stderr };
    if (command === 'gc') return { code: 0, stdout: pipelineGc(file, json), stderr };
    throw new Error(`unknown command ${command}`);
  } catch (err) {
    if (isUserError(err)) return { code: 2, stdout: '', stderr: stderr + `sciml: ${err.message}\n` };
    throw err;
  }
}

export async function pipeJson(dir: string, command: string, ...flags: string[]): Promise<any> {
  const r = await pipe(dir, command, ...flags, '--json');
  if (r.code === 2) throw new Error(`pipeline ${command} exited 2: ${r.stderr}`);
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
    return readFileSync(join(dir, `runs-${name}.count`), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return 0;
  }
}
