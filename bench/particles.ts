/**
 * `npm run bench:particles`: the Inclusive Classifier (masked GRU + HLF) with its in-run HLF
 * classifier, in sciml and in PyTorch, on the same simulated events, the same model sizes, batch,
 * optimizer, learning rate and epochs:
 *   - training throughput (events/s; both networks step on every batch, in both frameworks);
 *   - macro ROC AUC of both networks on the same held-out events, and McNemar's z of the pair;
 *   - sciml's peak resident memory training on the same events held in 2 and in 16 shards.
 * sciml runs as `sciml train` (one process per backend present: wasm always, others when they
 * start); PyTorch is Debian's /usr/bin/python3 with 2 threads, OPENBLAS_* unset in its command.
 * Two throughputs per sciml run: the whole epoch (streaming the Parquet shards, shuffling,
 * batching, the optimizer steps) and the optimizer steps alone (forward, backward, Adam of both
 * networks), which is what the PyTorch peer times (its events are in memory). The ratio is of steps;
 * the epoch ratio is printed beside it.
 * Options: --events N (12000), --epochs E (4) (configs/particles.yaml's size: AUCs after 44 steps measure
 * the first steps, not the model), --max-particles P (20), --units U (32), --no-torch,
 * --no-wasm (wasm runs a GRU step by step: skipped by default above 100 particles),
 * --torch-padded (the peer's GRU over every padded step, sciml's work, instead of
 * pack_padded_sequence; the default above 100 particles, where torch 1.13's packed GRU crawls).
 * `npm run bench:particles-published` runs the published size: 801 particles, GRU(50).
 * Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_CHOICES } from '../src/runtime/backend.js';
import { writeSimulatedDataset } from '../src/data/particles/write.js';
import { openEventDataset, partFilter, streamEvents, type ParticleEvent } from '../src/data/particles/reader.js';
import { N_HLF, N_PARTICLE_FEATURES } from '../src/data/particles/schema.js';
import { writeNpz } from '../src/data/npy.js';
import { parseOptions } from './options.js';
import { textTable } from '../src/runtime/text-table.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'sciml.js');

type Options = {
  events: number;
  epochs: number;
  maxParticles: number;
  units: number;
  torch: boolean;
  wasm: boolean;
  torchPadded: boolean;
};

interface SciRun {
  backend: string;
  eventsPerS: number;
  stepEventsPerS: number;
  auc: number;
  hlfAuc: number;
  z: number;
  rssMb: number;
}

function sciml(config: string, out: string, backend: string, sets: string[]): SciRun | { error: string } {
  const args = [
    '-f',
    '%M',
    process.execPath,
    bin,
    'train',
    config,
    '--backend',
    backend,
    '--json',
    '--out',
    out,
    ...sets.flatMap((s) => ['--set', s]),
  ];
  const r = spawnSync('/usr/bin/time', args, {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) return { error: (r.stderr || '').trim().split('\n').slice(-3).join(' ') };
  const summary = JSON.parse(r.stdout);
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  const rssKb = Number((r.stderr || '').trim().split('\n').pop());
  return {
    backend,
    eventsPerS: metrics.train_events_per_s,
    stepEventsPerS: metrics.train_step_events_per_s,
    auc: summary.auc_macro,
    hlfAuc: summary.baseline?.auc_macro ?? NaN,
    z: summary.paired?.z ?? NaN,
    rssMb: rssKb / 1024,
  };
}

async function exportForTorch(
  path: string,
  file: string,
  seed: number,
  fractions: { validation: number; test: number },
  P: number,
): Promise<void> {
  const ds = await openEventDataset(path);
  const arrays: Record<string, { shape: number[]; data: Float32Array | Int32Array }> = {};
  for (const part of ['train', 'test'] as const) {
    const events: ParticleEvent[] = [];
    for await (const e of streamEvents(ds, {
      seed,
      epoch: 0,
      shuffleBuffer: 0,
      filter: partFilter(ds, seed, part, fractions),
    }))
      events.push(e);
    const F = N_PARTICLE_FEATURES;
    const particles = new Float32Array(events.length * P * F);
    events.forEach((e, i) => {
      const kept = Math.min(e.count, P);
      particles.set(e.particles.subarray((e.count - kept) * F, e.count * F), i * P * F);
    });
    arrays[`${part}_particles`] = { shape: [events.length, P, F], data: particles };
    arrays[`${part}_hlf`] = {
      shape: [events.length, N_HLF],
      data: Float32Array.from(events.flatMap((e) => Array.from(e.hlf))),
    };
    arrays[`${part}_count`] = { shape: [events.length], data: Int32Array.from(events, (e) => Math.min(e.count, P)) };
    arrays[`${part}_label`] = { shape: [events.length], data: Int32Array.from(events, (e) => e.label) };
  }
  writeNpz(file, arrays);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseOptions<Options>(argv, {
    events: 12000,
    epochs: 4,
    maxParticles: 20,
    units: 32,
    torch: true,
    wasm: true,
    torchPadded: false,
  });
  const long = o.maxParticles > 100;
  const wasm = o.wasm && !(long && !argv.includes('--wasm'));
  const torchPadded = o.torchPadded || long;
  const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-particles-'));
  try {
    const seed = 11;
    const write = { layout: 'flat' as const, maxParticles: o.maxParticles, rowGroupSize: 500 };
    writeSimulatedDataset(join(dir, 'ev2'), o.events, 2, seed, write);
    writeSimulatedDataset(join(dir, 'ev16'), o.events, 16, seed, write); // the same events, in 16 files
    const settings = {
      seed: 1,
      units: o.units,
      dense: [25],
      baseline_dense: [50, 20, 10],
      dropout: 0.2,
      learning_rate: 0.002,
      batch_size: 128,
      epochs: o.epochs,
      padded: torchPadded,
    };
    const fractions = { validation: 0.1, test: 0.2 };
    const config = join(dir, 'particles.yaml');
    writeFileSync(
      config,
      `task: particles
seed: ${settings.seed}
data:
  path: ev2
  max_particles: ${o.maxParticles}
  validation_fraction: ${fractions.validation}
  test_fraction: ${fractions.test}
model:
  units: ${settings.units}
  dense: [${settings.dense.join(', ')}]
  dropout: ${settings.dropout}
baseline:
  dense: [${settings.baseline_dense.join(', ')}]
training:
  epochs: ${settings.epochs}
  batch_size: ${settings.batch_size}
  learning_rate: ${settings.learning_rate}
  checkpoint: true
evaluation:
  importance_events: 0
`,
    );
    const runs: SciRun[] = [];
    const skipped: string[] = [];
    for (const backend of BACKEND_CHOICES.filter((b) => b !== 'auto' && b !== 'cpu')) {
      if (backend === 'wasm' && !wasm) {
        skipped.push(
          o.wasm
            ? 'wasm: a GRU step by step over hundreds of particles takes hours (--wasm runs it; bench:gru times one wasm step)'
            : 'wasm: --no-wasm',
        );
        continue;
      }
      const r = sciml(config, join(dir, `run-${backend}`), backend, []);
      if ('error' in r) skipped.push(`${backend}: ${r.error.slice(0, 160)}`);
      else runs.push(r);
    }
    const rssBackend = wasm ? 'wasm' : (runs[0]?.backend ?? 'wasm');
    const rss2 = sciml(config, join(dir, 'rss-2'), rssBackend, ['training.epochs=1']);
    const rss16 = sciml(config, join(dir, 'rss-16'), rssBackend, ['training.epochs=1', 'data.path=ev16']);
    let torch:
      | {
          events_per_s: number;
          auc_macro: number;
          hlf_auc_macro: number;
          paired_z: number;
          threads: number;
          torch: string;
          blas: string;
        }
      | undefined;
    if (o.torch) {
      const npz = join(dir, 'torch.npz');
      await exportForTorch(join(dir, 'ev2'), npz, settings.seed, fractions, o.maxParticles);
      const r = spawnSync(
        'env',
        [
          '-u',
          'OPENBLAS_CORETYPE',
          '-u',
          'OPENBLAS_L2_SIZE',
          '/usr/bin/python3',
          join(root, 'bench', 'particles_torch.py'),
          npz,
          JSON.stringify(settings),
          '2',
        ],
        { encoding: 'utf8' },
      );
      if (r.status === 0) torch = JSON.parse(r.stdout.trim().split('\n').pop()!);
      else skipped.push(`torch: ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}`);
    }
    const best = runs.reduce<SciRun | undefined>(
      (a, b) => (!a || b.stepEventsPerS > a.stepEventsPerS ? b : a),
      undefined,
    );
    const ratio = (x: number) => (torch ? (x / torch.events_per_s).toFixed(2) : '-');
    const table: string[][] = [
      ['engine', 'steps events/s', 'ratio', 'epoch events/s', 'ratio', 'AUC', 'HLF AUC', 'paired z'],
      ...runs.map((r) => [
        `sciml ${r.backend}`,
        r.stepEventsPerS.toFixed(0),
        ratio(r.stepEventsPerS),
        r.eventsPerS.toFixed(0),
        ratio(r.eventsPerS),
        r.auc.toFixed(4),
        r.hlfAuc.toFixed(4),
        r.z.toFixed(2),
      ]),
      ...(torch
        ? [
            [
              `torch ${torch.torch} (${torch.threads} thr)`,
              torch.events_per_s.toFixed(0),
              '1.00',
              '-',
              '-',
              torch.auc_macro.toFixed(4),
              torch.hlf_auc_macro.toFixed(4),
              torch.paired_z.toFixed(2),
            ],
          ]
        : []),
    ];
    const lines = [
      `bench:particles: ${o.events} events (${o.maxParticles} particles kept), GRU(${o.units}) + HLF, batch 128, Adam lr ${settings.learning_rate}, ${o.epochs} epochs; both networks step on every batch`,
      textTable(table, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right']).trimEnd(),
      'steps: forward, backward and Adam of both networks (what the peer times, its events in memory); epoch: also streaming the Parquet shards, shuffling and batching',
      ...(torch
        ? [
            `torch GRU: ${torchPadded ? "every padded step, the state at the last real one (sciml's work)" : 'pack_padded_sequence (padded steps skipped)'}; kernel: ${torch.blas}`,
          ]
        : []),
      `peak RSS (sciml ${rssBackend}, 1 epoch): 2 shards ${'error' in rss2 ? rss2.error : rss2.rssMb.toFixed(0) + ' MB'}, 16 shards ${'error' in rss16 ? rss16.error : rss16.rssMb.toFixed(0) + ' MB'}`,
      ...skipped.map((s) => `skipped ${s}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    process.stdout.write(
      JSON.stringify({
        sciml_events_per_s: best?.stepEventsPerS ?? null,
        sciml_epoch_events_per_s: best?.eventsPerS ?? null,
        sciml_backend: best?.backend ?? null,
        torch_events_per_s: torch?.events_per_s ?? null,
        torch_gru: torchPadded ? 'padded' : 'packed',
        ratio: best && torch ? best.stepEventsPerS / torch.events_per_s : null,
        epoch_ratio: best && torch ? best.eventsPerS / torch.events_per_s : null,
        ratios: Object.fromEntries(runs.map((r) => [r.backend, torch ? r.stepEventsPerS / torch.events_per_s : null])),
        sciml_auc_macro: best?.auc ?? null,
        torch_auc_macro: torch?.auc_macro ?? null,
        hlf_auc_macro: best?.hlfAuc ?? null,
        paired_z: best?.z ?? null,
        torch_paired_z: torch?.paired_z ?? null,
        rss_mb_2_shards: 'error' in rss2 ? null : rss2.rssMb,
        rss_mb_16_shards: 'error' in rss16 ? null : rss16.rssMb,
        events: o.events,
        epochs: o.epochs,
        max_particles: o.maxParticles,
        units: o.units,
      }) + '\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
