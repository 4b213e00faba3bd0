import { totalmem } from 'node:os';
import { UserError } from './errors.js';

/** Share of physical memory a single run may plan to use before it is refused up front. */
const USABLE_SHARE = 0.8;

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/**
 * Refuses a config whose data would not fit in this machine's memory, before any allocation
 * (which would otherwise end in a RangeError trace or the OOM killer). `bytes` is an estimate
 * of what `field`'s value makes the run hold at once.
 */
export function requireMemory(
  field: string,
  value: number,
  bytes: number,
  what: string,
  machineBytes = totalmem(),
): void {
  if (bytes <= machineBytes * USABLE_SHARE) return;
  throw new UserError(
    `${field}: ${value} ${what} need an estimated ${formatBytes(bytes)} (${bytes.toExponential(2)} bytes) of memory; this machine has ${formatBytes(machineBytes)}: lower ${field}`,
  );
}
