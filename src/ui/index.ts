/**
 * `sciml ui`: a local, read-only dashboard of the run directories under `--dir` (runs, a run's
 * report and live curves, comparisons, tunes, pipelines), on 127.0.0.1 unless `--host` says
 * otherwise, behind a token with `--token-file`. Runs until SIGINT/SIGTERM.
 */
import { existsSync, statSync } from 'node:fs';
import { UserError } from '../runtime/errors.js';
import { readToken } from '../serve/index.js';
import { buildUiApp } from './http.js';

export interface UiRequest {
  dir: string;
  host: string;
  port: number;
  tokenFile?: string;
  /** Called with the URL to open (carrying ?token= when there is one). */
  onReady: (url: string) => void;
}

export async function startUi(req: UiRequest): Promise<void> {
  if (!existsSync(req.dir) || !statSync(req.dir).isDirectory())
    throw new UserError(`--dir ${req.dir}: no such folder of runs`);
  const token = req.tokenFile ? readToken(req.tokenFile) : undefined;
  const { app } = buildUiApp({ dir: req.dir, host: req.host, token });
  try {
    await app.listen({ host: req.host, port: req.port });
  } catch (err) {
    throw new UserError(
      `--host ${req.host} --port ${req.port}: cannot listen (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : req.port;
  const host = req.host.includes(':') ? `[${req.host}]` : req.host;
  req.onReady(`http://${host}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      app.close().then(() => done());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
