/**
 * Job kind `stage`: runs one pipeline stage's command in `sh` in the stage's folder and returns
 * its exit status, with the combined stdout/stderr as the `log` artifact. A command naming
 * `sciml` runs this same sciml (this node and this package's bin/sciml.js), never a PATH lookup.
 *
 * Local-only as written: the command reads deps and writes outs on the disk at `cwd`, so a remote
 * worker needs the same files at the same path (a shared file system), as DVC's stages do.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JobHandler } from '../execution/job.js';

export interface StagePayload {
  stage: string;
  cmd: string;
  cwd: string;
  /** Deps and outs relative to cwd: what a shipping executor would send and bring back. */
  deps: string[];
  outs: string[];
}

export interface StageResult {
  code: number | null;
  signal: string | null;
}

/** Most of a stage's output kept for its log (the tail when it says more). */
const LOG_LIMIT = 4 * 1024 * 1024;

export const SCIML_BIN = fileURLToPath(new URL('../../../bin/sciml.js', import.meta.url));

/** The shell script: a `sciml` function first, so every `sciml` in the command (after `&&` or `|` too) is this one. */
export function stageScript(cmd: string): string {
  return `sciml() { "$SCIML_NODE" "$SCIML_BIN" "$@"; }\n${cmd}\n`;
}

export const stageHandler: JobHandler<StagePayload, StageResult> = (payload, _inputs, ctx) =>
  new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', stageScript(payload.cmd)], {
      cwd: payload.cwd,
      env: { ...process.env, SCIML_NODE: process.execPath, SCIML_BIN, SCIML_STAGE: payload.stage },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let kept = 0;
    const keep = (chunk: Buffer) => {
      chunks.push(chunk);
      kept += chunk.length;
      while (kept > LOG_LIMIT && chunks.length > 1) kept -= chunks.shift()!.length;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const abort = () => child.kill('SIGTERM');
    ctx.signal.addEventListener('abort', abort);
    child.on('error', (err) => {
      ctx.signal.removeEventListener('abort', abort);
      reject(new Error(`cannot start /bin/sh for stage ${payload.stage}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      ctx.signal.removeEventListener('abort', abort);
      resolve({ result: { code, signal }, artifacts: { log: new Uint8Array(Buffer.concat(chunks)) } });
    });
  });
