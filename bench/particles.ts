/**
 * `npm run bench:particles`: the Inclusive Classifier (masked GRU + HLF) with its in-run HLF
 * classifier, in sciml and in PyTorch, on the same simulated events, the same model sizes, batch,
 * optimizer, learning rate and epochs:
 *   - training throughput (events/s; both networks step on every batch, in both frameworks);
 *   - macro ROC AUC of both networks on the same held-out events, and McNemar's z of the pair;
 *   - sciml's peak resident memory training on the same events held in 2 and in 16 shards.
 * sciml runs as `sciml train` (one process per backend present: wasm always, others when they
 * start); PyTorch is Debian's /usr/bin/python3 with 2 threads, OPENBLAS_* unset in its command.
 * Options: --events N (4000), --epochs E (2), --max-particles P (20), --units U (32), --no-torch.
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

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'sciml.js');

type Options = {
  events: number;
  epochs: number;
  maxParticles: number;
  units: number;
  torch: boolean;
};


interface SciRun {
  backend: string;
  eventsPerS: number;
  auc: number;
  hlfAuc: number;
  z: number;
  rssMb: number;
}

function sciml(config: string, out: string, backend: string, sets: string[]): SciRun | { error: string } {
  const args = ['-f', '%M', process.execPath, bin, 'train', config, '--backend', backend, '--json', '--out', out, ...sets.flatMap((s) => ['--set', s])];
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 64 << 20 });
  if (r.status !== 0) return { error: (r.stderr || '').trim().split('\n').slice(-3).join(' ') };
  const summary = JSON.parse(r.stdout);
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  const rssKb = Number((r.stderr || '').trim().split('\n').pop());
  return { backend, eventsPerS: metrics.train_events_per_s, auc: summary.auc_macro, hlfAuc: summary.baseline?.auc_macro ?? NaN, z: summary.paired?.z ?? NaN, rssMb: rssKb / 1024 };
}

async function exportForTorch(path: string, file: string, seed: number, fractions: { validation: number; test: number }, P: number): Promise<void> {
  const ds = await openEventDataset(path);
  const arrays: Record<string, { shape: number[]; data: Float32Array | Int32Array }> = {};
  for (const part of ['train', 'test'] as const) {
    const events: ParticleEvent[] = [];
    for await (const e of streamEvents(ds, { seed, epoch: 0, shuffleBuffer: 0, filter: partFilter(ds, seed, part, fractions) })) events.push(e);
    const F = N_PARTICLE_FEATURES;
    const particles = new Float32Array(events.length * P * F);
    events.forEach((e, i) => {
      const kept = Math.min(e.count, P);
      particles.set(e.particles.subarray((e.count - kept) * F, e.count * F), i * P * F);
    });
    arrays[`${part}_particles`] = { shape: [events.length, P, F], data: particles };
    arrays[`${part}_hlf`] = { shape: [events.length, N_HLF], data: Float32Array.from(events.flatMap((e) => Array.from(e.hlf))) };
    arrays[`${part}_count`] = { shape: [events.length], data: Int32Array.from(events, (e) => Math.min(e.count, P)) };
    arrays[`${part}_label`] = { shape: [events.length], data: Int32Array.from(events, (e) => e.label) };
  }
  writeNpz(file, arrays);
}

async function main(): Promise<void> {
  const o = parseOptions<Options>(process.argv.slice(2), { events: 4000, epochs: 2, maxParticles: 20, units: 32, torch: true });
  const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-particles-'));
  try {
    const seed = 11;
    const write = { layout: 'flat' as const, maxParticles: o.maxParticles, rowGroupSize: 500 };
    writeSimulatedDataset(join(dir, 'ev2'), o.events, 2, seed, write);
    writeSimulatedDataset(join(dir, 'ev16'), o.events, 16, seed, write); // the same events, in 16 files
    const settings = { seed: 1, units: o.units, dense: [25], baseline_dense: [50, 20, 10], dropout: 0.2, learning_rate: 0.002, batch_size: 128, epochs: o.epochs };
    const fractions = { validation: 0.1, test: 0.2 };
    const config = join(dir, 'particles.yaml');
    writeFileSync(config, `task: particles
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
`);
    const runs: SciRun[] = [];
    const skipped: string[] = [];
    for (const backend of BACKEND_CHOICES.filter((b) => b !== 'auto' && b !== 'cpu')) {
      const r = sciml(config, join(dir, `run-${backend}`), backend, []);
      if ('error' in r) skipped.push(`${backend}: ${r.error.slice(0, 160)}`);
      else runs.push(r);
    }
    const rss2 = sciml(config, join(dir, 'rss-2'), 'wasm', ['training.epochs=1']);
    const rss16 = sciml(config, join(dir, 'rss-16'), 'wasm', ['training.epochs=1', 'data.path=ev16']);
    let torch: { events_per_s: number; auc_macro: number; hlf_auc_macro: number; paired_z: number; threads: number; torch: string; blas: string } | undefined;
    if (o.torch) {
      const npz = join(dir, 'torch.npz');
      await exportForTorch(join(dir, 'ev2'), npz, settings.seed, fractions, o.maxParticles);
      const r = spawnSync('env', ['-u', 'OPENBLAS_CORETYPE', '-u', 'OPENBLAS_L2_SIZE', '/usr/bin/python3', join(root, 'bench', 'particles_torch.py'), npz, JSON.stringify(settings), '2'], { encoding: 'utf8' });
      if (r.status === 0) torch = JSON.parse(r.stdout.trim().split('\n').pop()!);
      else skipped.push(`torch: ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}`);
    }
    const best = runs.reduce<SciRun | undefined>((a, b) => (!a || b.eventsPerS > a.eventsPerS ? b : a), undefined);
    const lines = [
      `bench:particles: ${o.events} events (${o.maxParticles} particles kept), GRU(${o.units}) + HLF, batch 128, Adam lr ${settings.learning_rate}, ${o.epochs} epochs; both networks step on every batch`,
      `${'engine'.padEnd(24)}${'events/s'.padStart(10)}${'ratio'.padStart(8)}${'AUC'.padStart(8)}${'HLF AUC'.padStart(9)}${'paired z'.padStart(10)}`,
      ...runs.map((r) => `${('sciml ' + r.backend).padEnd(24)}${r.eventsPerS.toFixed(0).padStart(10)}${(torch ? (r.eventsPerS / torch.events_per_s).toFixed(2) : '-').padStart(8)}${r.auc.toFixed(4).padStart(8)}${r.hlfAuc.toFixed(4).padStart(9)}${r.z.toFixed(2).padStart(10)}`),
      ...(torch ? [`${`torch ${torch.torch} (${torch.threads} thr)`.padEnd(24)}${torch.events_per_s.toFixed(0).padStart(10)}${'1.00'.padStart(8)}${torch.auc_macro.toFixed(4).padStart(8)}${torch.hlf_auc_macro.toFixed(4).padStart(9)}${torch.paired_z.toFixed(2).padStart(10)}`, `torch kernel: ${torch.blas}`] : []),
      `peak RSS (sciml wasm, 1 epoch): 2 shards ${'error' in rss2 ? rss2.error : rss2.rssMb.toFixed(0) + ' MB'}, 16 shards ${'error' in rss16 ? rss16.error : rss16.rssMb.toFixed(0) + ' MB'}`,
      ...skipped.map((s) => `skipped ${s}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    process.stdout.write(
      JSON.stringify({
        sciml_events_per_s: best?.eventsPerS ?? null,
        sciml_backend: best?.backend ?? null,
        torch_events_per_s: torch?.events_per_s ?? null,
        ratio: best && torch ? best.eventsPerS / torch.events_per_s : null,
        ratios: Object.fromEntries(runs.map((r) => [r.backend, torch ? r.eventsPerS / torch.events_per_s : null])),
        sciml_auc_macro: best?.auc ?? null,
        torch_auc_macro: torch?.auc_macro ?? null,
        hlf_auc_macro: best?.hlfAuc ?? null,
        paired_z: best?.z ?? null,
        torch_paired_z: torch?.paired_z ?? null,
        rss_mb_2_shards: 'error' in rss2 ? null : rss2.rssMb,
        rss_mb_16_shards: 'error' in rss16 ? null : rss16.rssMb,
        events: o.events,
        epochs: o.epochs,
      }) + '\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
