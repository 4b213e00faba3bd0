/**
 * A throwaway redis-server (Debian's package) on 127.0.0.1 at a free port, without persistence:
 * what the Redis tests and bench/scale-out run against.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../runtime/version.js';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePort(port));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** Debian's redis-server on 127.0.0.1 at a free port, without persistence; `password` sets requirepass. */
export async function startRedis(options: { password?: string; port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'sciml-redis-'));
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--protected-mode',
    'no',
  ];
  if (options.password) args.push('--requirepass', options.password);
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', () => {
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A `sciml worker` child process; resolves once it announced itself on stderr. */
export async function startWorkerProcess(
  url: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<WorkerProcess> {
  const cache = mkdtempSync(join(tmpdir(), 'sciml-cache-'));
  const child = spawn(
    process.execPath,
    [join(projectRoot, 'bin', 'sciml.js'), 'worker', url, '--cache', cache, ...args],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true', ...env } },
  );
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((ready, fail) => {
    // Generous: a loaded machine can take tens of seconds to start node; a worker that never announced itself is killed.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`worker did not start within 60 s: ${err}`));
    }, 60_000);
    child.stderr!.on('data', () => {
      if (/sciml worker .* queue/.test(err)) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`worker exited with ${code}: ${err}`));
    });
  });
  return {
    child,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) {
        rmSync(cache, { recursive: true, force: true });
        return child.exitCode;
      }
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(signal);
      const code = await exited;
      rmSync(cache, { recursive: true, force: true });
      return code;
    },
  };
}
