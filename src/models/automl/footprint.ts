/**
 * What deploying a saved automl model costs: its bytes on disk, and the peak resident memory of
 * predicting a table with it, measured in a child process doing what `sciml predict` does
 * (load model/, read the table, predict every row), so the figure is the process's own peak RSS
 * and not this training process's.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bytesUnder } from '../../runtime/disk.js';

export interface ModelFootprint {
  model_bytes: number;
  /** Peak RSS of a process predicting `predict_rows` rows (null: not measured, see `predict_note`). */
  predict_peak_rss_bytes: number | null;
  predict_rows: number | null;
  predict_note?: string;
}

const CHILD = fileURLToPath(new URL('./footprint-child.js', import.meta.url));

/** Peak RSS (bytes) of a child predicting `input` with `modelDir`; null when it fails or exceeds `timeoutMs`. */
export function measurePredictPeak(
  modelDir: string,
  input: string,
  timeoutMs: number,
): Promise<{ bytes: number; rows: number } | { error: string }> {
  return new Promise((resolve) => {
    const child = fork(CHILD, [modelDir, input], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    let answer: { bytes: number; rows: number } | undefined;
    child.on('message', (m) => (answer = m as { bytes: number; rows: number }));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer) resolve(answer);
      else
        resolve({
          error:
            signal === 'SIGKILL'
              ? `not measured: predicting took over ${(timeoutMs / 1000).toFixed(0)} s`
              : `not measured: the predicting process exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`,
        });
    });
  });
}

export async function modelFootprint(
  modelDir: string,
  input: string | null,
  timeoutMs: number,
): Promise<ModelFootprint> {
  const model_bytes = bytesUnder(modelDir);
  if (!input || input === '-')
    return {
      model_bytes,
      predict_peak_rss_bytes: null,
      predict_rows: null,
      predict_note: 'not measured: the table came from stdin',
    };
  if (timeoutMs < 1000)
    return {
      model_bytes,
      predict_peak_rss_bytes: null,
      predict_rows: null,
      predict_note: 'not measured: no time left in the budget',
    };
  const r = await measurePredictPeak(modelDir, input, timeoutMs);
  return 'error' in r
    ? { model_bytes, predict_peak_rss_bytes: null, predict_rows: null, predict_note: r.error }
    : { model_bytes, predict_peak_rss_bytes: r.bytes, predict_rows: r.rows };
}
