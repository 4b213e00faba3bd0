import { cpus, totalmem, availableParallelism } from 'node:os';
import { initBackend, type BackendChoice, type BackendInfo } from './backend.js';
import { scimlVersion } from './version.js';
import { textTable } from './text-table.js';

export interface SystemInfo {
  sciml: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  memory_gib: number;
  backend: BackendInfo;
}

export async function collectInfo(requested: BackendChoice): Promise<SystemInfo> {
  const backend = await initBackend(requested);
  return {
    sciml: scimlVersion(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    backend,
  };
}

export function formatInfo(i: SystemInfo): string {
  const rows: [string, string][] = [
    ['sciml', i.sciml],
    ['node', `${i.node} (${i.platform})`],
    ['cpu', `${i.cpu}, ${i.cores} cores, ${i.memory_gib} GiB`],
    ['tfjs', i.backend.tfjsVersion],
    ['backend', `${i.backend.name} (from ${i.backend.provider}; requested ${i.backend.requested})`],
    ['threads', `${i.backend.threads}${i.backend.simd ? ' (SIMD)' : ''}`],
    ...(i.backend.engine
      ? [
          [
            'engine',
            `${i.backend.engine.name} ${i.backend.engine.version}, ISA ${i.backend.engine.isa}, ${i.backend.engine.threads} threads`,
          ] as [string, string],
        ]
      : []),
    ['patched kernels', i.backend.patches.length ? i.backend.patches.join(', ') : 'none'],
    ['known defects', i.backend.knownDefects.length ? i.backend.knownDefects.join('; ') : 'none'],
  ];
  for (const s of i.backend.skipped) rows.push([`skipped ${s.provider}`, s.reason]);
  return textTable(rows);
}
