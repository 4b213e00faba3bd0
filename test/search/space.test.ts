import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/runtime/random.js';
import {
  choice,
  contains,
  loguniform,
  qrandint,
  randint,
  sampleBranched,
  sampleDomain,
  sampleSpace,
  uniform,
  validateDomain,
} from '../../src/search/space.js';

test('every domain samples inside its bounds, with Ray Tune semantics', () => {
  const rng = new Random(1);
  const domains = {
    u: uniform(-2, 3),
    l: loguniform(1e-4, 10),
    r: randint(0, 5),
    q: qrandint(10, 100, 10),
    c: choice(['a', 'b', 3]),
  };
  const seenInts = new Set<number>();
  const seenQ = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    for (const [name, d] of Object.entries(domains)) {
      const v = sampleDomain(d, rng);
      assert.ok(contains(d, v), `${name}: ${v} outside the domain`);
      if (name === 'r') seenInts.add(v as number);
      if (name === 'q') seenQ.add(v as number);
    }
  }
  // randint excludes its upper bound; qrandint includes it.
  assert.deepEqual([...seenInts].sort(), [0, 1, 2, 3, 4]);
  assert.ok(seenQ.has(10) && seenQ.has(100));
  assert.ok([...seenQ].every((v) => v % 10 === 0));
});

test('loguniform is uniform in the log: its median is near the geometric mean', () => {
  const rng = new Random(7);
  const d = loguniform(1e-3, 1e3);
  const xs = Array.from({ length: 4001 }, () => sampleDomain(d, rng) as number).sort((a, b) => a - b);
  const median = xs[2000];
  assert.ok(median > 0.5 && median < 2, `median ${median}`);
});

test('sampling a space is reproducible from the seed', () => {
  const space = { b: uniform(0, 1), a: randint(0, 100), c: choice([true, false]) };
  assert.deepEqual(sampleSpace(space, new Random(3)), sampleSpace(space, new Random(3)));
  assert.notDeepEqual(sampleSpace(space, new Random(3)), sampleSpace(space, new Random(4)));
});

test('branched spaces pick a branch by weight and sample only its keys', () => {
  const rng = new Random(5);
  const space = {
    branchKey: 'learner',
    branches: { a: { x: uniform(0, 1) }, b: { y: randint(0, 3) } },
    weights: { a: 3, b: 1 },
  };
  let a = 0;
  for (let i = 0; i < 4000; i++) {
    const c = sampleBranched(space, rng);
    if (c.learner === 'a') {
      a++;
      assert.deepEqual(Object.keys(c).sort(), ['learner', 'x']);
    } else assert.deepEqual(Object.keys(c).sort(), ['learner', 'y']);
  }
  assert.ok(Math.abs(a / 4000 - 0.75) < 0.03, `share of a: ${a / 4000}`);
});

test('invalid domains are rejected', () => {
  assert.throws(() => validateDomain('lr', loguniform(0, 1)), /loguniform/);
  assert.throws(() => validateDomain('n', randint(5, 5)), /randint/);
  assert.throws(() => validateDomain('c', choice([])), /choice/);
});
