/**
 * `npm run bench:startup`: how long a sciml command takes to start, hyperfine-style: each command
 * runs `--warmup` times unmeasured, then `--runs` times (in rounds: one run of each command per round,
 * so that load from other processes falls on every row alike), and we report mean ± standard deviation,
 * median, min and max of the wall time (spawn to exit). Measured: `sciml --version`, `sciml runs`
 * on an empty folder, `sciml --help`; for scale, Debian's Python starting (`python3 -c pass`) and
 * importing scikit-learn (`python3 -c 'import sklearn'`), with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE
 * unset for Python alone. When NODE_EXTRA_CA_CERTS is set (Node 20 then parses that certificate file at
 * every start, which can be most of `node -e 0`), `node -e 0` is timed without it too.
 *
 * Goal (issue 25): `sciml --version` and `sciml runs` on an empty folder <= 150 ms on this machine.
 * Run it alone (`flock /tmp/bench.lock npm run bench:startup`): other processes on the 2 cores
 * show up directly in these numbers.
 *
 * With GNU time (/usr/bin/time) each run's CPU time (user + system) is reported too: when other
 * work loads the machine, wall times grow with it while CPU times barely move.
 *
 * Options: --runs N (default 20), --warmup N (3). Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { textTable } from '../src/runtime/text-table.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const bin = join(root, 'bin', 'sciml.js');
const PYTHON = '/usr/bin/python3';

interface Case {
  key: string;
  label: string;
  command: string[];
  env?: NodeJS.ProcessEnv;
  /** A goal in ms, if this command has one. */
  goalMs?: number;
}

function parseArgs(argv: string[]): { runs: number; warmup: number } {
  const o = { runs: 20, warmup: 3 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') o.runs = Number(argv[++i]);
    else if (argv[i] === '--warmup') o.warmup = Number(argv[++i]);
    else throw new Error(`bench:startup: unknown option ${argv[i]}`);
  }
  return o;
}

const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME);

/** Wall ms (spawn to exit) and, with GNU time, the child's CPU ms (user + system): less sensitive to other load than wall time. */
function timeOnce(c: Case): { wall: number; cpu: number } {
  const [cmd, args] = hasGnuTime ? [GNU_TIME, ['-f', 'CPU %U %S', ...c.command]] : [c.command[0], c.command.slice(1)];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: c.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const stderr = r.stderr?.toString() ?? '';
  if (r.status !== 0) throw new Error(`${c.label}: exit ${r.status}: ${stderr.trim().split('\n').pop()}`);
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  const sd = Math.sqrt(samples.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, samples.length - 1));
  const median =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { mean, sd, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const empty = mkdtempSync(join(tmpdir(), 'sciml-bench-startup-'));
  const pythonEnv = { ...process.env };
  delete pythonEnv.OPENBLAS_CORETYPE;
  delete pythonEnv.OPENBLAS_L2_SIZE;
  const withoutExtraCa = { ...process.env };
  delete withoutExtraCa.NODE_EXTRA_CA_CERTS;
  const kernel = spawnSync(
    PYTHON,
    [
      '-c',
      "import numpy\nfrom threadpoolctl import threadpool_info\nprint(' '.join(f\"{i['internal_api']} {i.get('architecture', '')}\".strip() for i in threadpool_info()))",
    ],
    { env: pythonEnv, encoding: 'utf8' },
  );
  const cases: Case[] = [
    { key: 'version', label: 'sciml --version', command: [process.execPath, bin, '--version'], goalMs: 150 },
    {
      key: 'runs_empty',
      label: 'sciml runs (empty folder)',
      command: [process.execPath, bin, 'runs', '--dir', empty],
      goalMs: 150,
    },
    { key: 'help', label: 'sciml --help', command: [process.execPath, bin, '--help'] },
    { key: 'node', label: 'node -e 0 (for scale)', command: [process.execPath, '-e', '0'] },
    // Node 20 reads and parses every certificate of NODE_EXTRA_CA_CERTS at each start, before any script.
    ...(process.env.NODE_EXTRA_CA_CERTS
      ? [
          {
            key: 'node_no_extra_ca',
            label: 'node -e 0 without NODE_EXTRA_CA_CERTS (for scale)',
            command: [process.execPath, '-e', '0'],
            env: withoutExtraCa,
          },
        ]
      : []),
    { key: 'python_pass', label: 'python3 -c pass (for scale)', command: [PYTHON, '-c', 'pass'], env: pythonEnv },
    {
      key: 'python_sklearn',
      label: "python3 -c 'import sklearn' (for scale)",
      command: [PYTHON, '-c', 'import sklearn'],
      env: pythonEnv,
    },
  ];
  const results: Record<string, number | string | boolean> = {
    runs: opts.runs,
    warmup: opts.warmup,
    python_blas: kernel.status === 0 ? kernel.stdout.trim() : 'unknown',
  };
  const rows: string[][] = [['command', 'mean ± sd (ms)', 'median', 'min', 'max', 'cpu ms', 'goal']];
  try {
    // Rounds of one run of each command, so that a burst of load from elsewhere hits every row alike.
    for (let i = 0; i < opts.warmup; i++) for (const c of cases) timeOnce(c);
    const samplesOf = new Map(cases.map((c) => [c, [] as { wall: number; cpu: number }[]]));
    for (let i = 0; i < opts.runs; i++) for (const c of cases) samplesOf.get(c)!.push(timeOnce(c));
    for (const c of cases) {
      const samples = samplesOf.get(c)!;
      const s = stats(samples.map((x) => x.wall));
      const cpu = stats(samples.map((x) => x.cpu));
      results[`${c.key}_cpu_median_ms`] = Number.isFinite(cpu.median) ? Number(cpu.median.toFixed(0)) : 'unknown';
      results[`${c.key}_ms`] = Number(s.mean.toFixed(1));
      results[`${c.key}_median_ms`] = Number(s.median.toFixed(1));
      results[`${c.key}_sd_ms`] = Number(s.sd.toFixed(1));
      if (c.goalMs !== undefined) results[`${c.key}_goal_met`] = s.median <= c.goalMs;
      rows.push([
        c.label,
        `${s.mean.toFixed(1)} ± ${s.sd.toFixed(1)}`,
        s.median.toFixed(1),
        s.min.toFixed(1),
        s.max.toFixed(1),
        Number.isFinite(cpu.median) ? cpu.median.toFixed(0) : '-',
        c.goalMs !== undefined ? `<= ${c.goalMs} ms: ${s.median <= c.goalMs ? 'met' : 'missed'}` : '',
      ]);
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  console.log(
    textTable(
      rows,
      rows[0].map((_, i) => (i === 0 ? 'left' : 'right')),
    ).trimEnd(),
  );
  console.log(
    `(${opts.runs} runs after ${opts.warmup} warm-up runs each, in rounds of one run of each command; the goal is judged on the median wall time; cpu ms: median user + system time of the process (GNU time, 10 ms resolution); Python's BLAS: ${results.python_blas})`,
  );
  console.log(JSON.stringify({ bench: 'startup', ...results }));
}

main();
