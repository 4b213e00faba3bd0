import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, sciml } from '../helpers/cli.js';
import { lockOf, project } from './helpers.js';

// quick.yaml with one noise kind, in a scratch folder: real sciml stages (generate, train, evaluate from stdin, runs --md).
const PIPELINE = `vars:
  noises: [measured]
stages:
  testset:
    matrix: {noise: \${noises}}
    cmd: sciml data generate radio -n 80 --seed 7 --set noise=\${noise} --set length=128 -o data/test-\${noise}.arrow
    outs: [data/test-\${noise}.arrow]
  train:
    matrix: {noise: \${noises}}
    cmd: sciml train denoiser.yaml --set data.simulation.noise=\${noise} --out runs/\${noise}
    deps: [denoiser.yaml]
    params: [denoiser.yaml: [model, training]]
    outs: [runs/\${noise}]
    metrics: [runs/\${noise}/metrics.json]
  evaluate:
    matrix: {noise: \${noises}}
    cmd: sciml evaluate runs/\${noise} --set data.test_path=- --out runs/\${noise}-eval < data/test-\${noise}.arrow
    deps: [runs/\${noise}, data/test-\${noise}.arrow]
    outs: [runs/\${noise}-eval]
    metrics: [runs/\${noise}-eval/metrics.json]
  summary:
    cmd: sciml runs --dir runs --md > summary.md
    deps: [runs/measured-eval]
    outs: [summary.md]
`;

test('a pipeline of real sciml stages runs end to end, then runs nothing the second time and says so', () => {
  const dir = project(PIPELINE);
  const quick = readFileSync(join(root, 'configs', 'quick', 'denoiser-measured.yaml'), 'utf8');
  writeFileSync(
    join(dir, 'denoiser.yaml'),
    quick
      .replace('train_count: 2000', 'train_count: 300')
      .replace('epochs: 10', 'epochs: 2')
      .replace('filters: [16, 16]', 'filters: [8, 8]'),
  );
  const small = ['pipeline', 'run', join(dir, 'pipeline.yaml')];
  const first = sciml([...small, '-j', '2']);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /testset@measured\s+ran/);
  assert.match(first.stdout, /summary\s+ran/);
  const lock = lockOf(dir);
  assert.deepEqual(Object.keys(lock.stages), ['testset@measured', 'train@measured', 'evaluate@measured', 'summary']);
  assert.equal(lock.stages['train@measured'].params['denoiser.yaml'].training.epochs, 2);
  const evaluated = JSON.parse(readFileSync(join(dir, 'runs', 'measured-eval', 'metrics.json'), 'utf8'));
  assert.equal(evaluated.test_count, 80, 'the evaluation read the 80 traces of the testset stage from stdin');
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /^\| run \| task \|.*\n.*\n\| measured \| denoiser \|/);
  const html = readFileSync(join(dir, 'pipeline-report.html'), 'utf8');
  assert.equal((html.match(/<svg/g) ?? []).length, 2, 'the DAG and the timeline');
  // The DAG is drawn (no Mermaid source): a box per stage, an arrow per dependency, each running left to right.
  assert.ok(!html.includes('flowchart') && !html.includes('&lt;br/&gt;'), 'no Mermaid source in the report');
  assert.equal((html.match(/<g class="node">/g) ?? []).length, 4);
  const arrows = [
    ...html.matchAll(/<path class="edge" d="M([\d.]+),[\d.]+ C[^"]* ([\d.]+),[\d.]+" [^>]*marker-end="url\(#arrow\)"/g),
  ];
  assert.equal(arrows.length, 3, 'testset -> evaluate, train -> evaluate, evaluate -> summary');
  for (const [, from, to] of arrows)
    assert.ok(Number(to) > Number(from), 'a stage is drawn right of what it depends on');
  assert.match(html, /<h2>Metrics/);
  assert.match(html, /evaluate@measured/);

  const second = sciml(small);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, 'Nothing to run: all 4 stages are up to date.\n');
});

test('the CLI exits 1 when a stage fails and 2 for a bad pipeline or executor', () => {
  const failing = project('stages:\n  bad:\n    cmd: exit 4\n    outs: [x]\n');
  const r = sciml(['pipeline', 'run', join(failing, 'pipeline.yaml')]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /bad\s+failed\s+\S+\s+never run; exit status 4/);
  const bad = sciml(['pipeline', 'run', join(failing, 'pipeline.yaml'), '--executor', 'redis://127.0.0.1:1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--executor: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  const missing = sciml(['pipeline', 'status', join(failing, 'nope.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.yaml: cannot read pipeline file: no such file/);
});
