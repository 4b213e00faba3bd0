/**
 * The HTTP surface of `sciml serve` (fastify): routes, body parsers, limits, auth, CORS, the
 * access log and problem+json errors. Everything a client can send ends in a 2xx or a 4xx with a
 * problem body; a 5xx means the server itself failed (a worker crash, a timeout, overload).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { scimlVersion } from '../runtime/version.js';
import type { ModelLocation } from '../runtime/model-dir.js';
import { batchFromArrow, batchFromJson } from './input.js';
import { ARROW_FILE, ARROW_STREAM, encode, negotiate, type OutputFormat } from './output.js';
import { HttpProblem } from './problem.js';
import { InferenceError } from './pool.js';
import type { MicroBatcher } from './batcher.js';
import { PROMETHEUS_TYPE, type ServeMetrics } from './metrics.js';
import type { ServableInfo, ServeBatch } from '../contracts/servable.js';
import type { OutputSpec } from './worker.js';

export interface HttpOptions {
  maxBody: number;
  /** Bearer token required on /v1/* and /metrics (never logged). */
  token?: string;
  cors?: string;
  accessLog: (line: Record<string, unknown>) => void;
}

export interface HttpContext {
  where: ModelLocation;
  info: ServableInfo;
  training: Record<string, unknown> | null;
  outputs: () => OutputSpec[];
  batcher: MicroBatcher;
  metrics: ServeMetrics;
  /** `idle` is called when the last request in flight ends while draining. */
  state: { ready: () => boolean; draining: boolean; inFlight: number; idle?: () => void };
}

const PROBLEM_TYPE = 'application/problem+json';
const OPEN_ROUTES = new Set(['/healthz', '/readyz']);

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time check of `Authorization: Bearer <token>` (hashing first makes the length irrelevant too). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = header ? /^Bearer[ ]+(.+)$/i.exec(header.trim()) : null;
  const given = m ? m[1].trim() : '';
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

function sendProblem(reply: FastifyReply, problem: HttpProblem, instance?: string): FastifyReply {
  for (const [k, v] of Object.entries(problem.headers)) reply.header(k, v);
  return reply
    .code(problem.status)
    .type(PROBLEM_TYPE)
    .send(JSON.stringify(problem.body(instance)));
}

function tooLarge(maxBody: number): HttpProblem {
  return new HttpProblem(
    413,
    'Body too large',
    `the body is over the server's limit of ${maxBody} bytes (--max-body); send fewer rows per request`,
  );
}

function requestFormat(contentType: string | undefined): OutputFormat | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return 'rows';
  if (type === ARROW_STREAM) return 'arrow-stream';
  if (type === ARROW_FILE) return 'arrow-file';
  return undefined;
}

function queryOptions(query: unknown, info: ServableInfo): Record<string, string> {
  const out: Record<string, string> = {};
  const q = (query ?? {}) as Record<string, unknown>;
  for (const [name, raw] of Object.entries(q)) {
    const option = info.options.find((o) => o.name === name);
    if (!option) {
      throw new HttpProblem(
        400,
        'Invalid query',
        `query parameter '${name}': not known for a ${info.task} model; ${info.options.length ? `expected ${info.options.map((o) => o.name).join(', ')}` : 'it takes none'}`,
        [{ field: name, message: 'unknown query parameter' }],
      );
    }
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (typeof value !== 'string' || !option.values.includes(value)) {
      throw new HttpProblem(
        400,
        'Invalid query',
        `query parameter '${name}': expected one of ${option.values.join(', ')}, got ${JSON.stringify(value)}`,
        [{ field: name, message: `expected one of ${option.values.join(', ')}` }],
      );
    }
    out[name] = value;
  }
  return out;
}

export function buildApp(ctx: HttpContext, options: HttpOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: options.maxBody,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const { info, metrics, state } = ctx;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, JSON.parse((body as Buffer).toString('utf8')));
    } catch (err) {
      done(new HttpProblem(400, 'Malformed body', `malformed JSON: ${(err as Error).message}`), undefined);
    }
  });
  app.addContentTypeParser([ARROW_STREAM, ARROW_FILE], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  if (options.cors) {
    const origin = options.cors;
    void app.register(import('@fastify/cors'), {
      origin,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', 'accept'],
      maxAge: 600,
    });
  }

  // Node answers `Expect: 100-continue` by itself unless this event has a listener: a body
  // announced over the limit gets its 413 before the client sends it.
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const length = Number(req.headers['content-length']);
    if (!(length > options.maxBody)) {
      res.writeContinue();
      app.server.emit('request', req, res);
      return;
    }
    res.writeHead(413, { 'content-type': PROBLEM_TYPE, connection: 'close' });
    res.end(JSON.stringify(tooLarge(options.maxBody).body(req.url)));
    metrics.requests.inc({ route: 'unmatched', method: req.method ?? '', status: '413' });
    options.accessLog({
      time: new Date().toISOString(),
      method: req.method,
      path: req.url,
      status: 413,
      bytes_in: 0,
      remote: req.socket.remoteAddress,
      expect: '100-continue',
    });
  });

  app.addHook('onRequest', async (request, reply) => {
    // Counted until the response is sent or its connection drops (an aborted request gets no onResponse).
    state.inFlight++;
    reply.raw.once('close', () => {
      state.inFlight--;
      if (state.draining && state.inFlight === 0) state.idle?.();
    });
    (request as FastifyRequest & { startedAt: number }).startedAt = performance.now();
    // Draining: the port stays open for the probes and in-flight requests; new predictions are refused unread.
    if (state.draining && request.url.split('?')[0] === '/v1/predict') {
      return sendProblem(
        reply,
        new HttpProblem(503, 'Shutting down', 'the server is draining; retry on another instance', [], {
          'retry-after': '1',
        }),
        request.url,
      );
    }
    if (options.token && !OPEN_ROUTES.has(request.url.split('?')[0]) && request.method !== 'OPTIONS') {
      if (!bearerMatches(request.headers.authorization, options.token)) {
        reply.header('www-authenticate', 'Bearer');
        return sendProblem(
          reply,
          new HttpProblem(
            401,
            'Unauthorized',
            request.headers.authorization
              ? 'the bearer token does not match'
              : 'expected an Authorization: Bearer <token> header (the server was started with --token-file)',
          ),
        );
      }
    }
  });

  // While draining, responses close their connection so keep-alive clients cannot hold the server open.
  app.addHook('onSend', async (_request, reply) => {
    if (state.draining) reply.header('connection', 'close');
  });

  app.addHook('onResponse', async (request, reply) => {
    if (state.draining) app.server.closeIdleConnections();
    const seconds = (performance.now() - (request as FastifyRequest & { startedAt: number }).startedAt) / 1000;
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.latency.observe(seconds, { route });
    const rows = (request as FastifyRequest & { rows?: number }).rows;
    options.accessLog({
      time: new Date().toISOString(),
      method: request.method,
      path: request.url,
      status: reply.statusCode,
      ms: Math.round(seconds * 1e5) / 100,
      ...(rows !== undefined ? { rows } : {}),
      bytes_in: Number(request.headers['content-length'] ?? 0),
      remote: request.ip,
    });
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (err instanceof HttpProblem) return sendProblem(reply, err, request.url);
    const status = err.statusCode ?? 500;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413)
      return sendProblem(reply, tooLarge(options.maxBody), request.url);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
      return sendProblem(
        reply,
        new HttpProblem(
          415,
          'Unsupported media type',
          `Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}: expected application/json, ${ARROW_STREAM} or ${ARROW_FILE}`,
        ),
        request.url,
      );
    }
    if (status >= 400 && status < 500)
      return sendProblem(reply, new HttpProblem(status, 'Bad request', err.message), request.url);
    options.accessLog({
      time: new Date().toISOString(),
      event: 'internal_error',
      path: request.url,
      message: err.message,
    });
    return sendProblem(
      reply,
      new HttpProblem(
        500,
        'Internal error',
        'the server failed on this request (a bug: please report it with the server log)',
      ),
      request.url,
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new HttpProblem(
        404,
        'Not found',
        `${request.method} ${request.url.split('?')[0]}: expected POST /v1/predict, GET /v1/model, /healthz, /readyz or /metrics`,
      ),
      request.url,
    ),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (state.draining) return reply.code(503).send({ status: 'draining' });
    if (!state.ready()) return reply.code(503).send({ status: 'loading' });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => reply.type(PROMETHEUS_TYPE).send(metrics.render()));
  app.get('/v1/model', async () => ({
    task: info.task,
    run_id: ctx.where.runId,
    sciml_version: scimlVersion(),
    inputs: info.inputs,
    outputs: ctx.outputs(),
    options: info.options,
    training: ctx.training,
    details: info.details,
    formats: {
      in: ['application/json', ARROW_STREAM, ARROW_FILE],
      out: ['application/json', ARROW_STREAM, ARROW_FILE],
    },
  }));

  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/v1/predict',
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new HttpProblem(405, 'Method not allowed', 'expected POST /v1/predict with a JSON or Arrow body');
    },
  });

  app.post('/v1/predict', async (request, reply) => {
    const format = requestFormat(request.headers['content-type']);
    if (!format)
      throw new HttpProblem(
        415,
        'Unsupported media type',
        `Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}: expected application/json, ${ARROW_STREAM} or ${ARROW_FILE}`,
      );
    if (request.body === undefined || request.body === null)
      throw new HttpProblem(400, 'Malformed body', 'expected a request body');
    let outFormat = negotiate(request.headers.accept, format);
    const opts = queryOptions(request.query, info);
    let batch: ServeBatch;
    if (format === 'rows') {
      const parsed = batchFromJson(request.body, info.inputs);
      batch = parsed.batch;
      if (outFormat === 'rows' && parsed.shape === 'columns') outFormat = 'columns';
    } else {
      batch = batchFromArrow(request.body as Buffer, info.inputs);
    }
    if (!state.ready())
      throw new HttpProblem(503, 'Not ready', 'the model is still loading; retry shortly (GET /readyz says when)', [], {
        'retry-after': '1',
      });
    (request as FastifyRequest & { rows?: number }).rows = batch.rows;
    let predictions;
    try {
      predictions = await ctx.batcher.submit(batch, opts);
    } catch (err) {
      if (err instanceof InferenceError && err.user) throw new HttpProblem(400, 'Invalid input', err.message);
      if (err instanceof InferenceError) {
        options.accessLog({
          time: new Date().toISOString(),
          event: 'inference_error',
          message: err.message.split('\n')[0],
        });
        throw new HttpProblem(
          500,
          'Internal error',
          'the model failed on this batch (a bug: please report it with the server log)',
        );
      }
      throw err;
    }
    metrics.rows.inc({}, batch.rows);
    const out = encode(predictions, outFormat);
    return reply
      .type(out.type)
      .header('x-sciml-rows', String(batch.rows))
      .send(
        typeof out.body === 'string'
          ? out.body
          : Buffer.from(out.body.buffer, out.body.byteOffset, out.body.byteLength),
      );
  });

  return app;
}
