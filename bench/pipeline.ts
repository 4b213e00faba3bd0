/**
 * `npm run bench:pipeline`: the two things DVC users wait for (iterative/dvc#7681, #755).
 *   1. Hashing: SHA-256 of a folder of traces, cold (every file read) against coreutils' sha256sum
 *      over the same files, and warm (answered from the (inode, size, mtime) state file) as a
 *      second `status` would see it.
 *   2. Parallel stages: four independent 1-second stages and a join, run by `sciml pipeline run`
 *      with -j 1 and -j 4, against GNU make -j 4 running the same commands from a Makefile.
 * Options: --mib N (192) total size of the traces, --files N (48), --rounds N (3).
 * Prints a table, then one JSON line of figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashState } from '../src/pipeline/hash.js';
import { SCIML_BIN } from '../src/pipeline/stage-job.js';
import { option } from './options.js';

const mib = option('--mib', 192);
const files = option('--files', 48);
const rounds = option('--rounds', 3);
const work = mkdtempSync(join(tmpdir(), 'sciml-bench-pipeline-'));

function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function secondsAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

// ------------------------------------------------------------------ hashing
const traces = join(work, 'traces');
mkdirSync(traces);
const perFile = Math.floor((mib * 1024 * 1024) / files);
const paths: string[] = [];
for (let f = 0; f < files; f++) {
  const data = Buffer.alloc(perFile);
  for (let i = 0; i < perFile; i += 4) data.writeUInt32LE((i * 2654435761 + f * 40503) >>> 0, i);
  const path = join(traces, `trace-${String(f).padStart(3, '0')}.bin`);
  writeFileSync(path, data);
  paths.push(path);
}

let cold = Infinity;
let warm = Infinity;
let peer = Infinity;
for (let r = 0; r < rounds; r++) {
  const stateFile = join(work, `state-${r}.json`);
  const fresh = new HashState(stateFile);
  let coldHash = '';
  cold = Math.min(cold, await secondsAsync(async () => (coldHash = (await fresh.hashPath(traces))!.sha256)));
  fresh.save();
  const again = new HashState(stateFile);
  let warmHash = '';
  warm = Math.min(warm, await secondsAsync(async () => (warmHash = (await again.hashPath(traces))!.sha256)));
  if (warmHash !== coldHash || again.hashedFiles !== 0)
    throw new Error('the warm hash must come from the state file and match');
  peer = Math.min(
    peer,
    seconds(() => {
      const out = spawnSync('sha256sum', paths, { maxBuffer: 1 << 24 });
      if (out.status !== 0) throw new Error(`sha256sum failed: ${out.stderr}`);
    }),
  );
}

// ------------------------------------------------------------------ parallel stages
const STAGES = 4;
function pipelineProject(): string {
  const dir = mkdtempSync(join(work, 'dag-'));
  const lines = ['stages:'];
  for (let i = 0; i < STAGES; i++)
    lines.push(`  part${i}:`, `    cmd: sleep 1; echo ${i} > part${i}.txt`, `    outs: [part${i}.txt]`);
  lines.push(
    '  join:',
    `    cmd: cat ${Array.from({ length: STAGES }, (_, i) => `part${i}.txt`).join(' ')} > all.txt`,
    `    deps: [${Array.from({ length: STAGES }, (_, i) => `part${i}.txt`).join(', ')}]`,
    '    outs: [all.txt]',
  );
  writeFileSync(join(dir, 'pipeline.yaml'), lines.join('\n') + '\n');
  const make = [`all.txt: ${Array.from({ length: STAGES }, (_, i) => `part${i}.txt`).join(' ')}`, `\tcat $^ > $@`];
  for (let i = 0; i < STAGES; i++) make.push(`part${i}.txt:`, `\tsleep 1; echo ${i} > $@`);
  writeFileSync(join(dir, 'Makefile'), make.join('\n') + '\n');
  return dir;
}

function run(command: string, args: string[], cwd: string): void {
  const r = spawnSync(command, args, { cwd, env: { ...process.env, CI: 'true' } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
}

let serial = Infinity;
let parallel = Infinity;
let make = Infinity;
for (let r = 0; r < rounds; r++) {
  const a = pipelineProject();
  serial = Math.min(
    serial,
    seconds(() => run(process.execPath, [SCIML_BIN, 'pipeline', 'run', 'pipeline.yaml', '-j', '1'], a)),
  );
  const b = pipelineProject();
  parallel = Math.min(
    parallel,
    seconds(() => run(process.execPath, [SCIML_BIN, 'pipeline', 'run', 'pipeline.yaml', '-j', String(STAGES)], b)),
  );
  const c = pipelineProject();
  make = Math.min(
    make,
    seconds(() => run('make', ['-s', '-j', String(STAGES)], c)),
  );
}
rmSync(work, { recursive: true, force: true });

const sizeMiB = (perFile * files) / (1024 * 1024);
const rows: [string, string, string][] = [
  ['hash, cold (sciml)', `${cold.toFixed(3)} s`, `${(sizeMiB / cold).toFixed(0)} MiB/s`],
  ['hash, sha256sum (peer)', `${peer.toFixed(3)} s`, `${(sizeMiB / peer).toFixed(0)} MiB/s`],
  ['hash, warm (state file)', `${warm.toFixed(4)} s`, `${(cold / warm).toFixed(0)}x faster than cold`],
  [`${STAGES} x 1 s stages + join, -j 1`, `${serial.toFixed(2)} s`, ''],
  [
    `${STAGES} x 1 s stages + join, -j ${STAGES}`,
    `${parallel.toFixed(2)} s`,
    `${(serial / parallel).toFixed(2)}x faster than -j 1`,
  ],
  [`make -j ${STAGES} (peer)`, `${make.toFixed(2)} s`, `sciml takes ${(parallel / make).toFixed(2)}x make's time`],
];
console.log(`sciml pipeline benchmark: ${files} files, ${sizeMiB.toFixed(0)} MiB; best of ${rounds} rounds`);
const w = Math.max(...rows.map((r) => r[0].length));
for (const [a, b, c] of rows) console.log(`${a.padEnd(w)}  ${b.padStart(10)}  ${c}`);
console.log(
  JSON.stringify({
    bench: 'pipeline',
    mib: Number(sizeMiB.toFixed(1)),
    files,
    hash_cold_s: Number(cold.toFixed(4)),
    hash_sha256sum_s: Number(peer.toFixed(4)),
    hash_cold_vs_sha256sum: Number((cold / peer).toFixed(3)),
    hash_warm_s: Number(warm.toFixed(5)),
    hash_warm_speedup: Number((cold / warm).toFixed(1)),
    stages_j1_s: Number(serial.toFixed(3)),
    stages_jN_s: Number(parallel.toFixed(3)),
    parallel_speedup: Number((serial / parallel).toFixed(3)),
    make_jN_s: Number(make.toFixed(3)),
    sciml_vs_make: Number((parallel / make).toFixed(3)),
  }),
);
