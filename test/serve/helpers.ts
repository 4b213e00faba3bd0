import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, sciml } from '../helpers/cli.js';
import { syntheticCsv } from '../automl/helpers.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sciml-serve-${prefix}-`));
}

export interface Server {
  url: string;
  proc: ChildProcess;
  stderr(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `sciml serve` on a free port and waits for its ready line on stdout. */
export function startServer(run: string, args: string[] = []): Promise<Server> {
  const proc = spawn(process.execPath, [bin, 'serve', run, '--port', '0', ...args], {
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  proc.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not become ready in 60 s; stderr:\n${err}`)), 60_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        const { url } = JSON.parse(line) as { url: string };
        resolve({
          url,
          proc,
          stderr: () => err,
          stop: (signal = 'SIGTERM') => {
            if (proc.exitCode === null) proc.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready; stderr:\n${err}`));
    });
  });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A raw HTTP request whose body the caller writes (or not): for `Expect: 100-continue` and slow uploads. */
export function openRequest(
  url: string,
  headers: Record<string, string | number>,
): { req: ClientRequest; continued: () => boolean; response: Promise<{ status: number; body: string }> } {
  const req = httpRequest(url, { method: 'POST', headers });
  let continued = false;
  req.on('continue', () => (continued = true));
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
  req.flushHeaders();
  return { req, continued: () => continued, response };
}

/** A tiny automl run (gbm + ridge, 3 trials) on a synthetic table with a date, a category and numbers. */
export function trainAutoml(dir: string): { run: string; csv: string } {
  const csv = join(dir, 'data.csv');
  writeFileSync(csv, syntheticCsv(300, 1));
  const config = join(dir, 'automl.yaml');
  writeFileSync(
    config,
    [
      'task: automl',
      'seed: 7',
      'data:',
      `  path: ${csv}`,
      '  target: y',
      'search:',
      '  time_limit_s: 60',
      '  max_trials: 3',
      '  workers: 1',
      '  learners: [gbm, ridge]',
      'ensemble:',
      '  candidates: 3',
      '',
    ].join('\n'),
  );
  const run = join(dir, 'run-automl');
  const r = sciml(['train', config, '--out', run]);
  if (r.code !== 0) throw new Error(`automl training failed: ${r.stderr}`);
  return { run, csv };
}

/** A tiny knots run: 2,000 synthetic knots, a small network, a few epochs, no top-k retraining. */
export function trainKnots(dir: string): { run: string; data: string } {
  const data = join(dir, 'knots.arrow');
  const gen = sciml(['data', 'generate', 'knots', '-n', '2000', '--seed', '8', '-o', data]);
  if (gen.code !== 0) throw new Error(`knots generation failed: ${gen.stderr}`);
  const config = join(dir, 'knots.yaml');
  writeFileSync(
    config,
    [
      'task: knots',
      'seed: 3',
      'data:',
      `  path: ${data}`,
      'model:',
      '  width: 16',
      '  depth: 2',
      'training:',
      '  batch_size: 256',
      '  max_epochs: 8',
      '  patience: 8',
      'salience:',
      '  steps: 8',
      '  examples: 50',
      '  top_k: 0',
      '',
    ].join('\n'),
  );
  const run = join(dir, 'run-knots');
  const r = sciml(['train', config, '--out', run]);
  if (r.code !== 0) throw new Error(`knots training failed: ${r.stderr}`);
  return { run, data };
}

/** A tiny denoiser run: 64-sample traces, a 2-block autoencoder, 2 epochs. */
export function trainDenoiser(dir: string): { run: string } {
  const config = join(dir, 'denoiser.yaml');
  writeFileSync(
    config,
    [
      'task: denoiser',
      'seed: 3',
      'data:',
      '  simulation:',
      '    noise: uniform',
      '    length: 64',
      '  train_count: 256',
      '  test_count: 32',
      'model:',
      '  filters: [4, 4]',
      '  kernel_size: 5',
      'training:',
      '  epochs: 2',
      '  batch_size: 32',
      '  patience: 0',
      '  checkpoint: false',
      '',
    ].join('\n'),
  );
  const run = join(dir, 'run-denoiser');
  const r = sciml(['train', config, '--out', run]);
  if (r.code !== 0) throw new Error(`denoiser training failed: ${r.stderr}`);
  return { run };
}

/** Parses Prometheus text exposition strictly enough to catch format errors; returns samples by name+labels. */
export function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new Error('exposition must end with a newline');
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$/;
  for (const line of lines.slice(0, -1)) {
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type))
        throw new Error(`bad TYPE line: ${line}`);
      if (types.has(name)) throw new Error(`TYPE given twice for ${name}`);
      types.set(name, type);
      continue;
    }
    const m = sample.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const base = m[1].replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]) && !(types.get(base) === 'histogram'))
      throw new Error(`sample ${m[1]} has no TYPE line before it`);
    samples.set(m[1] + (m[2] ?? ''), Number(m[3] === '+Inf' ? Infinity : m[3]));
  }
  return samples;
}
