import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, progressFromEnv, type ProgressMode } from '../../src/runtime/log.js';
import { sciml } from '../helpers/cli.js';
import { writeFixture } from '../tabular-task/fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-progress-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function capture(progress: ProgressMode, isTTY: boolean, quiet = false) {
  let out = '';
  const stream = { columns: 60, isTTY, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
  const log = createLogger({ progress, quiet, stream, now: () => new Date('2026-03-04T05:06:07.890Z') });
  log.progress('epoch 1/2');
  log.transient('step 10/40');
  log.progress('epoch 2/2');
  log.info('saved');
  log.warn('careful');
  log.done();
  return { out: () => out, log };
}

test('plain progress: one timestamped line per unit, no carriage returns or escapes, finer steps dropped', () => {
  const { out, log } = capture('plain', false);
  assert.equal(log.mode, 'plain');
  assert.equal(log.interactive, false);
  assert.equal(
    out(),
    '2026-03-04T05:06:07Z epoch 1/2\n2026-03-04T05:06:07Z epoch 2/2\n2026-03-04T05:06:07Z saved\nwarning: careful\n',
  );
});

test('tty progress redraws one line with carriage returns even when the stream is not a terminal', () => {
  const { out, log } = capture('tty', false);
  assert.equal(log.interactive, true);
  assert.match(out(), /^\repoch 1\/2 +\rstep 10\/40 +\repoch 2\/2 +\nsaved\nwarning: careful\n$/);
});

test('auto follows the terminal; none and --quiet print no progress; --quiet drops warnings too', () => {
  const saved = process.env.CI;
  delete process.env.CI;
  try {
    assert.equal(capture('auto', true).log.mode, 'tty');
    assert.equal(capture('auto', false).out(), 'warning: careful\n');
  } finally {
    if (saved !== undefined) process.env.CI = saved;
  }
  assert.equal(capture('none', true).out(), 'warning: careful\n');
  assert.equal(capture('plain', true, true).out(), '');
});

test('SCIML_PROGRESS picks the mode; a bad value names the variable', () => {
  assert.equal(progressFromEnv({}), 'auto');
  assert.equal(progressFromEnv({ SCIML_PROGRESS: 'plain' }), 'plain');
  assert.throws(
    () => progressFromEnv({ SCIML_PROGRESS: 'fancy' }),
    /SCIML_PROGRESS: expected auto, tty, plain, none, got "fancy"/,
  );
});

test('automl under CI: SCIML_PROGRESS=plain logs each stage and trial on stderr, --progress none overrides it; stdout is the same', () => {
  const table = join(dir, 't.csv');
  writeFixture(table, 200, 4);
  const args = (out: string) => [
    'automl',
    table,
    '--target',
    'y',
    '--max-trials',
    '2',
    '--workers',
    '1',
    '--seed',
    '3',
    '--out',
    join(dir, out),
  ];
  const env = { SCIML_PROGRESS: 'plain' };
  const plain = sciml(args('plain'), { env });
  assert.equal(plain.code, 0, plain.stderr);
  const none = sciml(['--progress', 'none', ...args('none')], { env });
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stderr, '', 'the flag wins over the environment');
  const shape = (s: string) => s.split('\n').map((l) => l.replace(/\d+\.\d+/g, 'N'));
  assert.deepEqual(
    shape(plain.stdout).slice(0, 5),
    shape(none.stdout).slice(0, 5),
    'stdout carries the same leaderboard',
  );
  assert.doesNotMatch(plain.stderr, /[\r\x1b]/);
  const lines = plain.stderr.trimEnd().split('\n');
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S/, l);
  assert.equal(lines.filter((l) => / automl: trial \d+ \w+ (ok|failed|killed)/.test(l)).length, 2, plain.stderr);
  for (const stage of ['search', 'ensemble', 'report'])
    assert.ok(
      lines.some((l) => l.endsWith(`${stage}: started`)),
      stage,
    );
  const bad = sciml(['--progress', 'loud', 'runs', '--dir', dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--progress/);
  const badEnv = sciml(['train', join(dir, 'missing.yaml')], { env: { SCIML_PROGRESS: 'loud' } });
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.stderr, /SCIML_PROGRESS: expected auto, tty, plain, none/);
});
