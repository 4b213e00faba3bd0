/**
 * One particles replica's steps alone in this process, timed: `node dist/bench/replica-steps.js
 * EVENTS_DIR --threads T --batch B --steps N --replica R (1-based) --replicas K [--units U --max-particles P]`.
 * bench:distributed runs it alone and two at once to measure what this machine gives two replicas
 * side by side (shared caches, a host's sibling hyper-threads, background threads of each Node).
 * Prints one JSON line: median wall and CPU milliseconds per step after the first 5 (kernel
 * warm-up), and the first step's milliseconds.
 */
import { initBackend } from '../src/runtime/backend.js';
import { setNativeThreads } from '../src/runtime/native/backend.js';
import { particlesSchema } from '../src/models/particles/config.js';
import { freshModel, type Split } from '../src/models/particles/train.js';
import { openEventDataset } from '../src/data/particles/reader.js';
import { particlesReplicas, replicaShards, replicaSpecOf, shardListBlob } from '../src/models/particles/distributed.js';
import { ADAM_DEFAULTS, adamStep, createAdamState } from '../src/models/denoiser/adam.js';
import { parseOptions } from './options.js';

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

async function main(): Promise<void> {
  const [events, ...rest] = process.argv.slice(2);
  const o = parseOptions(rest, {
    threads: 1,
    batch: 128,
    steps: 40,
    replica: 1,
    replicas: 1,
    units: 32,
    maxParticles: 20,
  });
  await initBackend('auto');
  setNativeThreads(o.threads);
  const config = particlesSchema.parse({
    task: 'particles',
    seed: 11,
    data: { path: events, max_particles: o.maxParticles },
    model: { units: o.units },
    training: { batch_size: o.batch },
  });
  const ds = await openEventDataset(events);
  const split: Split = {
    train: ds,
    test: ds,
    testPart: 'test',
    fractions: { validation: config.data.validation_fraction, test: config.data.test_fraction },
  };
  const fresh = await freshModel(config, split);
  const mine = replicaShards(ds.shards.length, o.replica - 1, o.replicas).map((i) => ds.shards[i]);
  const trainer = await particlesReplicas.open(replicaSpecOf(config, split, fresh), shardListBlob(mine));
  const params = new Float32Array(fresh.params.length + (fresh.baselineParams?.length ?? 0));
  params.set(fresh.params);
  if (fresh.baselineParams) params.set(fresh.baselineParams, fresh.params.length);
  const adam = createAdamState(params.length);
  const wall: number[] = [],
    cpu: number[] = [];
  let last = performance.now(),
    lastCpu = process.cpuUsage();
  await trainer.train!(
    params,
    (grads) => {
      adamStep(params, grads, adam, { learningRate: config.training.learning_rate, ...ADAM_DEFAULTS });
      const now = performance.now(),
        c = process.cpuUsage();
      wall.push(now - last);
      cpu.push((c.user + c.system - lastCpu.user - lastCpu.system) / 1000);
      last = now;
      lastCpu = c;
    },
    {
      seed: config.seed,
      replica: o.replica - 1,
      replicas: o.replicas,
      epoch: 0,
      fromStep: 0,
      toStep: o.steps,
      batchSize: o.batch,
    },
  );
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  console.log(
    JSON.stringify({
      threads: o.threads,
      batch: o.batch,
      replica: o.replica - 1,
      replicas: o.replicas,
      steps: wall.length,
      first_ms: r3(wall[0]),
      step_ms: r3(median(wall.slice(5))),
      cpu_ms: r3(median(cpu.slice(5))),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
