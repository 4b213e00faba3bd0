import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Random } from '../../src/runtime/random.js';

export const SCIML = resolve(fileURLToPath(new URL('../../../bin/sciml.js', import.meta.url)));

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sciml-automl-'));
}

/** A small regression table: an id, a timestamp, a category, three numbers, a skewed non-negative target. */
export function syntheticCsv(n: number, seed: number, options: { leak?: boolean } = {}): string {
  const rng = new Random(seed);
  const lines = [options.leak ? 'id,when,city,x1,x2,x3,part_a,part_b,y' : 'id,when,city,x1,x2,x3,y'];
  const start = Date.UTC(2023, 0, 1);
  for (let i = 0; i < n; i++) {
    const when = new Date(start + i * 3_600_000 * 5).toISOString().slice(0, 19).replace('T', ' ');
    const city = ['north', 'south', 'east'][rng.int(0, 3)];
    const x1 = rng.uniform(0, 2);
    const x2 = rng.normal(0, 1);
    const x3 = rng.uniform(-1, 1);
    const hour = new Date(start + i * 3_600_000 * 5).getUTCHours();
    const y = Math.round(
      Math.exp(1 + 0.9 * x1 + (city === 'south' ? 0.6 : 0) + 0.4 * Math.sin(hour / 3)) + Math.abs(rng.normal(0, 1.5)),
    );
    const a = Math.round(y * rng.uniform(0.2, 0.8));
    lines.push(
      options.leak
        ? [i + 1, when, city, x1.toFixed(4), x2.toFixed(4), x3.toFixed(4), a, y - a, y].join(',')
        : [i + 1, when, city, x1.toFixed(4), x2.toFixed(4), x3.toFixed(4), y].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export function sciml(
  args: string[],
  cwd?: string,
): { status: number | null; stdout: string; stderr: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [SCIML, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}
