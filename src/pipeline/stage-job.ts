/**
 * Job kind `stage`: runs one pipeline stage's command in `sh` and returns its exit status, with
 * the combined stdout/stderr as the `log` artifact. A command naming `sciml` runs this same sciml
 * (this node and this package's bin/sciml.js), never a PATH lookup.
 *
 * Locally the command runs in the stage's folder on the driver's disk. Shipped (a remote worker,
 * no shared file system): the deps arrive as inputs and are unpacked into a private copy of the
 * folder tree, the command runs there, and the outs go back as the `outs` artifact, so a stage
 * sees exactly its declared deps, as DVC's contract says.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobHandler } from '../execution/job.js';
import { packPaths, unpackInto } from '../execution/files.js';

export interface StagePayload {
  stage: string;
  cmd: string;
  cwd: string;
  /** Deps and outs relative to cwd. */
  deps: string[];
  outs: string[];
  /** Set when the stage runs away from the driver's files: paths relative to a common base folder. */
  shipped?: ShippedLayout;
}

export interface ShippedLayout {
  /** The stage's folder, relative to the base. */
  cwd: string;
  /** Each dep (params files included), relative to the base; input `dep:<path>` holds its files. */
  deps: string[];
  /** Outs relative to the base, packed back as the `outs` artifact. */
  outs: string[];
}

export interface StageResult {
  code: number | null;
  signal: string | null;
}

/** Most of a stage's output kept for its log (the tail when it says more). */
const LOG_LIMIT = 4 * 1024 * 1024;
/** After SIGTERM, how long a stage's processes get before SIGKILL. */
const KILL_GRACE_MS = 5000;

export const SCIML_BIN = fileURLToPath(new URL('../../../bin/sciml.js', import.meta.url));

/** The shell script: a `sciml` function first, so every `sciml` in the command (after `&&` or `|` too) is this one. */
export function stageScript(cmd: string): string {
  return `sciml() { "$SCIML_NODE" "$SCIML_BIN" "$@"; }\n${cmd}\n`;
}

/** Input name of a shipped dep. */
export const depInput = (path: string) => `dep:${path}`;

// Shipped stages run in process groups of their own (so an abort reaches the whole command, not
// only `sh`); these are killed when the worker process exits.
const groups = new Set<number>();
let exitHookSet = false;
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
function trackGroup(child: ChildProcess): void {
  if (!child.pid) return;
  groups.add(child.pid);
  if (!exitHookSet) {
    exitHookSet = true;
    process.on('exit', () => {
      for (const pid of groups) killGroup(pid, 'SIGKILL');
    });
  }
}

export const stageHandler: JobHandler<StagePayload, StageResult> = (payload, inputs, ctx) =>
  new Promise((resolve, reject) => {
    const shipped = payload.shipped;
    let cwd = payload.cwd;
    let work: string | undefined;
    if (shipped) {
      work = join(ctx.scratchDir, 'work');
      for (const dep of shipped.deps) {
        const blob = inputs[depInput(dep)];
        if (!blob) return reject(new Error(`stage ${payload.stage}: dep ${dep} did not arrive`));
        unpackInto(blob, work);
      }
      cwd = join(work, shipped.cwd);
      mkdirSync(cwd, { recursive: true });
    }
    const child = spawn('/bin/sh', ['-c', stageScript(payload.cmd)], {
      cwd,
      env: { ...process.env, SCIML_NODE: process.execPath, SCIML_BIN, SCIML_STAGE: payload.stage },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Locally the stage stays in the driver's group, so Ctrl-C in the terminal reaches it too.
      detached: Boolean(shipped),
    });
    if (shipped) trackGroup(child);
    const chunks: Buffer[] = [];
    let kept = 0;
    const keep = (chunk: Buffer) => {
      chunks.push(chunk);
      kept += chunk.length;
      while (kept > LOG_LIMIT && chunks.length > 1) kept -= chunks.shift()!.length;
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let hard: NodeJS.Timeout | undefined;
    const abort = () => {
      if (!shipped || !child.pid) {
        child.kill('SIGTERM');
        return;
      }
      killGroup(child.pid, 'SIGTERM');
      hard = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS);
      hard.unref();
    };
    if (ctx.signal.aborted) abort();
    else ctx.signal.addEventListener('abort', abort);
    const done = () => {
      ctx.signal.removeEventListener('abort', abort);
      if (child.pid) groups.delete(child.pid);
    };
    child.on('error', (err) => {
      done();
      reject(new Error(`cannot start /bin/sh for stage ${payload.stage}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      done();
      // What the command left in the background dies with it, as it would at the end of a CI job.
      if (shipped && child.pid) killGroup(child.pid, 'SIGKILL');
      if (hard) clearTimeout(hard);
      const artifacts: Record<string, Uint8Array> = { log: new Uint8Array(Buffer.concat(chunks)) };
      if (shipped && work && code === 0) artifacts.outs = packPaths(work, shipped.outs);
      resolve({ result: { code, signal }, artifacts });
    });
  });
