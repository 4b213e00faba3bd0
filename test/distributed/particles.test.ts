/**
 * The particles family on the shared mechanism: one replica is the single-process streaming loop
 * step for step; two replicas each stream only their own shards; a driver stopped after a round
 * and resumed ends with the same weights; the CLI run writes rounds, run.json summary and charts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { initBackend } from '../../src/runtime/backend.js';
import { silentLogger } from '../../src/runtime/log.js';
import { jobs } from '../../src/registry.js';
import { writeSimulatedDataset } from '../../src/data/particles/write.js';
import { eventPart, openEventDataset } from '../../src/data/particles/reader.js';
import { particlesSchema, type ParticlesConfig } from '../../src/models/particles/config.js';
import { trainParticles, type Split } from '../../src/models/particles/train.js';
import { replicaShards, trainParticlesDistributed } from '../../src/models/particles/distributed.js';
import type { DistributedSettings } from '../../src/distributed/config.js';
import { sciml } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-distributed-particles-'));
const events = join(dir, 'events');
let config: ParticlesConfig;
let split: Split;

before(async () => {
  await initBackend('wasm');
  writeSimulatedDataset(events, 480, 4, 13, { layout: 'flat', maxParticles: 8, rowGroupSize: 40 });
  config = particlesSchema.parse({
    task: 'particles',
    seed: 5,
    data: { path: events, max_particles: 6, shuffle_buffer: 48 },
    model: { units: 4, dense: [6] },
    baseline: { dense: [6] },
    training: { epochs: 1, batch_size: 32, learning_rate: 0.01 },
  });
  const ds = await openEventDataset(events);
  split = {
    train: ds,
    test: ds,
    testPart: 'test',
    fractions: { validation: config.data.validation_fraction, test: config.data.test_fraction },
  };
});
after(() => rmSync(dir, { recursive: true, force: true }));

const settings = (replicas: number, roundsPerEpoch: number): DistributedSettings => ({
  replicas,
  roundsPerEpoch,
  outer: 'average',
  outerLearningRate: 0.7,
  outerMomentum: 0.9,
  minReplicas: 0,
});

test('particles: one replica on the mechanism is the single-process streaming loop, weight for weight', async () => {
  const plain = await trainParticles({ config, split, log: silentLogger });
  const one = await trainParticlesDistributed({
    config,
    split,
    log: silentLogger,
    distribution: {
      settings: settings(1, 1),
      execution: { spec: 'local', jobs },
      backend: 'wasm',
      runKey: join(dir, 'one'),
    },
  });
  assert.deepEqual(one.state.params, plain.params);
  assert.deepEqual(one.state.baselineParams, plain.baselineParams);
  assert.deepEqual(
    one.state.history.map((h) => h.val_auc_macro),
    plain.history.map((h) => h.val_auc_macro),
  );
});

test('particles: 2 replicas stream only their own shards, and a driver resumed mid-epoch ends with the same weights', async () => {
  const distribution = (name: string) => ({
    settings: settings(2, 2),
    execution: { spec: 'local', jobs },
    backend: 'wasm' as const,
    runKey: join(dir, name),
    checkpointPath: join(dir, `${name}.ckpt`),
    roundsFile: join(dir, `${name}-rounds.json`),
  });
  const straight = await trainParticlesDistributed({
    config,
    split,
    log: silentLogger,
    distribution: distribution('straight'),
  });
  // what each replica's shards hold for training (the split is a hash of file name and row)
  const trainEvents = (replica: number) =>
    replicaShards(split.train.shards.length, replica, 2).reduce((n, i) => {
      const sh = split.train.shards[i];
      let k = 0;
      for (let row = 0; row < sh.rows; row++)
        if (eventPart(config.seed, basename(sh.path), row, split.fractions) === 'train') k++;
      return n + k;
    }, 0);
  assert.equal(straight.rounds.length, 2);
  for (const replica of [0, 1]) {
    const perEpoch = straight.rounds
      .flatMap((r) => r.jobs)
      .filter((j) => j.replica === replica)
      .reduce((n, j) => n + j.examples, 0);
    assert.equal(perEpoch, trainEvents(replica), `replica ${replica} trained on exactly its shards' training events`);
  }
  assert.ok(trainEvents(0) + trainEvents(1) > 1.5 * Math.max(trainEvents(0), trainEvents(1)));
  const [r1, r2] = straight.state.history;
  assert.ok(
    r2.val_loss < r1.val_loss,
    `the averaged model improves from round to round: validation loss ${r1.val_loss} then ${r2.val_loss}`,
  );

  // the driver stops after round 1 of 2 (its checkpoint is written after every round); the resumed
  // one starts mid-epoch on fresh threads, whose replicas read up to their first step
  const first = await trainParticlesDistributed({
    config,
    split,
    log: silentLogger,
    epochs: 0.5,
    distribution: distribution('resumed'),
  });
  assert.equal(first.rounds.length, 1);
  const resumed = await trainParticlesDistributed({
    config,
    split,
    log: silentLogger,
    resume: true,
    distribution: distribution('resumed'),
  });
  assert.equal(resumed.rounds.length, 2);
  assert.deepEqual(resumed.state.params, straight.state.params);
  assert.deepEqual(resumed.state.baselineParams, straight.state.baselineParams);
});

test('particles: sciml train --replicas 2 writes rounds.json, a run.json summary and the distributed charts', () => {
  writeFileSync(
    join(dir, 'p.yaml'),
    `task: particles\nseed: 5\ndata:\n  path: ${events}\n  max_particles: 6\n  shuffle_buffer: 48\nmodel:\n  units: 4\n  dense: [6]\nbaseline:\n  dense: [6]\ntraining:\n  epochs: 1\n  batch_size: 32\nevaluation:\n  importance_events: 0\n`,
  );
  const run = join(dir, 'run');
  const r = sciml(['--json', 'train', join(dir, 'p.yaml'), '--replicas', '2', '--out', run]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.ok(summary.baseline && summary.paired, 'the HLF baseline trained beside the model');
  const rounds = JSON.parse(readFileSync(join(run, 'rounds.json'), 'utf8')) as { rounds: { replicas: number }[] };
  assert.deepEqual(
    rounds.rounds.map((x) => x.replicas),
    [2],
  );
  const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
  assert.equal(info.distributed.replicas, 2);
  assert.equal(info.distributed.rounds, 1);
  assert.ok(
    existsSync(join(run, 'charts', 'worker-timeline.json')) ||
      readFileSync(join(run, 'report.html'), 'utf8').includes('Worker timeline'),
  );
});

test('particles: --min-replicas lets a round close with the replicas that reported; without it the run stops, resumable', async () => {
  const { jobs: lossy } = await import('./lossy-jobs.js');
  const how = (name: string, minReplicas: number) => ({
    settings: { ...settings(2, 2), minReplicas },
    execution: { spec: 'local', jobs: lossy },
    backend: 'wasm' as const,
    runKey: join(dir, name),
    checkpointPath: join(dir, `${name}.ckpt`),
  });
  await assert.rejects(
    trainParticlesDistributed({ config, split, log: silentLogger, distribution: how('lossy', 0) }),
    /round 2 lost 1 of 2 replicas \(replica 1: .*lost for good.*\); the run can be resumed/,
  );
  // resumed with --min-replicas 1 (the checkpoint of round 1 continues: min_replicas is not part of the trajectory's fingerprint)
  const degraded = await trainParticlesDistributed({
    config,
    split,
    log: silentLogger,
    resume: true,
    distribution: how('lossy', 1),
  });
  assert.deepEqual(
    degraded.rounds.map((r) => [r.replicas, r.lost]),
    [
      [2, []],
      [1, [1]],
    ],
  );
  assert.deepEqual(
    degraded.rounds[1].jobs.map((j) => j.replica),
    [0],
  );
  assert.equal(degraded.rounds[1].examples, degraded.rounds[1].jobs[0].examples);
});
