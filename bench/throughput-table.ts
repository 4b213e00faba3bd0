import { textTable } from '../src/runtime/text-table.js';

/** One measured configuration of a throughput bench: its rate per second, or null when not run. */
export interface ThroughputRow {
  name: string;
  perS: number | null;
  note: string;
}

/** The bench's table: configuration, rate (`unit`, one decimal, '-' when not run), note. */
export function throughputTable(unit: string, rows: ThroughputRow[]): string {
  return textTable(
    [['configuration', unit, 'note'], ...rows.map((r) => [r.name, r.perS === null ? '-' : r.perS.toFixed(1), r.note])],
    ['left', 'right', 'left'],
  );
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
