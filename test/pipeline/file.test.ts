import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, utimesSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline } from '../../src/pipeline/parse.js';
import { buildDag, mermaid, dot } from '../../src/pipeline/graph.js';
import { HashState } from '../../src/pipeline/hash.js';
import { ProgressBoard } from '../../src/pipeline/progress.js';
import { createLogger } from '../../src/runtime/log.js';
import { root } from '../helpers/cli.js';

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-pfile-'));
  const path = join(dir, 'pipeline.yaml');
  writeFileSync(path, text);
  return path;
}

test('vars, foreach (list and mapping), matrix and ${} templating expand as in dvc.yaml', () => {
  const p = loadPipeline(
    file(`vars:
  - seeds: [1, 2]
    model: {width: 32}
stages:
  gen:
    foreach: \${seeds}
    do:
      cmd: gen --seed \${item} --width \${model.width} -o d\${item}.txt
      outs: [d\${item}.txt]
  fit:
    foreach:
      small: 8
      big: 64
    do:
      cmd: fit --width \${item} -o \${key}
      outs: [\${key}]
  grid:
    matrix:
      noise: [white, pink]
      seed: \${seeds}
    cmd: run \${item.noise} \${seed}
    deps: [d\${seed}.txt]
    outs: [g-\${noise}-\${seed}]
`),
  );
  assert.deepEqual(
    p.stages.map((s) => s.name),
    ['gen@1', 'gen@2', 'fit@small', 'fit@big', 'grid@white-1', 'grid@white-2', 'grid@pink-1', 'grid@pink-2'],
  );
  assert.equal(p.stages[1].cmd, 'gen --seed 2 --width 32 -o d2.txt');
  assert.equal(p.stages[3].cmd, 'fit --width 64 -o big');
  assert.equal(p.stages[6].cmd, 'run pink 1');
  assert.deepEqual(
    p.stages[6].deps.map((d) => d.path),
    ['d1.txt'],
  );
  const dag = buildDag(p);
  assert.deepEqual(dag.upstream.get('grid@pink-2'), ['gen@2']);
  assert.match(mermaid(dag), /^flowchart TD\n/);
  assert.match(mermaid(dag), /s1 --> s7/);
  assert.match(dot(dag), /"gen@2" -> "grid@pink-2";/);
});

test('the shipped pipelines parse, and denoiser.yaml has the DAG of the issue', () => {
  const dag = buildDag(loadPipeline(join(root, 'pipelines', 'denoiser.yaml')));
  assert.equal(dag.order.length, 10);
  assert.deepEqual(dag.upstream.get('evaluate@uniform')!.sort(), ['testset@uniform', 'train@uniform']);
  assert.deepEqual(dag.upstream.get('summary'), ['evaluate@measured', 'evaluate@uniform', 'evaluate@cosine']);
  assert.match(
    dag.byName.get('train@cosine')!.cmd,
    /^sciml train configs\/denoiser-cosine.yaml --out runs\/pipeline\/cosine$/,
  );
  assert.equal(buildDag(loadPipeline(join(root, 'pipelines', 'quick.yaml'))).order.length, 10);
});

test('the hash state answers for unchanged files without reading them, and content changes are still seen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-hash-'));
  const data = join(dir, 'traces');
  writeFileSync(join(dir, 'a.bin'), 'aaaa');
  const state = new HashState(join(dir, 'state.json'));
  const first = await state.hashPath(join(dir, 'a.bin'));
  assert.equal(first!.size, 4);
  assert.equal(state.hashedFiles, 1);
  state.save();
  const again = new HashState(join(dir, 'state.json'));
  assert.deepEqual(await again.hashPath(join(dir, 'a.bin')), first);
  assert.equal(again.hashedFiles, 0, 'answered from the state file');
  const before = statSync(join(dir, 'a.bin'));
  writeFileSync(join(dir, 'a.bin'), 'bbbb');
  utimesSync(join(dir, 'a.bin'), before.atime, new Date(before.mtimeMs + 5000));
  const changed = await again.hashPath(join(dir, 'a.bin'));
  assert.notEqual(changed!.sha256, first!.sha256);
  assert.equal(again.hashPath(data) instanceof Promise, true);
  assert.equal(await again.hashPath(data), undefined, 'a missing path has no hash');
});

test('TTY progress shows one line per stage with its state and elapsed time', () => {
  let out = '';
  const stream = { columns: 80, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
  const board = new ProgressBoard(['a', 'b'], createLogger({ progress: 'tty', stream }), stream);
  board.set('a', 'running');
  board.set('b', 'up-to-date');
  board.close();
  const last = out.split('\x1b[2A').pop()!;
  const lines = last
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace('\x1b[2K', ''));
  assert.equal(lines.length, 2);
  assert.match(lines[0], /a\s+running\s+\d+\.\ds/);
  assert.match(lines[1], /b\s+up-to-date/);
});

test('plain progress writes one timestamped line per stage state change, no escapes', () => {
  let out = '';
  const stream = {
    columns: 80,
    isTTY: false,
    write: (s: string) => ((out += s), true),
  } as unknown as NodeJS.WriteStream;
  const board = new ProgressBoard(
    ['a', 'b'],
    createLogger({ progress: 'plain', stream, now: () => new Date('2026-01-02T03:04:05.600Z') }),
    stream,
  );
  board.set('a', 'running');
  board.set('a', 'ran');
  board.set('b', 'up-to-date');
  board.close();
  assert.doesNotMatch(out, /[\r\x1b]/);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^2026-01-02T03:04:05Z stage a running/);
  assert.match(lines[1], /^2026-01-02T03:04:05Z stage a ran \d+\.\ds$/);
  assert.match(lines[2], /^2026-01-02T03:04:05Z stage b up-to-date$/);
});

test('\\${...} is left for the shell, and unquoted ${} in flow collections parses', () => {
  const p = loadPipeline(
    file(`vars: {n: [a]}
stages:
  s:
    foreach: \${n}
    do:
      cmd: echo \\\${HOME} \${item} > out-\${item}.txt
      outs: [out-\${item}.txt, {logs-\${item}: {cache: false}}]
`),
  );
  assert.equal(p.stages[0].cmd, 'echo ${HOME} a > out-a.txt');
  assert.deepEqual(
    p.stages[0].outs.map((o) => [o.path, o.cache]),
    [
      ['out-a.txt', true],
      ['logs-a', false],
    ],
  );
});
