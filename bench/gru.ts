/**
 * `npm run bench:gru`: training throughput (events/s) of a GRU classifier over padded particle
 * sequences, the particle model's recurrent core: GRU(50) over [128 events, 801 steps, 19
 * features] with trailing padding (real lengths uniform in [T/4, T]), the state at each event's
 * last real step, Dense(3), softmax cross-entropy, Adam.
 *   - sciml native: the fused oneDNN sequence op (src/runtime/native/recurrent.ts), 2 threads;
 *   - sciml wasm: the same model step by step in tfjs ops (the fallback), timed over one step of
 *     the first --wasm-batch events (16: a step of 128 takes minutes and GBs of tfjs tape);
 *   - PyTorch, 2 threads, same data: nn.GRU over every padded step (the same work as sciml), and
 *     with --packed also pack_padded_sequence (padded steps skipped: sciml does not skip them, so
 *     this is for reference; torch 1.13's packed CPU GRU took over 10 minutes for 3 steps here).
 *     The peer runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset in its command alone; the
 *     table names its kernels.
 * Options: --seconds S (10), --rounds N (2), --steps T (801), --batch B (128), --wasm-batch B (16),
 * --packed, --no-wasm, --no-torch.
 * Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, tf } from '../src/runtime/backend.js';
import { writeNpz } from '../src/data/npy.js';
import { Random } from '../src/runtime/random.js';
import { recurrentLastState } from '../src/runtime/native/recurrent.js';
import { loadNativeAddon } from '../src/runtime/native/addon.js';
import { recurrentEncodeStepwise } from '../src/models/particles/network.js';
import { parseOptions } from './options.js';
import { round1, throughputTable, type ThroughputRow } from './throughput-table.js';

type Options = {
  seconds: number;
  rounds: number;
  steps: number;
  batch: number;
  wasmBatch: number;
  wasm: boolean;
  torch: boolean;
  packed: boolean;
};

const FEATURES = 19;
const UNITS = 50;

interface Problem {
  x: Float32Array;
  lengths: Int32Array;
  labels: Int32Array;
  B: number;
  T: number;
}

function makeProblem(B: number, T: number): Problem {
  const r = new Random(12);
  const lengths = Int32Array.from({ length: B }, () => r.int(Math.ceil(T / 4), T));
  const x = new Float32Array(B * T * FEATURES);
  for (let b = 0; b < B; b++) for (let i = 0; i < lengths[b] * FEATURES; i++) x[b * T * FEATURES + i] = r.normal();
  const labels = Int32Array.from({ length: B }, () => r.int(0, 2));
  return { x, lengths, labels, B, T };
}

function firstEvents(p: Problem, n: number): Problem {
  return {
    x: p.x.subarray(0, n * p.T * FEATURES),
    lengths: p.lengths.subarray(0, n),
    labels: p.labels.subarray(0, n),
    B: n,
    T: p.T,
  };
}

/** The GRU classifier's variables, Keras layout (reset-after GRU), seeded. */
function makeVariables() {
  const init = (shape: number[], seed: number) => tf.variable(tf.randomUniform(shape, -0.1, 0.1, 'float32', seed));
  return {
    kernel: init([FEATURES, 3 * UNITS], 1),
    recurrentKernel: init([UNITS, 3 * UNITS], 2),
    bias: tf.variable(tf.zeros([3 * UNITS])),
    recurrentBias: tf.variable(tf.zeros([3 * UNITS])),
    dense: init([UNITS, 3], 3),
    denseBias: tf.variable(tf.zeros([3])),
  };
}

/** Events/s of Adam steps for about `seconds` (after one warm-up step), at least `minSteps`. */
function measureSciml(p: Problem, fused: boolean, seconds: number, minSteps: number): number {
  const v = makeVariables();
  const x = tf.tensor3d(p.x, [p.B, p.T, FEATURES]);
  const maskValues = new Float32Array(p.B * p.T);
  p.lengths.forEach((n, b) => maskValues.fill(1, b * p.T, b * p.T + n));
  const mask = tf.tensor2d(maskValues, [p.B, p.T]);
  const labels = tf.oneHot(tf.tensor1d(p.labels, 'int32'), 3);
  const optimizer = tf.train.adam(1e-3);
  const step = () =>
    tf.tidy(() => {
      optimizer.minimize(() => {
        const h = fused
          ? recurrentLastState('gru', x, p.lengths, UNITS, v)
          : recurrentEncodeStepwise('gru', x, mask, UNITS, v);
        const logits = tf.add(tf.matMul(h, v.dense), v.denseBias);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }, false);
    });
  step();
  let steps = 0;
  const t0 = performance.now();
  while (steps < minSteps || performance.now() - t0 < seconds * 1000) {
    step();
    steps++;
  }
  const rate = (steps * p.B) / ((performance.now() - t0) / 1000);
  optimizer.dispose();
  tf.dispose([x, mask, labels, ...Object.values(v)]);
  return rate;
}

interface TorchResult {
  events_per_s: number;
  torch: string;
  kernels: string;
}

function measureTorch(npz: string, seconds: number, mode: 'padded' | 'packed'): TorchResult | { error: string } {
  const script = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/gru_torch.py');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('/usr/bin/python3', [script, npz, String(UNITS), String(seconds), '2', mode], {
    encoding: 'utf8',
    timeout: 900_000,
    env,
  });
  if (r.error || r.status !== 0) {
    const text = `${r.error?.message ?? ''}${r.stderr ?? ''}`;
    if (/No module named 'torch'|ENOENT/.test(text))
      return { error: 'PyTorch not found for /usr/bin/python3: apt-get install python3-torch' };
    return { error: `torch peer failed: ${text.trim().split('\n').slice(-1)[0]}` };
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult;
}

async function main(): Promise<void> {
  const o = parseOptions<Options>(
    process.argv.slice(2),
    { seconds: 10, rounds: 2, steps: 801, batch: 128, wasmBatch: 16, wasm: true, torch: true, packed: false },
    ['seconds'],
  );
  const p = makeProblem(o.batch, o.steps);
  const dir = mkdtempSync(join(tmpdir(), 'sciml-bench-gru-'));
  const npz = join(dir, 'gru.npz');
  writeNpz(npz, {
    x: { shape: [p.B, p.T, FEATURES], data: p.x },
    lengths: { shape: [p.B], data: p.lengths },
    labels: { shape: [p.B], data: p.labels },
  });
  const figures: Record<string, number | string | null> = {};
  const rows: ThroughputRow[] = [];
  try {
    const nativeError = loadNativeAddon().error;
    let native: number | null = null;
    let torch: number | null = null;
    let torchPacked: number | null = null;
    let torchNote = '';
    let torchInfo = '';
    if (!nativeError) {
      const info = await initBackend('native');
      for (let round = 0; round < o.rounds; round++) {
        native = Math.max(native ?? 0, measureSciml(p, true, o.seconds, 3));
        if (o.torch && !torchNote) {
          const t = measureTorch(npz, o.seconds, 'padded');
          if ('error' in t) torchNote = t.error;
          else {
            torch = Math.max(torch ?? 0, t.events_per_s);
            torchInfo = `torch ${t.torch} (${t.kernels})`;
          }
        }
      }
      rows.push(
        row(
          `sciml native (fused oneDNN GRU; engine ${info.engine?.threads} threads, a step this small on 1)`,
          native,
          `best of ${o.rounds} rounds; ${info.engine?.isa}`,
        ),
      );
    } else rows.push(row('sciml native', null, `engine ${nativeError}`));
    if (o.torch && o.packed && !torchNote) {
      const t = measureTorch(npz, o.seconds, 'packed');
      if (!('error' in t)) torchPacked = t.events_per_s;
    }
    let wasm: number | null = null;
    if (o.wasm) {
      await initBackend('wasm');
      wasm = measureSciml(firstEvents(p, Math.min(o.wasmBatch, p.B)), false, 0, 1);
    }
    rows.push(
      row(
        'sciml wasm (step by step, 1 thread)',
        wasm,
        o.wasm ? `one step of ${Math.min(o.wasmBatch, p.B)} events` : 'skipped',
      ),
    );
    rows.push(
      row(
        'PyTorch nn.GRU, 2 threads, all padded steps',
        torch,
        torchNote || (o.torch ? `${torchInfo}, best of ${o.rounds} rounds` : 'skipped'),
      ),
    );
    if (o.packed)
      rows.push(
        row(
          'PyTorch nn.GRU, 2 threads, pack_padded_sequence',
          torchPacked,
          torchNote || 'padded steps skipped; one round',
        ),
      );
    figures.backend = nativeError ? 'wasm' : 'native';
    figures.sciml_train_events_per_s = native === null ? null : round1(native);
    figures.torch_train_events_per_s = torch === null ? null : round1(torch);
    figures.ratio = native === null || torch === null ? null : Number((native / torch).toFixed(2));
    figures.torch_packed_events_per_s = torchPacked === null ? null : round1(torchPacked);
    figures.ratio_vs_packed =
      native === null || torchPacked === null ? null : Number((native / torchPacked).toFixed(2));
    figures.wasm_train_events_per_s = wasm === null ? null : round1(wasm);
    figures.batch = p.B;
    figures.steps = p.T;
    figures.units = UNITS;
    figures.torch_kernels = torchInfo || null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `GRU(${UNITS}) classifier training throughput (${p.B} events x ${p.T} steps x ${FEATURES} features, trailing padding, Adam)`,
  );
  process.stdout.write(throughputTable('events/s', rows));
  console.log(`ratio sciml native / torch (same padded work, 2 threads): ${figures.ratio ?? '-'}  (goal >= 5)`);
  console.log(JSON.stringify(figures));
}

function row(name: string, perS: number | null, note: string): ThroughputRow {
  return { name, perS, note };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
