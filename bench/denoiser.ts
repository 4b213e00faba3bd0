/**
 * `npm run bench:denoiser`: training throughput (traces per second) of the default denoiser
 * architecture, Adam, batch 64, on the same simulated traces:
 *   - sciml on each available backend (tensorflow when tfjs-node is installed, wasm, cpu), with one
 *     model replica and with data-parallel replicas on every core (training.distributed.replicas:
 *     `train-replica` jobs of local SGD on local threads, each on its own shard);
 *   - PyTorch on the CPU with 2 threads and 1 thread (Debian's /usr/bin/python3, python3-torch),
 *     with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset in its command alone (set, they hold
 *     Debian's OpenBLAS to older kernels on this CPU); the table names the kernels it ran.
 * Timings on shared cores are noisy: sciml and torch (2 threads) run interleaved in rounds and
 * each keeps its best round; torch also gets its better OpenMP wait policy (see measureTorch). The ratio compares sciml's best backend with its default
 * workers against torch on 2 threads.
 *
 * Options: --seconds S per measurement (8), --rounds N (2), --traces N (2048), --no-cpu, --no-torch.
 * Prints a table, then one JSON line of figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, type BackendChoice } from '../src/runtime/backend.js';
import { simulateTraces } from '../src/data/radio/simulator.js';
import { writeNpz } from '../src/data/npy.js';
import { architectureOf, denoiserSchema } from '../src/models/denoiser/config.js';
import { createAdamState } from '../src/models/denoiser/adam.js';
import { denoiserReplicas, packTraceShard } from '../src/models/denoiser/distributed.js';
import { Replica, readParams } from '../src/models/denoiser/replica.js';
import { LocalExecutor } from '../src/execution/local.js';
import { jobs } from '../src/registry.js';
import { blobHash } from '../src/execution/files.js';
import { shardRows } from '../src/distributed/local-sgd.js';
import { packReplicaState } from '../src/distributed/state-blob.js';
import { trainReplicaHandler, type ReplicaPayload } from '../src/distributed/replica-job.js';
import { loadNativeAddon } from '../src/runtime/native/addon.js';
import { parseOptions } from './options.js';
import { round1, throughputTable, type ThroughputRow } from './throughput-table.js';

type Options = {
  seconds: number;
  rounds: number;
  traces: number;
  cpu: boolean;
  torch: boolean;
};

const config = denoiserSchema.parse({ task: 'denoiser' });
const arch = architectureOf(config);
const batchSize = config.training.batch_size;

/**
 * sciml training for about `seconds`: `workers` replicas, each a `train-replica` job of local SGD
 * on its own shard (in this thread for one replica, on local threads otherwise), as
 * training.distributed.replicas trains; traces/s over all replicas.
 */
async function measureSciml(
  backend: Exclude<BackendChoice, 'auto'>,
  workers: number,
  data: { length: number; noisy: Float32Array; signal: Float32Array },
  seconds: number,
  minSteps: number,
): Promise<number> {
  await initBackend(backend);
  const n = data.noisy.length / data.length;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const shards = Array.from({ length: workers }, (_, r) => packTraceShard(data, shardRows(all, r, workers)));
  const model = new Replica(arch, 1, data).model;
  const state = packReplicaState({ params: readParams(model), adam: createAdamState(readParams(model).length) });
  model.dispose();
  const executor = workers > 1 ? new LocalExecutor({ jobs, slots: workers }) : undefined;
  const run = async (steps: number) => {
    const jobs = shards.map((shard, replica) => {
      const payload: ReplicaPayload = {
        family: 'denoiser',
        spec: { arch, seed: 1 },
        shardKey: blobHash(shard),
        backend,
        seed: 1,
        replica,
        replicas: workers,
        round: 0,
        epoch: 0,
        fromStep: 0,
        toStep: Math.min(steps, Math.ceil(n / workers / batchSize)),
        batchSize,
        learningRate: config.training.learning_rate,
      };
      const inputs = { shard, state };
      if (!executor)
        return Promise.resolve(
          trainReplicaHandler(async () => denoiserReplicas)(payload, inputs, {
            jobId: 'bench',
            signal: new AbortController().signal,
            progress: () => {},
            scratchDir: '',
          }),
        ).then((o) => o.result.examples);
      return executor
        .submit<{ examples: number }>({
          kind: 'train-replica',
          id: `bench-${replica}-${Math.random()}`,
          payload,
          inputs,
        })
        .then((o) => {
          if (o.status !== 'ok') throw new Error(o.error);
          return o.result!.examples;
        });
    });
    return (await Promise.all(jobs)).reduce((a, b) => a + b, 0);
  };
  try {
    await run(2); // warm-up: threads, backends and models built
    let examples = 0;
    let steps = 0;
    const t0 = performance.now();
    while (steps < minSteps || performance.now() - t0 < seconds * 1000) {
      examples += await run(10);
      steps += 10;
    }
    return examples / ((performance.now() - t0) / 1000);
  } finally {
    await executor?.close();
  }
}

interface TorchResult {
  traces_per_s: number;
  parameters: number;
  torch: string;
  kernels: string;
}

/**
 * One torch measurement. `passive` sets OMP_WAIT_POLICY=PASSIVE: with the default (spinning)
 * policy torch's OpenMP threads slow down by up to 10x when other processes share the cores, so
 * each round tries both and torch keeps its better figure.
 */
function measureTorch(
  npz: string,
  threads: number,
  seconds: number,
  passive: boolean,
): TorchResult | { error: string } {
  const script = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/denoiser_torch.py');
  const env: NodeJS.ProcessEnv = { ...process.env, ...(passive ? { OMP_WAIT_POLICY: 'PASSIVE' } : {}) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync(
    '/usr/bin/python3',
    [script, npz, JSON.stringify(arch), String(batchSize), String(seconds), String(threads)],
    { encoding: 'utf8', timeout: 600_000, env },
  );
  if (r.error || r.status !== 0) {
    const text = `${r.error?.message ?? ''}${r.stderr ?? ''}`;
    if (/No module named 'torch'|No module named 'numpy'|ENOENT/.test(text))
      return { error: 'PyTorch not found for /usr/bin/python3: install it with apt-get install python3-torch' };
    return { error: `torch peer failed: ${text.trim().split('\n').slice(-1)[0]}` };
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult;
}

async function availableBackends(cpu: boolean): Promise<Exclude<BackendChoice, 'auto'>[]> {
  const out: Exclude<BackendChoice, 'auto'>[] = [];
  try {
    await import('@tensorflow/tfjs-node' as string);
    out.push('node');
  } catch {
    // tfjs-node is optional and usually absent
  }
  if (!loadNativeAddon().error) out.push('native');
  out.push('wasm');
  if (cpu) out.push('cpu');
  return out;
}

async function main(): Promise<void> {
  const o = parseOptions<Options>(
    process.argv.slice(2),
    { seconds: 8, rounds: 2, traces: 2048, cpu: true, torch: true },
    ['seconds'],
  );
  const cores = availableParallelism();
  const traces = simulateTraces(o.traces, 7, config.data.simulation);
  const data = { length: arch.length, noisy: traces.noisy, signal: traces.signal };
  const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-denoiser-'));
  const npz = join(dir, 'traces.npz');
  writeNpz(npz, {
    noisy: { shape: [traces.count, arch.length], data: traces.noisy },
    signal: { shape: [traces.count, arch.length], data: traces.signal },
  });
  const rows: ThroughputRow[] = [];
  const figures: Record<string, number | string | null> = {};
  try {
    const backends = await availableBackends(o.cpu);
    const fast = backends.filter((b) => b !== 'cpu');
    // One replica by default on native and tensorflow (their engines use every core); 1, default and all-core counts are measured.
    const defaultWorkers = (b: string) => (b === 'node' || b === 'native' ? 1 : cores);
    const best: Record<string, number> = {};
    let torch2: number | null = null;
    let torchNote = '';
    let torchVersion = '';
    let torchKernels = '';
    for (let round = 0; round < o.rounds; round++) {
      for (const b of fast) {
        for (const w of [...new Set([1, defaultWorkers(b), cores])]) {
          const key = `${b}_w${w}`;
          best[key] = Math.max(best[key] ?? 0, await measureSciml(b, w, data, o.seconds, 3));
        }
      }
      for (const passive of o.torch && !torchNote ? [false, true] : []) {
        const t = measureTorch(npz, 2, o.seconds, passive);
        if ('error' in t) torchNote = t.error;
        else {
          torch2 = Math.max(torch2 ?? 0, t.traces_per_s);
          torchVersion = t.torch;
          torchKernels = t.kernels;
        }
      }
    }
    if (o.cpu) best.cpu_w1 = await measureSciml('cpu', 1, data, 1, 1);
    let torch1: number | null = null;
    if (o.torch && !torchNote) {
      const t = measureTorch(npz, 1, o.seconds, false);
      if (!('error' in t)) torch1 = t.traces_per_s;
    }
    for (const [key, v] of Object.entries(best)) {
      const [b, w] = key.split('_w');
      rows.push({
        name: `sciml ${b}, ${w} replica${w === '1' ? '' : 's'}`,
        perS: v,
        note: b === 'cpu' ? 'one step' : `best of ${o.rounds} rounds`,
      });
      figures[`sciml_${b}_workers${w}_traces_per_s`] = round1(v);
    }
    rows.push({
      name: 'PyTorch CPU, 2 threads',
      perS: torch2,
      note:
        torchNote ||
        (!o.torch
          ? 'skipped'
          : `torch ${torchVersion} (${torchKernels}), best of ${o.rounds} rounds x 2 OpenMP wait policies`),
    });
    rows.push({ name: 'PyTorch CPU, 1 thread', perS: torch1, note: torchNote || (o.torch ? 'one round' : 'skipped') });
    const primary = fast[0];
    const sciml = best[`${primary}_w${defaultWorkers(primary)}`];
    figures.backend = primary;
    figures.sciml_backend = primary;
    figures.sciml_workers = defaultWorkers(primary);
    figures.sciml_train_traces_per_s = round1(sciml);
    figures.torch_train_traces_per_s = torch2 === null ? null : round1(torch2);
    figures.torch_1thread_traces_per_s = torch1 === null ? null : round1(torch1);
    figures.ratio = torch2 === null ? null : Number((sciml / torch2).toFixed(3));
    const wasm = best[`wasm_w${defaultWorkers('wasm')}`];
    figures.wasm_train_traces_per_s = wasm === undefined ? null : round1(wasm);
    figures.wasm_ratio = torch2 === null || wasm === undefined ? null : Number((wasm / torch2).toFixed(3));
    figures.torch_kernels = torchKernels || null;
    figures.batch_size = batchSize;
    figures.architecture = `filters ${arch.filters.join('/')} kernel ${arch.kernelSize} ${arch.pooling} pooling`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `denoiser training throughput (${arch.length}-sample traces, batch ${batchSize}, Adam, MSE; ${cores} cores)`,
  );
  process.stdout.write(throughputTable('traces/s', rows));
  console.log(
    `ratio sciml (${figures.sciml_backend}, ${figures.sciml_workers} workers) / torch (2 threads): ${figures.ratio ?? '-'}  (goal >= 1.3)`,
  );
  console.log(JSON.stringify(figures));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
