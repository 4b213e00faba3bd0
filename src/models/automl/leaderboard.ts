import { tableFromIPC } from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { textTable } from '../../runtime/text-table.js';
import { arrowFileBytes, arrowTable, float64Column, int32Column, utf8Column } from '../../data/arrow.js';

export interface LeaderboardRow {
  rank: number;
  model: string;
  cv: number;
  holdout: number;
  fit_time_s: number;
  predict_time_s: number;
  stack_level: number;
  params: string;
  /** Classification: accuracy beside the chosen metric. */
  cv_accuracy?: number;
  holdout_accuracy?: number;
}

/** Sorted by CV (best first for the metric's direction), ranks assigned. */
export function rankRows(rows: Omit<LeaderboardRow, 'rank'>[], higherIsBetter: boolean): LeaderboardRow[] {
  const sorted = [...rows].sort(
    (a, b) => (higherIsBetter ? b.cv - a.cv : a.cv - b.cv) || a.model.localeCompare(b.model),
  );
  return sorted.map((r, i) => ({ rank: i + 1, ...r }));
}

export function leaderboardBytes(rows: LeaderboardRow[], metric: string): Uint8Array {
  const withAccuracy = rows.some((r) => r.cv_accuracy !== undefined) && metric !== 'accuracy';
  const accuracy: Record<string, ReturnType<typeof float64Column>> = withAccuracy
    ? {
        cv_accuracy: float64Column(rows.map((r) => r.cv_accuracy ?? NaN)),
        holdout_accuracy: float64Column(rows.map((r) => r.holdout_accuracy ?? NaN)),
      }
    : {};
  return arrowFileBytes(
    arrowTable({
      rank: int32Column(rows.map((r) => r.rank)),
      model: utf8Column(rows.map((r) => r.model)),
      [`cv_${metric}`]: float64Column(rows.map((r) => r.cv)),
      [`holdout_${metric}`]: float64Column(rows.map((r) => r.holdout)),
      ...accuracy,
      fit_time_s: float64Column(rows.map((r) => r.fit_time_s)),
      predict_time_s: float64Column(rows.map((r) => r.predict_time_s)),
      stack_level: int32Column(rows.map((r) => r.stack_level)),
      params: utf8Column(rows.map((r) => r.params)),
    }),
  );
}

export function readLeaderboard(path: string, metric: string): LeaderboardRow[] {
  const table = tableFromIPC(readFileSync(path));
  const col = (name: string) => table.getChild(name)!.toArray() as ArrayLike<unknown>;
  const [rank, model, cv, holdout, fit, pred, level, params] = [
    'rank',
    'model',
    `cv_${metric}`,
    `holdout_${metric}`,
    'fit_time_s',
    'predict_time_s',
    'stack_level',
    'params',
  ].map(col);
  const cvAcc = table.getChild('cv_accuracy')?.toArray() as ArrayLike<number> | undefined;
  const holdAcc = table.getChild('holdout_accuracy')?.toArray() as ArrayLike<number> | undefined;
  return Array.from({ length: table.numRows }, (_, i) => ({
    ...(cvAcc && holdAcc ? { cv_accuracy: Number(cvAcc[i]), holdout_accuracy: Number(holdAcc[i]) } : {}),
    rank: Number(rank[i]),
    model: String(model[i]),
    cv: Number(cv[i]),
    holdout: Number(holdout[i]),
    fit_time_s: Number(fit[i]),
    predict_time_s: Number(pred[i]),
    stack_level: Number(level[i]),
    params: String(params[i]),
  }));
}

/** The score columns' names: the metric's on CV and holdout, then accuracy's where it is shown beside. */
export function scoreColumns(metric: string, withAccuracy: boolean): string[] {
  return [`cv_${metric}`, `holdout_${metric}`, ...(withAccuracy ? ['cv_accuracy', 'holdout_accuracy'] : [])];
}

/** A row's scores in the order of scoreColumns. */
export function scoresOf(r: LeaderboardRow, withAccuracy: boolean): (number | undefined)[] {
  return [r.cv, r.holdout, ...(withAccuracy ? [r.cv_accuracy, r.holdout_accuracy] : [])];
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(2) : v.toFixed(4);
}

/** The leaderboard as a fixed-width text table (the first `limit` rows). */
export function leaderboardText(rows: LeaderboardRow[], metric: string, limit = 15): string {
  const acc = metric !== 'accuracy' && rows.some((r) => r.cv_accuracy !== undefined);
  const header = ['rank', 'model', ...scoreColumns(metric, acc), 'fit_s', 'predict_s', 'level'];
  const body = rows
    .slice(0, limit)
    .map((r) => [
      String(r.rank),
      r.model,
      ...scoresOf(r, acc).map((v) => fmt(v ?? NaN)),
      r.fit_time_s.toFixed(2),
      r.predict_time_s.toFixed(3),
      String(r.stack_level),
    ]);
  const align = header.map((_, j): 'left' | 'right' => (j === 1 ? 'left' : 'right'));
  const more = rows.length > limit ? `\n... ${rows.length - limit} more in leaderboard.arrow` : '';
  return textTable([header, ...body], align).trimEnd() + more;
}
