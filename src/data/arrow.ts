import { tableToIPC, type Table } from 'apache-arrow';
import { writeFileAtomic } from '../runtime/atomic.js';

/** Writes an Arrow IPC file atomically; `-` writes an IPC stream to stdout (for pipelines). */
export async function writeArrowTable(table: Table, path: string): Promise<void> {
  if (path === '-') {
    const bytes = tableToIPC(table, 'stream');
    await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (err) => (err ? reject(err) : resolve())));
    return;
  }
  writeFileAtomic(path, tableToIPC(table, 'file'));
}
