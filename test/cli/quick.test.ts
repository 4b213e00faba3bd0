import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scimlBatch } from '../helpers/cli.js';
import { isVersionLine, quickMain, quickRunsLine } from '../../src/quick.js';

// `sciml runs` is read without commander (start-up time): on every line it answers, it must print
// and exit exactly as the commander program does; every other line must be left to commander.
const dir = mkdtempSync(join(tmpdir(), 'sciml-quick-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function fakeRun(
  name: string,
  task: string,
  status: string,
  minute: number,
  metrics: Record<string, number>,
  tags: Record<string, string>,
) {
  mkdirSync(join(dir, name));
  writeFileSync(
    join(dir, name, 'run.json'),
    JSON.stringify({
      status,
      started_at: new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString(),
      duration_s: 2,
      tags,
    }),
  );
  writeFileSync(join(dir, name, 'metrics.json'), JSON.stringify({ task, metrics }));
}
fakeRun('a-1', 'automl', 'completed', 1, { rmse: 1.5 }, { exp: 'a' });
fakeRun('a-2', 'automl', 'failed', 2, { rmse: 1.2 }, { exp: 'b', k: '' });
fakeRun('k-1', 'knots', 'completed', 3, { accuracy: 0.8 }, {});

test('the lines read without commander print and exit as the commander program does', async () => {
  const lines: [string[], Record<string, string>?][] = [
    [['runs', '--dir', dir]],
    [['--json', 'runs', '--dir', dir]],
    [['runs', `--dir=${dir}`, '--md']],
    [['runs', '--dir', dir, '--json', '--sort', '-name', '--limit', '2']],
    [
      [
        '--quiet',
        '--backend',
        'cpu',
        '--progress=plain',
        'runs',
        '--dir',
        dir,
        '--tag',
        'exp',
        '--tag',
        'k=',
        '--status',
        'failed',
        '--task',
        'automl',
      ],
    ],
    [['runs', '--dir', dir, '--sort', 'rmse', '--limit=1', '--dir', dir]],
    [['runs', '--dir', join(dir, 'none')]],
    [['runs', '--dir', dir, '--status', 'done']],
    [['runs', '--dir', dir, '--sort', 'auc']],
    [['runs', '--dir', dir], { SCIML_PROGRESS: 'loud' }],
    [['--progress', 'none', 'runs', '--dir', dir], { SCIML_PROGRESS: 'loud' }],
    [['--version']],
    [['-V']],
  ];
  const codes = new Set<number>();
  for (const env of [{}, { SCIML_PROGRESS: 'loud' }] as Record<string, string>[]) {
    const group = lines.filter(([, e]) => JSON.stringify(e ?? {}) === JSON.stringify(env)).map(([args]) => args);
    for (const args of group)
      assert.ok(quickRunsLine(args) ?? isVersionLine(args), `answered without commander: ${args.join(' ')}`);
    const quick = scimlBatch(group, { env, quick: true });
    const full = scimlBatch(group, { env });
    group.forEach((args, i) => {
      assert.deepEqual(quick[i], full[i], args.join(' '));
      codes.add(quick[i].code!);
    });
  }
  assert.deepEqual([...codes].sort(), [0, 2], 'both listings and refusals were compared');
});

test('help, subcommands, unknown or malformed options and values commander refuses are left to commander', () => {
  for (const args of [
    [],
    ['--help'],
    ['runs', '--help'],
    ['runs', '-h'],
    ['runs', 'rm', 'a-1'],
    ['runs', 'gc', '--dry-run'],
    ['runs', '--dir'],
    ['runs', '--limit', '0'],
    ['runs', '--limit', 'two'],
    ['runs', '--md=yes'],
    ['runs', '--quiet'],
    ['runs', '--verbose'],
    ['runs', '--', 'x'],
    ['--backend', 'tpu', 'runs'],
    ['--dir', dir, 'runs'],
    ['--version', 'runs'],
    ['runs', '--version'],
    ['--json', '-V'],
    ['diff', 'a', 'b'],
    ['train', 'config.yaml'],
  ]) {
    assert.equal(quickRunsLine(args), undefined, args.join(' '));
    assert.equal(isVersionLine(args), false, args.join(' '));
    assert.equal(quickMain([process.execPath, 'sciml', ...args]), undefined);
  }
});
