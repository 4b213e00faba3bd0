import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateEvent } from '../../src/data/particles/simulate.js';
import { writeSimulatedDataset, writeEventShard, writeSimulatedShard } from '../../src/data/particles/write.js';
import {
  openEventDataset,
  readShardEvents,
  streamEvents,
  type EventDataset,
  type ParticleEvent,
} from '../../src/data/particles/reader.js';
import { N_PARTICLE_FEATURES, NESTED_COLUMNS } from '../../src/data/particles/schema.js';
import { writeParquetFile } from '../../src/data/parquet.js';
import { sciml } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-particles-data-'));

async function all(path: string): Promise<ParticleEvent[]> {
  const ds = await openEventDataset(path);
  const out: ParticleEvent[] = [];
  for (const s of ds.shards) for await (const e of readShardEvents(ds, s)) out.push(e);
  return out;
}

test('the simulator is a function of (seed, event index): same seed same events, another seed other events', () => {
  const a = simulateEvent(5, 17),
    b = simulateEvent(5, 17),
    c = simulateEvent(6, 17);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.particles, c.particles);
  // sorted by decreasing Delta R from the lepton: the lepton (an electron or muon) is the last row
  const last = a.particles.subarray((a.n - 1) * N_PARTICLE_FEATURES, a.n * N_PARTICLE_FEATURES);
  assert.equal(last[16] + last[17], 1);
  const labels = new Set(Array.from({ length: 60 }, (_, i) => simulateEvent(1, i).label));
  assert.deepEqual([...labels].sort(), [0, 1, 2]);
});

test('the flat and the nested (published) layouts load to the same events; shards are one dataset', async () => {
  const flat = join(dir, 'flat'),
    nested = join(dir, 'nested');
  writeSimulatedDataset(flat, 30, 3, 9, { layout: 'flat', maxParticles: 801, rowGroupSize: 4 });
  writeSimulatedDataset(nested, 30, 1, 9, { layout: 'nested', maxParticles: 120, rowGroupSize: 7 });
  const f = await all(flat),
    n = await all(nested);
  assert.equal(f.length, 30);
  assert.equal(n.length, 30);
  for (let i = 0; i < 30; i++) {
    const truth = simulateEvent(9, i);
    assert.equal(f[i].label, truth.label);
    assert.equal(n[i].label, truth.label);
    assert.equal(f[i].count, truth.n);
    const kept = Math.min(truth.n, 120);
    assert.equal(n[i].count, kept);
    assert.deepEqual(
      Array.from(n[i].particles),
      Array.from(Float32Array.from(truth.particles.subarray((truth.n - kept) * N_PARTICLE_FEATURES))),
    );
    assert.deepEqual(Array.from(f[i].hlf), Array.from(n[i].hlf));
  }
});

test('shard order and the shuffle buffer depend on (seed, replica, epoch); every event comes once', async () => {
  const path = join(dir, 'flat');
  const ds = await openEventDataset(path);
  const keys = async (o: { epoch: number; replica?: number; shards?: number[] }) => {
    const out: number[] = [];
    for await (const e of streamEvents(ds, { seed: 3, shuffleBuffer: 8, ...o })) out.push(e.shard * 1000 + e.row);
    return out;
  };
  const e0 = await keys({ epoch: 0 }),
    again = await keys({ epoch: 0 }),
    e1 = await keys({ epoch: 1 });
  assert.deepEqual(e0, again);
  assert.notDeepEqual(e0, e1);
  assert.deepEqual(
    [...e0].sort((a, b) => a - b),
    [...e1].sort((a, b) => a - b),
  );
  assert.equal(new Set(e0).size, 30);
  const mine = await keys({ epoch: 0, replica: 1, shards: [0, 2] });
  assert.equal(mine.length, 20);
  assert.ok(mine.every((k) => Math.floor(k / 1000) !== 1));
});

test('decoded row groups are cached within the budget: a second pass reads them from memory, the same events in the same order', async () => {
  const copy = join(dir, 'cached');
  mkdirSync(copy, { recursive: true });
  const files = readdirSync(join(dir, 'flat')).filter((f) => f.endsWith('.parquet'));
  for (const f of files) copyFileSync(join(dir, 'flat', f), join(copy, f));
  const pass = async (ds: EventDataset, epoch: number) => {
    const out: ParticleEvent[] = [];
    for await (const e of streamEvents(ds, { seed: 3, shuffleBuffer: 8, epoch })) out.push(e);
    return out;
  };
  const cached = await openEventDataset(copy, { cacheBytes: 64 << 20 });
  const tiny = await openEventDataset(copy, { cacheBytes: 1000 });
  const first = await pass(cached, 1);
  assert.deepEqual(first, await pass(await openEventDataset(copy), 1));
  await pass(tiny, 1);
  assert.ok(cached.cache!.bytes > 0 && tiny.cache!.bytes === 0);
  // with the shards gone, only the cached dataset can stream them again
  for (const f of files) rmSync(join(copy, f));
  assert.deepEqual(await pass(cached, 1), first);
  await assert.rejects(pass(tiny, 1));
});

test('streaming memory does not grow with the data set: live memory while streaming 16 shards stays a fraction of their events', () => {
  const shard = join(dir, 'one.parquet');
  writeSimulatedShard(shard, 4, 0, 300, { layout: 'flat', maxParticles: 801, rowGroupSize: 50 });
  const many = join(dir, 'many');
  mkdirSync(many);
  for (let s = 0; s < 16; s++) copyFileSync(shard, join(many, `part-${String(s).padStart(2, '0')}.parquet`));
  const reader = fileURLToPath(new URL('../../src/data/particles/reader.js', import.meta.url));
  // 4800 events of ~80 particles: ~25 MB as Float32. Live memory (heap + array buffers, measured
  // after a forced GC every 200 events) must stay far below that: a reader that kept events would not.
  const script = `import { openEventDataset, streamEvents } from ${JSON.stringify(reader)};
    const ds = await openEventDataset(${JSON.stringify(many)});
    const live = () => { globalThis.gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
    const base = live();
    let n = 0, particles = 0, peak = 0;
    for await (const e of streamEvents(ds, { seed: 1, epoch: 0, shuffleBuffer: 256 })) {
      n++; particles += e.count;
      if (n % 200 === 0) peak = Math.max(peak, live() - base);
    }
    process.stdout.write(JSON.stringify({ n, particles, peakMb: peak / 2 ** 20 }));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const out = JSON.parse(r.stdout);
  assert.equal(out.n, 4800);
  const datasetMb = (out.particles * N_PARTICLE_FEATURES * 4) / 2 ** 20;
  assert.ok(datasetMb > 20, `the data set holds ${datasetMb.toFixed(1)} MB of particle features`);
  assert.ok(
    out.peakMb < datasetMb / 4,
    `live memory grew by ${out.peakMb.toFixed(1)} MB while streaming ${datasetMb.toFixed(1)} MB of events`,
  );
});

test('a malformed shard is exit 2 naming the shard, row and column: wrong list length, missing column, truncated file', () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  const good = simulateEvent(2, 0);
  const rows = (drop: boolean) =>
    Array.from({ length: 4 }, (_, r) =>
      Array.from({ length: 3 }, (_, p) =>
        Array.from(good.particles.subarray(p * 19, p * 19 + (drop && r === 2 && p === 1 ? 18 : 19))),
      ),
    );
  writeParquetFile(join(bad, 'part-0.parquet'), [
    { name: NESTED_COLUMNS.hlf, type: 'DOUBLE', list: 1, data: Array.from({ length: 4 }, () => Array.from(good.hlf)) },
    { name: NESTED_COLUMNS.particles, type: 'DOUBLE', list: 2, data: rows(true) },
    { name: NESTED_COLUMNS.label, type: 'DOUBLE', list: 1, data: Array.from({ length: 4 }, () => [1, 0, 0]) },
  ]);
  const config = join(dir, 'bad.yaml');
  writeFileSync(
    config,
    `task: particles\ndata:\n  path: bad\n  max_particles: 4\nmodel:\n  units: 2\ntraining:\n  epochs: 1\n`,
  );
  let r = sciml(['train', config, '--out', join(dir, 'bad-run')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /part-0\.parquet: row 2: column 'GRU_input': expected 19 features per particle, particle 1 has 18/,
  );

  const missing = join(dir, 'missing');
  mkdirSync(missing);
  writeParquetFile(join(missing, 'part-0.parquet'), [
    { name: NESTED_COLUMNS.particles, type: 'DOUBLE', list: 2, data: rows(false) },
    { name: NESTED_COLUMNS.label, type: 'DOUBLE', list: 1, data: Array.from({ length: 4 }, () => [1, 0, 0]) },
  ]);
  r = sciml(['train', config, '--set', 'data.path=missing', '--out', join(dir, 'missing-run')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /missing\/part-0\.parquet: column 'HLF_input': missing/);

  const cut = join(dir, 'cut');
  mkdirSync(cut);
  const whole = join(dir, 'whole.parquet');
  writeEventShard(whole, [good, good], { layout: 'flat', maxParticles: 801, rowGroupSize: 1 });
  const bytes = readFileSync(whole);
  writeFileSync(join(cut, 'part-0.parquet'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  r = sciml(['train', config, '--set', 'data.path=cut', '--out', join(dir, 'cut-run')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /cut\/part-0\.parquet: not a readable Parquet file/);
});
