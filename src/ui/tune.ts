/**
 * The tune view's data, from a tune run's journal (trials.jsonl, appended while the tune runs):
 * per configuration its parameters, rung, epochs, last reported metric, state and learning curve;
 * the rung budgets (cut points); best-so-far against time per segment (tune/index.ts's own
 * journalCurves, so the dashboard and report.html agree).
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { journalCurves } from '../tune/index.js';
import { readJournal, type JournalEvent } from '../tune/journal.js';
import type { TuneSetup } from '../tune/config.js';
import type { BestSoFar } from '../tune/report.js';

interface TuneConfigRow {
  seg: string;
  config: number;
  params: Record<string, unknown>;
  rung: number;
  budget: number;
  epochs: number;
  /** The metric at the configuration's last report (tell), else its latest epoch's. */
  metric: number | null;
  state: 'running' | 'paused' | 'completed' | 'cut' | 'failed' | 'stopped';
  worker?: string;
  error?: string;
  curve: { epoch: number; value: number | null; t: number }[];
}

export interface TuneView {
  stamp: string;
  metric: string;
  mode: 'min' | 'max';
  segments: string[];
  budgets: number[];
  configs: TuneConfigRow[];
  best_so_far: BestSoFar[];
  ended: boolean;
  error?: string;
}

function tuneSettings(tuneYaml: string | undefined): { metric: string; mode: 'min' | 'max' } {
  try {
    const doc = parse(readFileSync(tuneYaml!, 'utf8')) as { tune?: { metric?: unknown; mode?: unknown } };
    return { metric: String(doc.tune?.metric ?? 'metric'), mode: doc.tune?.mode === 'max' ? 'max' : 'min' };
  } catch {
    return { metric: 'metric', mode: 'min' };
  }
}

function tuneView(events: JournalEvent[], metric: string, mode: 'min' | 'max', stamp: string): TuneView {
  const rows = new Map<string, TuneConfigRow>();
  const budgets = new Set<number>();
  let segments: string[] = [];
  let ended = false;
  const rowOf = (seg: string, config: number): TuneConfigRow => {
    const key = `${seg}/${config}`;
    let row = rows.get(key);
    if (!row) {
      row = { seg, config, params: {}, rung: 0, budget: 0, epochs: 0, metric: null, state: 'running', curve: [] };
      rows.set(key, row);
    }
    return row;
  };
  for (const e of events) {
    if (e.ev === 'start') {
      segments = [...new Set([...segments, ...e.segments])];
      ended = false;
    } else if (e.ev === 'ask' || e.ev === 'promote') {
      const row = rowOf(e.seg, e.config_index);
      Object.assign(row, { params: e.params, rung: e.rung, budget: e.budget, state: 'running' });
      budgets.add(e.budget);
    } else if (e.ev === 'epoch') {
      const row = rowOf(e.seg, e.config_index);
      const value = e.metrics[metric];
      row.curve = row.curve.filter((p) => p.epoch < e.epoch);
      row.curve.push({ epoch: e.epoch, value: Number.isFinite(value) ? value : null, t: e.t });
      row.epochs = e.epoch;
      if (Number.isFinite(value)) row.metric = value;
    } else if (e.ev === 'tell') {
      const row = rowOf(e.seg, e.config_index);
      row.epochs = e.epochs;
      row.metric = e.metric ?? row.metric;
      row.state = 'paused';
      if (e.worker) row.worker = e.worker;
    } else if (e.ev === 'cut') rowOf(e.seg, e.config_index).state = 'cut';
    else if (e.ev === 'fail') Object.assign(rowOf(e.seg, e.config_index), { state: 'failed', error: e.error });
    else if (e.ev === 'end') ended = true;
  }
  const top = Math.max(0, ...budgets);
  for (const row of rows.values()) {
    if (row.state === 'paused' && row.epochs >= top) row.state = 'completed';
    if (ended && row.state === 'running') row.state = 'stopped';
  }
  if (!segments.length) segments = [...new Set([...rows.values()].map((r) => r.seg))];
  const setup = { metric, mode, segments: segments.map((name) => ({ name })) } as unknown as TuneSetup;
  const sign = mode === 'max' ? -1 : 1;
  const configs = [...rows.values()].sort(
    (a, b) =>
      b.rung - a.rung ||
      (a.metric === null ? 1 : b.metric === null ? -1 : sign * (a.metric - b.metric)) ||
      a.config - b.config,
  );
  return {
    stamp,
    metric,
    mode,
    segments,
    budgets: [...budgets].sort((a, b) => a - b),
    configs,
    best_so_far: journalCurves(events, setup),
    ended,
  };
}

export function readTuneJournal(journal: string, tuneYaml: string | undefined): TuneView {
  const { metric, mode } = tuneSettings(tuneYaml);
  let stamp = 'none';
  try {
    const st = statSync(journal);
    stamp = `${st.mtimeMs}-${st.size}`;
  } catch {
    // No journal yet: an empty view.
  }
  try {
    return tuneView(readJournal(journal), metric, mode, stamp);
  } catch (err) {
    return { ...tuneView([], metric, mode, stamp), error: (err as Error).message.replace(journal, 'trials.jsonl') };
  }
}
