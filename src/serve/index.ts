/**
 * `sciml serve <run>`: an HTTP prediction service for a trained run. Loads the run's servable
 * adapter (servable.ts), starts inference workers (pool.ts) behind a micro-batcher (batcher.ts),
 * serves the fastify app (http.ts) on 127.0.0.1 unless told otherwise, and drains on
 * SIGTERM/SIGINT: no new connections, in-flight requests finish, then exit 0.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userPathError } from '../runtime/user-paths.js';
import { UserError } from '../runtime/errors.js';
import { locateModel } from '../runtime/model-dir.js';
import { MicroBatcher } from './batcher.js';
import { buildApp, type HttpContext } from './http.js';
import { ServeMetrics } from './metrics.js';
import { InferencePool } from './pool.js';
import { trainingMetrics } from './servable.js';
import type { InputField, ServableInfo, ServeBatch, ServeColumn } from '../contracts/servable.js';
import { MODEL_MARKERS, SERVABLES } from '../registry.js';

export interface ServeOptions {
  path: string;
  host: string;
  port: number;
  maxBody: number;
  maxBatch: number;
  batchWindowMs: number;
  timeoutMs: number;
  workers: number;
  tokenFile?: string;
  cors?: string;
  backend: string;
  accessLog: boolean;
  /** Called once the model is loaded and the port is open (the CLI prints it on stdout). */
  onReady?: (info: { url: string; task: string; run_id: string }) => void;
}

export function readToken(file: string): string {
  if (!existsSync(file)) throw new UserError(`--token-file ${file}: no such file`);
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw userPathError('--token-file', file, err, 'read it');
  }
  if (!token) throw new UserError(`--token-file ${file}: expected a token, got an empty file`);
  if (/\s/.test(token)) throw new UserError(`--token-file ${file}: expected one token without spaces or line breaks`);
  return token;
}

/** One row every model accepts: missing values where allowed, else zeros or the first category. */
function warmupBatch(inputs: InputField[]): ServeBatch {
  const columns = inputs.map((f): ServeColumn => {
    if (f.type === 'trace')
      return { name: f.name, kind: 'trace', length: f.length!, values: new Float32Array(f.length!) };
    if (f.type === 'sequence')
      return {
        name: f.name,
        kind: 'trace',
        length: f.length! * f.items!,
        values: new Float32Array(f.length! * f.items!),
      };
    if (f.type === 'number') return { name: f.name, kind: 'number', values: Float64Array.of(f.nullable ? NaN : 0) };
    return { name: f.name, kind: 'string', values: [f.nullable ? null : (f.categories?.[0] ?? null)] };
  });
  return { rows: 1, columns };
}

async function describeRun(path: string): Promise<{ where: ReturnType<typeof locateModel>; info: ServableInfo }> {
  const where = locateModel(path, MODEL_MARKERS);
  const load = SERVABLES[where.task];
  if (!load)
    throw new UserError(
      `${path}: a ${where.task} run; sciml serve has adapters for ${Object.keys(SERVABLES).join(', ')}`,
    );
  const adapter = await load();
  try {
    return { where, info: adapter.describe(where) };
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      `${where.modelDir}: cannot read the ${where.task} model (${(err as Error).message}); is the run complete?`,
    );
  }
}

function jsonLine(line: Record<string, unknown>): void {
  process.stderr.write(JSON.stringify(line) + '\n');
}

/** Serves until SIGTERM/SIGINT, then drains and resolves. */
export async function serve(options: ServeOptions): Promise<void> {
  const token = options.tokenFile ? readToken(options.tokenFile) : undefined;
  const { where, info } = await describeRun(options.path);
  const log = options.accessLog ? jsonLine : () => {};
  const state: HttpContext['state'] = { ready: () => pool.isReady, draining: false, inFlight: 0 };
  let batcher: MicroBatcher | undefined;
  const pool = new InferencePool({
    size: options.workers,
    init: { where, backend: options.backend, tensorflow: info.tensorflow, warmup: warmupBatch(info.inputs) },
    watchdogMs: 2 * options.timeoutMs + 5000,
    onIdle: () => batcher?.flushNow(),
    onEvent: (event) => jsonLine({ time: new Date().toISOString(), ...event }),
  });
  const metrics = new ServeMetrics({
    queuedRows: () => batcher?.queuedRows ?? 0,
    inFlight: () => state.inFlight,
    ready: () => pool.isReady && !state.draining,
  });
  batcher = new MicroBatcher(pool, {
    maxBatch: options.maxBatch,
    windowMs: options.batchWindowMs,
    timeoutMs: options.timeoutMs,
    maxQueueRows: Math.max(64 * options.maxBatch, 65536),
    onBatch: ({ rows, requests, seconds }) => {
      metrics.batchRows.observe(rows);
      metrics.batchRequests.observe(requests);
      metrics.inference.observe(seconds);
    },
  });
  const app = buildApp(
    { where, info, training: trainingMetrics(where), outputs: () => pool.outputs, batcher, metrics, state },
    { maxBody: options.maxBody, token, cors: options.cors, accessLog: log },
  );

  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = (signal: string) => {
    if (state.draining) return;
    state.draining = true;
    jsonLine({ time: new Date().toISOString(), event: 'draining', signal, in_flight: state.inFlight });
    const hardStop = setTimeout(() => {
      jsonLine({ time: new Date().toISOString(), event: 'drain_timeout' });
      process.exit(0);
    }, options.timeoutMs + 5000);
    hardStop.unref();
    batcher!.drain();
    // The port stays open (/readyz answers 503, new predictions 503) until the requests in flight end.
    let closing = false;
    const close = () => {
      if (closing) return;
      closing = true;
      app
        .close()
        .then(() => pool.close())
        .then(() => {
          clearTimeout(hardStop);
          jsonLine({ time: new Date().toISOString(), event: 'stopped' });
          stop();
        });
    };
    state.idle = close;
    if (state.inFlight === 0) close();
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await pool.close();
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    throw new UserError(
      `--host ${options.host} --port ${options.port}: cannot listen (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  jsonLine({
    time: new Date().toISOString(),
    event: 'listening',
    url,
    task: info.task,
    run_id: where.runId,
    workers: options.workers,
  });
  try {
    await Promise.race([pool.ready(), stopped]);
  } catch (err) {
    await app.close();
    await pool.close();
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    throw err instanceof Error && 'user' in err
      ? new UserError(`${where.modelDir}: the model did not load: ${err.message}`)
      : err;
  }
  if (!state.draining) {
    jsonLine({ time: new Date().toISOString(), event: 'ready', outputs: pool.outputs.map((o) => o.name) });
    options.onReady?.({ url, task: info.task, run_id: where.runId });
  }
  await stopped;
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
}
