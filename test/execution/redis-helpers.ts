import { spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCIML = resolve(fileURLToPath(new URL('../../../bin/sciml.js', import.meta.url)));

/** Why the Redis tests skip (one line naming the Debian package), or undefined when redis-server is here. */
export function redisSkipReason(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return found.status === 0
    ? undefined
    : 'redis-server not found: install the Debian package redis-server (apt-get install redis-server)';
}

import {
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from '../../src/execution/redis-server.js';

export {
  freePort,
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from '../../src/execution/redis-server.js';

/**
 * A loopback redis-server with `count` `sciml worker` processes on `queue`, started before the
 * file's tests and stopped (workers SIGKILLed) after them; `cleanup` runs last. Skipped when
 * redis-server is missing.
 */
export function redisWithWorkers(
  queue: string,
  count: number,
  cleanup: () => void,
): { url: () => string; workers: WorkerProcess[] } {
  let redis: RedisServer | undefined;
  const workers: WorkerProcess[] = [];
  before(async () => {
    if (redisSkipReason()) return;
    redis = await startRedis();
    workers.push(
      ...(await Promise.all(
        Array.from({ length: count }, () => startWorkerProcess(`redis://127.0.0.1:${redis!.port}`, ['--queue', queue])),
      )),
    );
  });
  after(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    if (redis) await redis.stop();
    cleanup();
  });
  return { url: () => `redis://127.0.0.1:${redis!.port}`, workers };
}
