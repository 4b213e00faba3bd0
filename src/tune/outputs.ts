/**
 * A tune run's result files: leaderboard.arrow (one row per configuration), trials.arrow (one row
 * per epoch report), best/<segment>/config.yaml and model/, metrics.json.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Vector } from 'apache-arrow';
import { arrowFileBytes, arrowTable, float64Column, int32Column, utf8Column } from '../data/arrow.js';
import type { RunDir } from '../runtime/rundir.js';
import { trialConfig, type TuneSetup } from './config.js';
import type { ConfigState, SegmentState } from './state.js';

export interface LeaderRow {
  segment: string;
  trial: number;
  values: Record<string, unknown>;
  /** The metric at the configuration's last epoch (what the scheduler ranked). */
  metric: number | null;
  /** The best metric over its epochs. */
  best_metric: number | null;
  epochs: number;
  /** The metric's mean over the re-ranking folds (tune.rerank), when all of them ran at `epochs`. */
  cv_metric: number | null;
  rung: number;
  runs: number;
  status: string;
  error: string | null;
  seed: number;
  dir: string;
}

/** Ranked by the search's last-epoch validation metric; failures and configurations without a report last. */
export function rankedByValidation(setup: TuneSetup, seg: SegmentState): LeaderRow[] {
  const sign = setup.mode === 'max' ? -1 : 1;
  const rows = [...seg.configs.values()].map((cs) => rowOf(setup, seg, cs));
  return rows.sort((a, b) => {
    const av = a.metric === null ? Infinity : sign * a.metric;
    const bv = b.metric === null ? Infinity : sign * b.metric;
    return av - bv || b.epochs - a.epochs || a.trial - b.trial;
  });
}

/** The leaderboard: re-ranked configurations first, by their cross-validated metric; the rest by validation. */
export function leaderboard(setup: TuneSetup, seg: SegmentState): LeaderRow[] {
  const sign = setup.mode === 'max' ? -1 : 1;
  const rows = rankedByValidation(setup, seg);
  const reranked = rows
    .filter((r) => r.cv_metric !== null)
    .sort((a, b) => sign * (a.cv_metric! - b.cv_metric!) || rows.indexOf(a) - rows.indexOf(b));
  return [...reranked, ...rows.filter((r) => r.cv_metric === null)];
}

function cvMetricOf(setup: TuneSetup, cs: ConfigState, epochs: number): number | null {
  if (!cs.cv || cs.cv.epochs !== epochs || cs.cv.error) return null;
  // Summed in fold order, not arrival order: a resumed run's mean equals the uninterrupted run's to the bit.
  const values = [...cs.cv.folds.entries()].sort(([a], [b]) => a - b).map(([, m]) => m[setup.metric]);
  const complete = values.length === setup.tune.rerank.folds && values.every((v) => Number.isFinite(v));
  return complete ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

function rowOf(setup: TuneSetup, seg: SegmentState, cs: ConfigState): LeaderRow {
  const values = cs.history.map((h) => h.metrics[setup.metric]).filter((v) => Number.isFinite(v));
  const last = cs.history[cs.history.length - 1];
  const metric = last && Number.isFinite(last.metrics[setup.metric]) ? last.metrics[setup.metric] : null;
  const best = values.length ? (setup.mode === 'max' ? Math.max(...values) : Math.min(...values)) : null;
  const status = cs.status === 'paused' ? (seg.finished ? 'stopped' : 'paused') : cs.status;
  const epochs = last?.epoch ?? 0;
  return {
    segment: seg.segment.name,
    trial: cs.index,
    values: cs.values,
    metric,
    best_metric: best,
    epochs,
    cv_metric: cvMetricOf(setup, cs, epochs),
    rung: cs.rung,
    runs: cs.runs,
    status,
    error: cs.error ?? null,
    seed: cs.seed,
    dir: cs.dir,
  };
}

export function formatValue(v: unknown): string {
  if (typeof v === 'number')
    return Number.isInteger(v)
      ? String(v)
      : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5
        ? v.toExponential(3)
        : v.toPrecision(4);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function writeLeaderboardArrow(run: RunDir, setup: TuneSetup, boards: LeaderRow[][]): void {
  const rows = boards.flat();
  const columns: Record<string, Vector> = {
    segment: utf8Column(rows.map((r) => r.segment)),
    trial: int32Column(rows.map((r) => r.trial)),
    rank: int32Column(boards.flatMap((b) => b.map((_, i) => i + 1))),
  };
  for (const p of setup.parameters) {
    const numeric =
      p.values === undefined && (p.domain.type !== 'choice' || p.domain.values.every((v) => typeof v === 'number'));
    columns[p.path] = numeric
      ? float64Column(rows.map((r) => Number(r.values[p.path])))
      : utf8Column(rows.map((r) => formatValue(r.values[p.path])));
  }
  columns[setup.metric] = float64Column(rows.map((r) => r.metric ?? NaN));
  columns[`best_${setup.metric}`] = float64Column(rows.map((r) => r.best_metric ?? NaN));
  if (setup.tune.rerank.top > 0) columns[`cv_${setup.metric}`] = float64Column(rows.map((r) => r.cv_metric ?? NaN));
  columns.epochs = int32Column(rows.map((r) => r.epochs));
  columns.rung = int32Column(rows.map((r) => r.rung));
  columns.status = utf8Column(rows.map((r) => r.status));
  columns.error = utf8Column(rows.map((r) => r.error));
  run.writeBytes('leaderboard.arrow', arrowFileBytes(arrowTable(columns)));
}

export function writeTrialsArrow(run: RunDir, setup: TuneSetup, segments: SegmentState[]): void {
  const reports = segments.flatMap((seg) =>
    [...seg.configs.values()]
      .sort((a, b) => a.index - b.index)
      .flatMap((cs) => cs.history.map((h) => ({ seg: seg.segment.name, cs, h }))),
  );
  const metricNames = [...new Set(reports.flatMap((r) => Object.keys(r.h.metrics)))].sort();
  const columns: Record<string, Vector> = {
    segment: utf8Column(reports.map((r) => r.seg)),
    trial: int32Column(reports.map((r) => r.cs.index)),
    epoch: int32Column(reports.map((r) => r.h.epoch)),
    elapsed_s: float64Column(reports.map((r) => r.h.t)),
  };
  for (const m of metricNames) columns[m] = float64Column(reports.map((r) => r.h.metrics[m] ?? NaN));
  run.writeBytes('trials.arrow', arrowFileBytes(arrowTable(columns)));
}

/** best/<segment>/config.yaml (the base config with the winner's values and epochs) and best/<segment>/model/ (its checkpoint). */
export function writeBest(
  run: RunDir,
  setup: TuneSetup,
  seg: SegmentState,
  winner: LeaderRow | undefined,
): string | undefined {
  const dir = run.file('best', seg.segment.name);
  if (!winner || winner.metric === null) return undefined;
  const config = trialConfig(setup, seg.segment, winner.values, winner.epochs, winner.seed, { forTrial: false });
  const cv = winner.cv_metric !== null ? `, cross-validated ${winner.cv_metric}` : '';
  const header = `# The winner of segment '${seg.segment.name}' (trial ${winner.trial}, ${setup.metric} ${winner.metric}${cv}) in ${run.path}\n# Train it: sciml train ${join(dir, 'config.yaml')}\n`;
  run.writeText(join('best', seg.segment.name, 'config.yaml'), header + stringify(config, { lineWidth: 0 }));
  const checkpoint = join(winner.dir, 'checkpoint');
  const model = join(dir, 'model');
  rmSync(model, { recursive: true, force: true });
  if (existsSync(checkpoint)) cpSync(checkpoint, model, { recursive: true });
  return dir;
}
