import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRedisUrl, redactRedisUrl, isRedisUrl } from '../../src/execution/redis-url.js';
import { redactSecrets } from '../../src/runtime/redact.js';
import { isUserError } from '../../src/runtime/errors.js';
import { createExecutor } from '../../src/execution/create.js';

test('Redis URLs: password from the URL or SCIML_REDIS_PASSWORD, TLS for rediss, only the redacted form shown', () => {
  const a = parseRedisUrl('redis://alice:s3cr%40t@head:6380/2', 'x', {});
  assert.deepEqual(
    { ...a },
    {
      host: 'head',
      port: 6380,
      db: 2,
      username: 'alice',
      password: 's3cr@t',
      tls: false,
      redacted: 'redis://***@head:6380/2',
    },
  );
  const b = parseRedisUrl('rediss://head', 'x', { SCIML_REDIS_PASSWORD: 'from-env' });
  assert.equal(b.password, 'from-env');
  assert.equal(b.tls, true);
  assert.equal(b.port, 6379);
  assert.equal(b.redacted, 'rediss://***@head:6379');
  assert.equal(parseRedisUrl('redis://head:7000', 'x', {}).redacted, 'redis://head:7000');
  // A redacted URL read back from a run's config.yaml needs the environment variable.
  assert.equal(parseRedisUrl('redis://***@head:7000', 'x', { SCIML_REDIS_PASSWORD: 'pw' }).password, 'pw');
  assert.throws(
    () => parseRedisUrl('redis://***@head:7000', 'cfg.yaml: execution.executor', {}),
    (e: unknown) => isUserError(e) && /redacted .* set SCIML_REDIS_PASSWORD/.test((e as Error).message),
  );
  assert.throws(
    () => parseRedisUrl('redis://:pw@head/notadb', 'o', {}),
    (e: unknown) => isUserError(e) && !(e as Error).message.includes('pw@'),
  );
  assert.equal(redactRedisUrl('redis://u:hunter2@h:1'), 'redis://***@h:1');
  assert.ok(isRedisUrl('REDISS://h') && !isRedisUrl('local'));
});

test('secrets in URLs are redacted from any text (config.yaml, run.json command lines)', () => {
  assert.equal(
    redactSecrets('executor: redis://:pw@h:1\nurl: rediss://u:p@h'),
    'executor: redis://***@h:1\nurl: rediss://***@h',
  );
  assert.equal(redactSecrets('redis://h:1 and https://example.org/x@y'), 'redis://h:1 and https://example.org/x@y');
});

test('createExecutor: an unknown spec is a UserError that does not echo a password', async () => {
  await assert.rejects(
    createExecutor({ spec: 'amqp://u:pw@h', origin: '--executor' }),
    (e: unknown) =>
      isUserError(e) &&
      /expected 'local', redis:\/\//.test((e as Error).message) &&
      !(e as Error).message.includes('pw'),
  );
});
