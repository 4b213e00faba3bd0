/**
 * `--token-file` for the dashboard, as Jupyter does it: the URL printed at start carries
 * `?token=...`; the server answers it with an HttpOnly cookie and a redirect to the same page
 * without the token. API calls may instead send `Authorization: Bearer <token>`. Anything else: 401.
 * The cookie holds a digest of the token, not the token, and its name depends on the token, so two
 * dashboards on one host (cookies ignore ports) do not log each other out.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerMatches } from '../serve/http.js';

export interface TokenGate {
  cookieName: string;
  /** 'ok' lets the request through; 'answered' means a redirect (dropping `?token=`, cookie set) or a 401 was sent. */
  check(request: FastifyRequest, reply: FastifyReply): 'ok' | 'answered';
}

function sessionValue(token: string): string {
  return createHash('sha256').update(`sciml-ui:${token}`, 'utf8').digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length > 0;
}

function cookieOf(header: string | undefined, name: string): string {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return '';
}

function withoutToken(url: string): string {
  const [path, query = ''] = url.split('?', 2);
  const kept = new URLSearchParams(query);
  kept.delete('token');
  const rest = kept.toString();
  return rest ? `${path}?${rest}` : path;
}

export function tokenGate(token: string): TokenGate {
  const session = sessionValue(token);
  const cookieName = `sciml_ui_${session.slice(0, 8)}`;
  return {
    cookieName,
    check(request, reply) {
      const query = (request.query ?? {}) as Record<string, unknown>;
      if (typeof query.token === 'string') {
        if (!sameText(query.token, token)) {
          reply.code(401).type('text/plain').send('401: wrong token (open the URL that `sciml ui` printed)\n');
          return 'answered';
        }
        reply.header('set-cookie', `${cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`);
        if (request.method === 'GET' && !request.url.startsWith('/api/')) {
          reply.code(302).header('location', withoutToken(request.url)).send();
          return 'answered';
        }
        return 'ok';
      }
      if (request.headers.authorization) {
        if (bearerMatches(request.headers.authorization, token)) return 'ok';
      } else if (sameText(cookieOf(request.headers.cookie, cookieName), session)) return 'ok';
      reply
        .code(401)
        .type('text/plain')
        .send(
          '401: this dashboard needs its token: open the URL that `sciml ui` printed (…?token=…), or send Authorization: Bearer <token>\n',
        );
      return 'answered';
    },
  };
}
