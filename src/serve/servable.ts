/** Helpers the servable adapters share (the contract itself is src/contracts/servable.ts). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Column, DataTable } from '../data/table.js';
import type { ModelLocation } from '../runtime/model-dir.js';
import type { ServeBatch } from '../contracts/servable.js';

/** The tabular part of a batch as a DataTable (the shape the tabular predict functions take). */
export function batchTable(batch: ServeBatch, source = 'request'): DataTable {
  return { source, numRows: batch.rows, columns: batch.columns.filter((c): c is Column => c.kind !== 'trace') };
}

/** The run's metrics.json (metrics and baseline), when the run has one. */
export function trainingMetrics(where: ModelLocation): Record<string, unknown> | null {
  const file = where.runDir ? join(where.runDir, 'metrics.json') : undefined;
  if (!file || !existsSync(file)) return null;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return {
      metrics: m.metrics ?? null,
      baseline: m.baseline ?? null,
      ...(m.baseline_name ? { baseline_name: m.baseline_name } : {}),
    };
  } catch {
    return null;
  }
}
