import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { integer, positiveNumber } from './common.js';
import { UserError } from '../runtime/errors.js';

/** 16m, 512k, 1048576 -> bytes. */
function byteSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(value.trim());
  if (!m) throw new UserError(`--max-body: expected a size such as 16m, 512k or 1048576, got ${JSON.stringify(value)}`);
  const unit = (m[2] ?? '').toLowerCase()[0];
  const bytes = Math.floor(
    Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1),
  );
  if (bytes < 1) throw new UserError(`--max-body: expected at least 1 byte, got ${JSON.stringify(value)}`);
  return bytes;
}

export function registerServe(program: Command, globals: GlobalsOf): void {
  program
    .command('serve')
    .description(
      'serve a trained run over HTTP: POST /v1/predict (JSON or Arrow), GET /v1/model, /healthz, /readyz, /metrics',
    )
    .argument('<run>', 'a run directory (automl, knots, denoiser) or its model/ folder')
    .option('--host <addr>', 'address to bind (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port)', integer('--port', 0), 8080)
    .option('--max-body <size>', 'largest request body; larger gets 413', byteSize, 16 * 1024 * 1024)
    .option(
      '--max-batch <rows>',
      'most rows per model call when concurrent requests are merged',
      integer('--max-batch', 1),
      1024,
    )
    .option(
      '--batch-window-ms <ms>',
      'how long a request waits for others to batch with while a worker is idle',
      (v) => (v === '0' ? 0 : positiveNumber('--batch-window-ms')(v)),
      2,
    )
    .option('--timeout <ms>', 'per-request limit; past it the request gets 503', positiveNumber('--timeout'), 30000)
    .option(
      '--workers <n>',
      'inference worker threads (default: one per core, at most 4)',
      integer('--workers', 1),
      Math.max(1, Math.min(4, availableParallelism())),
    )
    .option('--token-file <file>', 'require Authorization: Bearer <the token in this file> on /v1/* and /metrics')
    .option('--cors <origin>', 'allow browser requests from this origin (none by default)')
    .option('--no-access-log', 'no JSON-lines access log on stderr')
    .action(
      async (
        run: string,
        opts: {
          host: string;
          port: number;
          maxBody: number;
          maxBatch: number;
          batchWindowMs: number;
          timeout: number;
          workers: number;
          tokenFile?: string;
          cors?: string;
          accessLog: boolean;
        },
      ) => {
        if (opts.port > 65535) throw new UserError(`--port: expected 0..65535, got ${opts.port}`);
        const { serve } = await import('../serve/index.js');
        await serve({
          path: run,
          host: opts.host,
          port: opts.port,
          maxBody: opts.maxBody,
          maxBatch: opts.maxBatch,
          batchWindowMs: opts.batchWindowMs,
          timeoutMs: opts.timeout,
          workers: opts.workers,
          tokenFile: opts.tokenFile,
          cors: opts.cors,
          backend: globals().backend,
          accessLog: opts.accessLog,
          onReady: (info) => process.stdout.write(JSON.stringify(info) + '\n'),
        });
      },
    );
}
