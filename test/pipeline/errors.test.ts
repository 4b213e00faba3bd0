import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pipe, project } from './helpers.js';

test('a cycle exits 2 naming the stages and file:line', async () => {
  const dir = project(`stages:
  a:
    cmd: cat b.txt > a.txt
    deps: [b.txt]
    outs: [a.txt]
  b:
    cmd: cat a.txt > b.txt
    deps: [a.txt]
    outs: [b.txt]
`);
  const r = await pipe(dir, 'run');
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`${join(dir, 'pipeline.yaml')}:`), r.stderr);
  assert.match(r.stderr, /cycle (a -> b -> a|b -> a -> b)/);
  assert.match(r.stderr, /a \(line 3\)/);
  assert.match(r.stderr, /b \(line 7\)/);
});

test('two stages writing one out exit 2 naming both with their lines', async () => {
  const dir = project(`stages:
  first:
    cmd: echo 1 > out.txt
    outs: [out.txt]
  second:
    cmd: echo 2 > out.txt
    outs:
      - out.txt
`);
  const r = await pipe(dir, 'status');
  assert.equal(r.code, 2);
  assert.ok(
    r.stderr.includes(
      `pipeline.yaml:8: stages.second.outs: out.txt is also an out of stage 'first' (${join(dir, 'pipeline.yaml')}:4)`,
    ),
    r.stderr,
  );
});

test('a dep that nothing makes and that does not exist, and an unknown ${var}, exit 2 with file:line', async () => {
  const missing = project(`stages:
  s:
    cmd: cat nowhere.txt > s.txt
    deps:
      - nowhere.txt
    outs: [s.txt]
`);
  const r = await pipe(missing, 'run');
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /pipeline\.yaml:5: stages\.s\.deps: nowhere\.txt does not exist and no stage has it as an out/,
  );
  assert.equal((await pipe(missing, 'dag')).code, 0, 'drawing needs no data');

  const unknown = project(`vars:
  noises: [a, b]
stages:
  s:
    matrix: {noise: \${noises}}
    cmd: echo \${nosie} > \${noise}.txt
    outs: [\${noise}.txt]
`);
  const u = await pipe(unknown, 'dag');
  assert.equal(u.code, 2);
  assert.match(u.stderr, /pipeline\.yaml:6: stages\.s\.cmd: unknown variable \$\{nosie\}; known: item, noise, noises/);

  const field = project('stages:\n  s:\n    cmd: echo\n    out: [x]\n');
  const f = await pipe(field, 'dag');
  assert.equal(f.code, 2);
  assert.match(f.stderr, /pipeline\.yaml:4: stages\.s\.out: unknown field \(did you mean 'outs'\?\)/);
});

test('a misspelled execution field and a bad executor in the pipeline file exit 2 with file:line', async () => {
  const typo = project(`stages:
  a:
    cmd: echo 1 > a.txt
    outs: [a.txt]
execution:
  executer: redis://127.0.0.1:6379
`);
  const r = await pipe(typo, 'status');
  assert.equal(r.code, 2);
  assert.ok(
    r.stderr.includes(`pipeline.yaml:6: execution.executer: unknown field (did you mean 'executor'?)`),
    r.stderr,
  );
  const bad = project(`stages:
  a:
    cmd: echo 1 > a.txt
    outs: [a.txt]
execution:
  executor: http://:hunter2@head:6379
`);
  const run = await pipe(bad, 'run');
  assert.equal(run.code, 2);
  assert.ok(
    run.stderr.includes(
      `pipeline.yaml:6: execution.executor: expected 'local', redis://host:port or rediss://host:port`,
    ),
    run.stderr,
  );
  assert.ok(!run.stderr.includes('hunter2'), 'the password is not echoed');
});
