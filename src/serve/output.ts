/** Responses of POST /v1/predict: JSON (rows or columns, like the request) or Arrow IPC (stream or file). */
import { tableToIPC } from 'apache-arrow';
import { predictionsToArrow, type PredictionColumn, type Predictions } from '../data/predictions.js';
import { HttpProblem } from './problem.js';

const JSON_TYPE = 'application/json';
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
export const ARROW_FILE = 'application/vnd.apache.arrow.file';
export type OutputFormat = 'rows' | 'columns' | 'arrow-stream' | 'arrow-file';

const OFFERED = [JSON_TYPE, ARROW_STREAM, ARROW_FILE] as const;

/**
 * The response format: the best match of Accept (q-values, wildcards), the request's own format
 * when Accept allows it or is absent; 406 when Accept rules out everything offered.
 */
export function negotiate(accept: string | undefined, requestFormat: OutputFormat): OutputFormat {
  const own =
    requestFormat === 'rows' || requestFormat === 'columns'
      ? JSON_TYPE
      : requestFormat === 'arrow-stream'
        ? ARROW_STREAM
        : ARROW_FILE;
  const asFormat = (type: string): OutputFormat =>
    type === JSON_TYPE
      ? requestFormat === 'columns'
        ? 'columns'
        : 'rows'
      : type === ARROW_STREAM
        ? 'arrow-stream'
        : 'arrow-file';
  if (!accept || !accept.trim()) return requestFormat;
  const ranges = accept.split(',').map((part, order) => {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const quality = q ? Number(q.slice(2)) : 1;
    return { range: range.trim(), q: Number.isFinite(quality) ? quality : 0, order };
  });
  const qualityOf = (type: string): number => {
    let best = -1;
    let specificity = -1;
    for (const r of ranges) {
      const [t, s] = r.range.split('/');
      const [tt, ts] = type.split('/');
      const spec = r.range === type ? 2 : t === tt && s === '*' ? 1 : r.range === '*/*' ? 0 : -1;
      if (spec > specificity) {
        specificity = spec;
        best = r.q;
      }
      void ts;
    }
    return best;
  };
  const scored = OFFERED.map((type) => ({ type, q: qualityOf(type) })).filter((s) => s.q > 0);
  if (scored.length === 0)
    throw new HttpProblem(
      406,
      'Not acceptable',
      `Accept: ${accept.slice(0, 100)}: expected one of ${OFFERED.join(', ')} (or */*)`,
    );
  const top = Math.max(...scored.map((s) => s.q));
  const best = scored.filter((s) => s.q === top);
  return asFormat(best.some((s) => s.type === own) ? own : best[0].type);
}

function cell(c: PredictionColumn, i: number): unknown {
  switch (c.kind) {
    case 'vector':
      return Array.from(c.values.subarray(i * c.length, (i + 1) * c.length), finiteOrNull);
    case 'string':
      return c.values[i];
    default:
      return finiteOrNull(c.values[i]);
  }
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export function encode(p: Predictions, format: OutputFormat): { type: string; body: string | Uint8Array } {
  if (format === 'arrow-stream' || format === 'arrow-file') {
    return {
      type: format === 'arrow-stream' ? ARROW_STREAM : ARROW_FILE,
      body: tableToIPC(predictionsToArrow(p), format === 'arrow-stream' ? 'stream' : 'file'),
    };
  }
  if (format === 'columns') {
    const columns: Record<string, unknown[]> = {};
    for (const c of p.columns) columns[c.name] = Array.from({ length: p.rows }, (_, i) => cell(c, i));
    return { type: JSON_TYPE, body: JSON.stringify({ columns }) };
  }
  const rows = Array.from({ length: p.rows }, (_, i) => {
    const row: Record<string, unknown> = {};
    for (const c of p.columns) row[c.name] = cell(c, i);
    return row;
  });
  return { type: JSON_TYPE, body: JSON.stringify({ rows }) };
}
