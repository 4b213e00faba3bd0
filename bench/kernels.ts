/**
 * `npm run bench:kernels`: training speed of a small 1-D conv autoencoder (the denoiser's shape:
 * Conv1D, max-pooling, upsampling through upSampling2d) on
 *   - wasm with sciml's composed Conv2DBackpropInput (XNNPACK Conv2D),
 *   - wasm with tfjs's stock Conv2DBackpropInput loop (everything else identical; the composed
 *     Conv2DBackpropFilter is needed in both, wasm has no other),
 *   - the cpu backend,
 *   - PyTorch on one thread (Debian's /usr/bin/python3), when installed, for scale.
 * The two wasm configurations run back to back in each round (order alternating), so both see
 * the same load on shared cores: steps/s is each one's best round, and the speedup is the median
 * over rounds of the paired ratios. cpu, 100x slower, gets one round of one step. Also times
 * Conv2DBackpropInput alone, and checks that the stock and composed kernels give the same
 * gradients.
 *
 * Options: --batch N (16), --length N (256), --seconds S per config per round (1),
 * --rounds N (5), --no-peers, --no-cpu.
 * Prints a table, then one JSON line of figures.
 */
import { spawnSync } from 'node:child_process';
import { initBackend, tf } from '../src/runtime/backend.js';
import { setKernelPatch } from '../src/runtime/kernels/patches.js';
import { Random } from '../src/runtime/random.js';
import { parseOptions } from './options.js';

type Options = {
  batch: number;
  length: number;
  seconds: number;
  rounds: number;
  peers: boolean;
  cpu: boolean;
};

function parseCommandLine(argv: string[]): Options {
  const o = parseOptions<Options>(argv, { batch: 16, length: 256, seconds: 1, rounds: 5, peers: true, cpu: true }, [
    'seconds',
  ]);
  if (o.length % 4 !== 0) throw new Error(`--length: expected a multiple of 4, got ${o.length}`);
  return o;
}

const FILTERS = [16, 32, 32];
const KERNEL = 9;

function autoencoder(length: number): tf.LayersModel {
  let seed = 1;
  const conv = (filters: number, activation?: 'relu') =>
    tf.layers.conv1d({
      filters,
      kernelSize: KERNEL,
      padding: 'same',
      activation,
      kernelInitializer: tf.initializers.heNormal({ seed: seed++ }),
    });
  const upsample = (h: tf.SymbolicTensor) => {
    const [, len, ch] = h.shape as number[];
    const r = tf.layers.reshape({ targetShape: [len, 1, ch] }).apply(h) as tf.SymbolicTensor;
    const u = tf.layers.upSampling2d({ size: [2, 1] }).apply(r) as tf.SymbolicTensor;
    return tf.layers.reshape({ targetShape: [len * 2, ch] }).apply(u) as tf.SymbolicTensor;
  };
  const input = tf.input({ shape: [length, 1] });
  let h = conv(FILTERS[0], 'relu').apply(input) as tf.SymbolicTensor;
  h = tf.layers.maxPooling1d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = conv(FILTERS[1], 'relu').apply(h) as tf.SymbolicTensor;
  h = tf.layers.maxPooling1d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = conv(FILTERS[2], 'relu').apply(h) as tf.SymbolicTensor;
  h = upsample(h);
  h = conv(FILTERS[0], 'relu').apply(h) as tf.SymbolicTensor;
  h = upsample(h);
  const output = conv(1).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

/** A noisy-sine batch: the task the denoiser trains on, deterministic. */
function batchData(o: Options): { x: tf.Tensor3D; y: tf.Tensor3D } {
  const random = new Random(1);
  const clean = new Float32Array(o.batch * o.length);
  const noisy = new Float32Array(o.batch * o.length);
  for (let b = 0; b < o.batch; b++) {
    for (let t = 0; t < o.length; t++) {
      const v = Math.sin((2 * Math.PI * (b + 3) * t) / o.length);
      clean[b * o.length + t] = v;
      noisy[b * o.length + t] = v + random.normal(0, 0.1);
    }
  }
  return { x: tf.tensor3d(noisy, [o.batch, o.length, 1]), y: tf.tensor3d(clean, [o.batch, o.length, 1]) };
}

interface Trainer {
  step(): void;
  dispose(): void;
}

function trainer(o: Options): Trainer {
  const model = autoencoder(o.length);
  const optimizer = tf.train.adam(1e-3);
  const { x, y } = batchData(o);
  return {
    step() {
      const loss = optimizer.minimize(
        () => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        true,
      );
      loss!.dataSync();
      loss!.dispose();
    },
    dispose() {
      model.dispose();
      optimizer.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

/** Steps per second over about `seconds` (at least `minSteps` steps), after one warm-up step. */
function timeSteps(t: Trainer, seconds: number, minSteps: number): number {
  t.step();
  const start = performance.now();
  let steps = 0;
  while (steps < minSteps || performance.now() - start < seconds * 1000) {
    t.step();
    steps++;
  }
  return (steps * 1000) / (performance.now() - start);
}

interface Config {
  name: string;
  backend: 'wasm' | 'cpu';
  stockBackpropInput: boolean;
}

async function activate(c: Config): Promise<void> {
  await initBackend(c.backend);
  if (c.backend === 'wasm') setKernelPatch('wasm', 'Conv2DBackpropInput', !c.stockBackpropInput);
}

/** Largest |stock - composed| over all weight gradients, relative to the largest gradient. */
async function gradientAgreement(o: Options): Promise<number> {
  await initBackend('wasm');
  const model = autoencoder(o.length);
  const { x, y } = batchData(o);
  const grads = (stock: boolean) => {
    setKernelPatch('wasm', 'Conv2DBackpropInput', !stock);
    const { grads: g } = tf.variableGrads(
      () => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar,
    );
    const out = Object.keys(g)
      .sort()
      .map((k) => g[k].dataSync().slice());
    Object.values(g).forEach((t) => t.dispose());
    return out;
  };
  const a = grads(true);
  const b = grads(false);
  setKernelPatch('wasm', 'Conv2DBackpropInput', true);
  let diff = 0;
  let scale = 0;
  a.forEach((ga, i) =>
    ga.forEach((v, j) => ((diff = Math.max(diff, Math.abs(v - b[i][j]))), (scale = Math.max(scale, Math.abs(v))))),
  );
  model.dispose();
  x.dispose();
  y.dispose();
  return diff / scale;
}

/** Calls per second of Conv2DBackpropInput alone (the decoder's widest layer, stride 1 and 2). */
async function backpropInputCalls(o: Options, stock: boolean, stride: number): Promise<number> {
  await initBackend('wasm');
  setKernelPatch('wasm', 'Conv2DBackpropInput', !stock);
  const width = o.length / 2;
  const out = Math.ceil(width / stride);
  const dy = tf.randomNormal([o.batch, 1, out, FILTERS[1]], 0, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomNormal([1, KERNEL, FILTERS[0], FILTERS[1]], 0, 1, 'float32', 2) as tf.Tensor4D;
  const call = () => tf.conv2dTranspose(dy, filter, [o.batch, 1, width, FILTERS[0]], [1, stride], 'same').dispose();
  call();
  const start = performance.now();
  let n = 0;
  while (n < 3 || performance.now() - start < 500) {
    call();
    n++;
  }
  const rate = (n * 1000) / (performance.now() - start);
  dy.dispose();
  filter.dispose();
  setKernelPatch('wasm', 'Conv2DBackpropInput', true);
  return rate;
}

const PEER_SCRIPT = String.raw`
import json, sys, time
try:
    import torch
except ImportError as e:
    print(json.dumps({"error": "python3-torch missing (%s): apt-get install python3-torch" % e})); sys.exit(0)
batch, length, seconds, rounds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(1)
torch.manual_seed(1)
K, F = 9, [16, 32, 32]
nn = torch.nn
model = nn.Sequential(
    nn.Conv1d(1, F[0], K, padding=K // 2), nn.ReLU(), nn.MaxPool1d(2),
    nn.Conv1d(F[0], F[1], K, padding=K // 2), nn.ReLU(), nn.MaxPool1d(2),
    nn.Conv1d(F[1], F[2], K, padding=K // 2), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
    nn.Conv1d(F[2], F[0], K, padding=K // 2), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
    nn.Conv1d(F[0], 1, K, padding=K // 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
t = torch.arange(length, dtype=torch.float32)
y = torch.stack([torch.sin(2 * torch.pi * (b + 3) * t / length) for b in range(batch)]).unsqueeze(1)
x = y + 0.1 * torch.randn_like(y)
def step():
    opt.zero_grad()
    loss = torch.mean((model(x) - y) ** 2)
    loss.backward()
    opt.step()
    return loss.item()
step()
best = 0.0
for _ in range(rounds):
    start, n = time.perf_counter(), 0
    while n < 2 or time.perf_counter() - start < seconds:
        step(); n += 1
    best = max(best, n / (time.perf_counter() - start))
print(json.dumps({"steps_per_s": best, "torch": torch.__version__, "threads": torch.get_num_threads()}))
`;

function torchPeer(o: Options): { stepsPerS?: number; note: string } {
  const python = '/usr/bin/python3';
  const r = spawnSync(
    python,
    ['-c', PEER_SCRIPT, String(o.batch), String(o.length), String(o.seconds), String(o.rounds)],
    { encoding: 'utf8' },
  );
  if (r.error) return { note: `${python} not found: apt-get install python3 python3-torch` };
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const out = JSON.parse(line);
    if (out.error) return { note: out.error };
    return { stepsPerS: out.steps_per_s, note: `torch ${out.torch}, ${out.threads} thread` };
  } catch {
    return { note: `peer failed: ${(r.stderr || line).trim().split('\n').pop()}` };
  }
}

async function main(): Promise<void> {
  const o = parseCommandLine(process.argv.slice(2));
  const configs: Config[] = [
    { name: 'wasm, composed Conv2DBackpropInput', backend: 'wasm', stockBackpropInput: false },
    { name: 'wasm, stock Conv2DBackpropInput', backend: 'wasm', stockBackpropInput: true },
  ];
  if (o.cpu) configs.push({ name: 'cpu', backend: 'cpu', stockBackpropInput: false });
  const best = new Map<string, number>();
  const trainers = new Map<string, Trainer>();
  for (const c of configs) {
    await activate(c);
    trainers.set(c.name, trainer(o));
  }
  const ratios: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const order = r % 2 === 0 ? configs : [configs[1], configs[0], ...configs.slice(2)];
    const rates = new Map<string, number>();
    for (const c of order) {
      // cpu is 100x slower: one round, one timed step.
      if (c.backend === 'cpu' && r > 0) continue;
      await activate(c);
      const rate =
        c.backend === 'cpu' ? timeSteps(trainers.get(c.name)!, 0, 1) : timeSteps(trainers.get(c.name)!, o.seconds, 2);
      best.set(c.name, Math.max(best.get(c.name) ?? 0, rate));
      rates.set(c.name, rate);
      process.stderr.write(`round ${r + 1}/${o.rounds}: ${c.name}: ${rate.toFixed(2)} steps/s\n`);
    }
    ratios.push(rates.get(configs[0].name)! / rates.get(configs[1].name)!);
  }
  const speedup = median(ratios);
  for (const c of configs) {
    await activate(c);
    trainers.get(c.name)!.dispose();
  }
  await initBackend('wasm');
  setKernelPatch('wasm', 'Conv2DBackpropInput', true);

  const agreement = await gradientAgreement(o);
  const calls = {
    stride1: { composed: await backpropInputCalls(o, false, 1), stock: await backpropInputCalls(o, true, 1) },
    stride2: { composed: await backpropInputCalls(o, false, 2), stock: await backpropInputCalls(o, true, 2) },
  };
  const peer = o.peers ? torchPeer(o) : { note: 'skipped (--no-peers)' };

  const patched = best.get(configs[0].name)!;
  const stock = best.get(configs[1].name)!;
  const cpu = o.cpu ? best.get('cpu')! : undefined;
  const rows: [string, string, string][] = [
    ['configuration', 'steps/s', 'vs wasm stock'],
    ...configs.map((c): [string, string, string] => [
      c.name,
      best.get(c.name)!.toFixed(2),
      `${(best.get(c.name)! / stock).toFixed(2)}x`,
    ]),
  ];
  if (peer.stepsPerS !== undefined)
    rows.push([`PyTorch (${peer.note})`, peer.stepsPerS.toFixed(2), `${(peer.stepsPerS / stock).toFixed(2)}x`]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const out: string[] = [];
  out.push(
    `conv autoencoder training step: batch ${o.batch}, length ${o.length}, filters ${FILTERS.join('/')}, kernel ${KERNEL}; best of ${o.rounds} rounds`,
  );
  out.push(fmt(rows[0]), ...rows.slice(1).map(fmt));
  out.push(
    `composed vs stock Conv2DBackpropInput, median of ${o.rounds} paired rounds: ${speedup.toFixed(2)}x (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
  );
  if (peer.stepsPerS === undefined) out.push(`PyTorch peer: ${peer.note}`);
  out.push('');
  out.push(
    `Conv2DBackpropInput alone, dy [${o.batch},1,${o.length / 2},${FILTERS[1]}] -> [${o.batch},1,${o.length / 2},${FILTERS[0]}], kernel ${KERNEL}:`,
  );
  out.push(
    `  stride 1: composed ${calls.stride1.composed.toFixed(1)}/s, stock ${calls.stride1.stock.toFixed(1)}/s (${(calls.stride1.composed / calls.stride1.stock).toFixed(1)}x)`,
  );
  out.push(
    `  stride 2: composed ${calls.stride2.composed.toFixed(1)}/s, stock ${calls.stride2.stock.toFixed(1)}/s (${(calls.stride2.composed / calls.stride2.stock).toFixed(1)}x)`,
  );
  out.push(`gradients, stock vs composed: max difference ${agreement.toExponential(1)} of the largest gradient`);
  process.stdout.write(out.join('\n') + '\n');
  const figures = {
    wasm_patched_steps_per_s: round(patched),
    wasm_stock_steps_per_s: round(stock),
    cpu_steps_per_s: cpu === undefined ? null : round(cpu),
    torch_1thread_steps_per_s: peer.stepsPerS === undefined ? null : round(peer.stepsPerS),
    speedup: round(speedup),
    wasm_vs_cpu: cpu === undefined ? null : round(patched / cpu),
    backprop_input_speedup_stride1: round(calls.stride1.composed / calls.stride1.stock),
    backprop_input_speedup_stride2: round(calls.stride2.composed / calls.stride2.stock),
    gradient_rel_diff: Number(agreement.toExponential(2)),
  };
  process.stdout.write(JSON.stringify(figures) + '\n');
}

const round = (v: number) => Math.round(v * 1000) / 1000;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

main().catch((err) => {
  process.stderr.write(`bench:kernels: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
