import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCIML = resolve(fileURLToPath(new URL('../../../bin/sciml.js', import.meta.url)));

/** Why the Redis tests skip (one line naming the Debian package), or undefined when redis-server is here. */
export function redisSkipReason(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? undefined : 'redis-server not found: install the Debian package redis-server (apt-get install redis-server)';
}

export { freePort, startRedis, type RedisServer } from '../../src/execution/redis-server.js';

export { startWorkerProcess, type WorkerProcess } from '../../src/execution/redis-server.js';
