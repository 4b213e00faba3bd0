import { UserError } from '../runtime/errors.js';

/** Connection settings from a `redis://` or `rediss://` URL; `redacted` is the only form ever shown. */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** `redis://***@host:port` (or `redis://host:port` without credentials). */
  redacted: string;
}

export function isRedisUrl(spec: string): boolean {
  return /^rediss?:\/\//i.test(spec);
}

/** The user-facing form of any Redis URL, even a malformed one. */
export function redactRedisUrl(spec: string): string {
  try {
    return parseRedisUrl(spec, '', {}).redacted;
  } catch {
    return spec.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Parses a Redis URL. The password comes from the URL or, when the URL has none (or carries the
 * `***` placeholder of a redacted config), from SCIML_REDIS_PASSWORD.
 */
export function parseRedisUrl(spec: string, origin: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  let url: URL;
  const shown = () => spec.replace(/\/\/[^@/]*@/, '//***@');
  try {
    url = new URL(spec);
  } catch {
    throw new UserError(
      `${origin}: '${shown()}' is not a URL; expected redis://[user:password@]host[:port][/db] or rediss://... (TLS)`,
    );
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss')
    throw new UserError(`${origin}: expected a redis:// or rediss:// URL, got '${scheme}://'`);
  if (!url.hostname) throw new UserError(`${origin}: '${shown()}' has no host`);
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0)
    throw new UserError(
      `${origin}: database '${dbText}' in '${shown()}' is not a number; expected redis://host:port/<db>`,
    );
  const redactedPlaceholder = decodeURIComponent(url.username) === '***' && url.password === '';
  let username = redactedPlaceholder ? undefined : url.username ? decodeURIComponent(url.username) : undefined;
  let password = url.password ? decodeURIComponent(url.password) : undefined;
  if (!password && env.SCIML_REDIS_PASSWORD) password = env.SCIML_REDIS_PASSWORD;
  if (redactedPlaceholder && !password) {
    throw new UserError(
      `${origin}: the password of ${scheme}://***@${url.hostname}:${port} was redacted when the run was saved; set SCIML_REDIS_PASSWORD`,
    );
  }
  if (username === '') username = undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const credentials = username || password || redactedPlaceholder ? '***@' : '';
  return {
    host,
    port,
    db,
    username,
    password,
    tls: scheme === 'rediss',
    redacted: `${scheme}://${credentials}${url.hostname}:${port}${db ? `/${db}` : ''}`,
  };
}
