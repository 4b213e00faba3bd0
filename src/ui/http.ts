/**
 * The dashboard's HTTP surface (fastify), read-only: the page and its scripts, Vega and Vega-Lite
 * from the installed packages, JSON views of the run index, one run, its curves, a comparison
 * (compare/diff.ts, what `sciml diff` prints), a tune's journal and the pipelines, and raw files of
 * the runs. Every path a client names goes through RunsRoot.resolve: outside --dir is a 404.
 */
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { diffRuns } from '../compare/diff.js';
import { readRun } from '../compare/read.js';
import { THEME } from '../report/theme.js';
import { redactSecrets } from '../runtime/redact.js';
import { projectRoot, scimlVersion } from '../runtime/version.js';
import { tokenGate } from './auth.js';
import { readCurves, readRoundsFiles } from './curves.js';
import { RunsRoot } from './paths.js';
import { readPipelines } from './pipelines.js';
import { RunIndex } from './run-index.js';
import { distributedView } from './distributed.js';
import { readTuneJournal } from './tune.js';

export interface UiOptions {
  dir: string;
  host: string;
  token?: string;
}

const WEB = join(projectRoot, 'src', 'ui', 'web');
const VENDOR: Record<string, string> = {
  'vega.js': join(dirname(fileURLToPath(import.meta.resolve('vega'))), 'vega.min.js'),
  'vega-lite.js': join(dirname(fileURLToPath(import.meta.resolve('vega-lite'))), 'vega-lite.min.js'),
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.yml': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.lock': 'text/plain; charset=utf-8',
  '.csv': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
const APP_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; frame-ancestors 'none'";
/** Run files are shown, never run: no scripts, even in a report someone edited by hand. */
const FILE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'";
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/plain').send('404: not found\n');
}

function stringParam(request: FastifyRequest, name: string): string | undefined {
  const v = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string'
    ? v
    : Array.isArray(v) && typeof v[v.length - 1] === 'string'
      ? (v[v.length - 1] as string)
      : undefined;
}

function listParam(request: FastifyRequest, name: string): string[] {
  const v = (request.query as Record<string, unknown> | undefined)?.[name];
  const items = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return items.flatMap((s) => String(s).split(',')).filter(Boolean);
}

/** Answers 304 when the client already has this version. */
function fresh(request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  reply.header('etag', etag).header('cache-control', 'no-cache');
  return request.headers['if-none-match'] === etag;
}

function readText(file: string | undefined, limit = 1 << 20): string | null {
  if (!file) return null;
  try {
    const st = statSync(file);
    if (!st.isFile()) return null;
    const text = readFileSync(file, 'utf8');
    return text.length > limit ? text.slice(0, limit) + '\n… (cut)\n' : text;
  } catch {
    return null;
  }
}

function filesOf(abs: string): { name: string; size: number | null }[] {
  try {
    return readdirSync(abs, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isDirectory()))
      .map((e) => ({
        name: e.isDirectory() ? `${e.name}/` : e.name,
        size: e.isFile() ? statSync(join(abs, e.name)).size : null,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
}

export function buildUiApp(options: UiOptions): { app: FastifyInstance; root: RunsRoot; index: RunIndex } {
  const root = new RunsRoot(options.dir);
  const index = new RunIndex(root.real);
  const app = Fastify({ logger: false, routerOptions: { maxParamLength: 4096 } });
  const gate = options.token ? tokenGate(options.token) : undefined;
  const loopback = LOOPBACK_NAMES.has(options.host) || options.host === '::1';
  const webFiles = new Set(readdirSync(WEB));

  app.addHook('onRequest', async (request, reply) => {
    // Bound to loopback without --host, a page from another site must not reach us by DNS rebinding.
    const hostName = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (loopback && !LOOPBACK_NAMES.has(hostName))
      return reply.code(403).type('text/plain').send('403: Host header is not a loopback name\n');
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return reply.code(405).header('allow', 'GET, HEAD').type('text/plain').send('405: the dashboard is read-only\n');
    if (gate && gate.check(request, reply) === 'answered') return reply;
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (!reply.getHeader('content-security-policy')) reply.header('content-security-policy', APP_CSP);
  });

  app.get('/', async (_request, reply) => reply.type(TYPES['.html']).send(readFileSync(join(WEB, 'index.html'))));
  app.get('/app/:file', async (request, reply) => {
    const file = (request.params as { file: string }).file;
    if (!webFiles.has(file)) return notFound(reply);
    return reply.type(TYPES[extname(file)] ?? 'application/octet-stream').send(readFileSync(join(WEB, file)));
  });
  app.get('/vendor/:file', async (request, reply) => {
    const file = VENDOR[(request.params as { file: string }).file];
    if (!file) return notFound(reply);
    reply.header('cache-control', 'max-age=86400');
    return reply.type(TYPES['.js']).send(createReadStream(file));
  });

  app.get('/api/theme', async () => THEME);
  app.get('/api/runs', async (request, reply) => {
    const runs = index.list();
    if (fresh(request, reply, `"runs-${index.version}-${index.locks.size}"`)) return reply.code(304).send();
    return { root: options.dir, sciml_version: scimlVersion(), runs, pipelines: [...index.locks].length };
  });

  app.get('/api/run', async (request, reply) => {
    const path = stringParam(request, 'path') ?? '';
    const abs = root.resolve(path);
    const summary = index.get(path);
    if (!abs || !summary) return notFound(reply);
    // Written redacted already (RunDir, the session); redacted again in case another tool wrote them.
    const runJsonText = readText(root.resolve(`${path}/run.json`));
    let runJson: unknown = null;
    try {
      runJson = runJsonText ? JSON.parse(redactSecrets(runJsonText)) : null;
    } catch {
      runJson = null;
    }
    const configName = ['config.yaml', 'tune.yaml'].find((f) => root.resolve(`${path}/${f}`));
    const charts = filesOf(join(abs, 'charts'))
      .map((f) => f.name)
      .filter((n) => n.endsWith('.vl.json'))
      .map((n) => n.slice(0, -'.vl.json'.length));
    return {
      summary,
      run_json: runJson,
      config: configName
        ? { name: configName, text: redactSecrets(readText(root.resolve(`${path}/${configName}`)) ?? '') }
        : null,
      report: root.resolve(`${path}/report.html`) ? 'report.html' : null,
      charts,
      files: filesOf(abs),
      children: index.list().filter((r) => r.parent === path),
    };
  });

  app.get('/api/curves', async (request, reply) => {
    const path = stringParam(request, 'path') ?? '';
    if (!root.resolve(path) || !index.get(path)) return notFound(reply);
    const curves = readCurves(root, path);
    if (fresh(request, reply, `"curves-${curves.stamp}"`)) return reply.code(304).send();
    return curves;
  });

  app.get('/api/rounds', async (request, reply) => {
    const path = stringParam(request, 'path') ?? '';
    if (!root.resolve(path) || !index.get(path)) return notFound(reply);
    const rounds = readRoundsFiles(root, path);
    if (fresh(request, reply, `"rounds-${rounds.stamp}"`)) return reply.code(304).send();
    return { trainings: rounds.files.map(distributedView) };
  });

  app.get('/api/diff', async (request, reply) => {
    const paths = listParam(request, 'runs');
    if (paths.length < 2) return reply.code(400).send({ error: 'compare needs two or more runs: ?runs=A,B[,C...]' });
    const records = [];
    for (const p of paths) {
      const abs = root.resolve(p);
      if (!abs || !index.get(p)) return notFound(reply);
      try {
        records.push(readRun(abs, p));
      } catch {
        return notFound(reply);
      }
    }
    const base = records[0];
    // The same computation as `sciml diff A B --json`, with paths relative to --dir.
    const diffs = records.slice(1).map((other) => ({ ...diffRuns(base, other), a: base.name, b: other.name }));
    return { runs: records.map((r) => ({ path: r.name, task: r.task, status: r.status })), diffs };
  });

  app.get('/api/tune', async (request, reply) => {
    const path = stringParam(request, 'path') ?? '';
    const journal = root.resolve(`${path}/trials.jsonl`);
    if (!journal || !index.get(path)) return notFound(reply);
    const tune = readTuneJournal(journal, root.resolve(`${path}/tune.yaml`));
    if (fresh(request, reply, `"tune-${tune.stamp}"`)) return reply.code(304).send();
    return tune;
  });

  app.get('/api/pipelines', async (request, reply) => {
    index.refresh();
    const pipelines = readPipelines(root, [...index.locks], index.list());
    if (fresh(request, reply, `"pipelines-${pipelines.stamp}"`)) return reply.code(304).send();
    return pipelines;
  });

  app.get('/files/*', async (request, reply) => {
    const rel = (request.params as { '*': string })['*'];
    const abs = root.resolve(rel);
    if (!abs) return notFound(reply);
    let size: number;
    try {
      const st = statSync(abs);
      if (!st.isFile()) return notFound(reply);
      size = st.size;
    } catch {
      return notFound(reply);
    }
    const type = TYPES[extname(abs).toLowerCase()] ?? 'application/octet-stream';
    reply.header('content-security-policy', FILE_CSP).header('content-length', size);
    if (type === 'application/octet-stream') reply.header('content-disposition', 'attachment');
    return reply.type(type).send(createReadStream(abs));
  });

  app.setNotFoundHandler((_request, reply) => notFound(reply));
  app.setErrorHandler((err: { statusCode?: number; message?: string }, _request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    reply
      .code(status)
      .type('text/plain')
      .send(`${status}: ${status === 500 ? 'internal error' : err.message}\n`);
  });
  return { app, root, index };
}
