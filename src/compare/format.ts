import { formatNumber } from '../report/page.js';

export function formatValue(v: unknown): string {
  if (v === undefined) return '-';
  if (typeof v === 'number') return formatNumber(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
}
