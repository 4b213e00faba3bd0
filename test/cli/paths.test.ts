/**
 * Every path a user gives, driven with a directory, a missing parent and an unwritable place: the
 * answer is one line naming the flag (or the path), exit 2, never a stack trace.
 * "Unwritable" when running as root: a path under a regular file (ENOTDIR), and one under /sys or
 * /proc, where even root cannot create anything.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, scimlBatch, type CliResult } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-paths-'));
const folder = join(dir, 'a-folder');
mkdirSync(folder);
writeFileSync(join(folder, 'something.txt'), 'taken\n');
const aFile = join(dir, 'a-file.txt');
writeFileSync(aFile, 'x\n');
const table = join(dir, 'good.csv');
writeFileSync(table, 'x,y\n' + Array.from({ length: 40 }, (_, i) => `${i},${(i * 7) % 11}`).join('\n') + '\n');
const knots = join(root, 'configs', 'knots.yaml');
const tuneFile = join(root, 'configs', 'tune-knots.yaml');
const missing = join(dir, 'no-such-folder', 'deeper');
/** Where nobody may write: /sys (EPERM or EROFS) when there is one, else under a regular file. */
const unwritable = existsSync('/sys/kernel') ? '/sys/sciml-cannot-write/here' : join(aFile, 'sub', 'here');
const underAFile = join(aFile, 'sub');

function assertUserError(r: CliResult, pattern: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${what}: a stack trace`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line, got ${r.stderr}`);
  assert.match(r.stderr, pattern, what);
}

const escape = (text: string) => text.replace(/[/.]/g, '\\$&');

/** Runs the commands (in one child process) and checks each ends in a one-line UserError matching its pattern. */
function expectUserErrors(cases: { args: string[]; pattern: RegExp }[]): void {
  const results = scimlBatch(
    cases.map((c) => c.args),
    { cwd: dir },
  );
  cases.forEach((c, i) => assertUserError(results[i], c.pattern, c.args.join(' ')));
}

test('output files (-o): a directory, a path under a file and an unwritable place exit 2 naming -o; a missing parent is created', () => {
  const commands = (out: string) => [
    ['data', 'generate', 'knots', '-n', '5', '-o', out],
    ['predict', '--model', join(dir, 'never-looked-at'), '--input', table, '-o', out],
  ];
  expectUserErrors(
    [folder, underAFile, unwritable].flatMap((out) =>
      commands(out).map((args) => ({ args, pattern: new RegExp(`^sciml: -o ${escape(out)}: `) })),
    ),
  );
  const fresh = join(missing, 'k.arrow');
  const [r] = scimlBatch([['data', 'generate', 'knots', '-n', '5', '-o', fresh]]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(fresh).length > 0);
});

test('run directories (--out): an existing one, a path under a file and an unwritable place exit 2 naming --out, before any work', () => {
  const commands = (out: string) => [
    ['train', knots, '--out', out],
    ['automl', table, '--target', 'y', '--out', out],
    ['evaluate', knots, '--model', folder, '--out', out],
    ['tune', tuneFile, '--out', out, '--workers', '1'],
  ];
  expectUserErrors(
    [folder, aFile, underAFile, unwritable].flatMap((out) =>
      commands(out).map((args) => ({ args, pattern: new RegExp(`^sciml: --out ${escape(out)}: `) })),
    ),
  );
  assert.deepEqual(
    readdirSync(folder),
    ['something.txt'],
    'the existing folder is untouched: no run written into it nor beside it',
  );
  assert.ok(!readdirSync(dir).some((f) => f.startsWith('a-folder-')), 'no silent a-folder-1');
});

test('input paths: a directory and a missing parent exit 2 naming the path', () => {
  const inputs = (p: string) => [
    ['train', p],
    ['automl', p],
    ['automl', table, '--test', p],
    ['predict', '--model', p, '--input', table],
    ['data', 'inspect', p],
    ['pipeline', 'run', p],
    ['tune', p],
    ['tune', '--resume', p],
    ['report', p],
    ['diff', p, p],
    ['serve', p],
    ['serve', p, '--token-file', p],
  ];
  expectUserErrors(
    [folder, join(missing, 'x.csv'), join(underAFile, 'x.csv')].flatMap((p) =>
      inputs(p).map((args) => ({ args, pattern: new RegExp(escape(p)) })),
    ),
  );
});

test('report on a run that failed says it failed, why, and that there is nothing to report', () => {
  const run = join(dir, 'failed-run');
  const [failed] = scimlBatch([['automl', table, '--target', 'nope', '--out', run]]);
  assert.equal(failed.code, 2, failed.stderr);
  const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
  assert.equal(info.status, 'failed');
  assert.match(info.error, /column 'nope'/);
  expectUserErrors([{ args: ['report', run], pattern: /this run failed: .*column 'nope'.*nothing to report/ }]);
});

test('time limits past what Node timers hold are refused at validation, on the command line and in files', () => {
  const file = join(dir, 'tune-huge.yaml');
  writeFileSync(
    file,
    readFileSync(tuneFile, 'utf8')
      .replace(/base:\s*(\S+)/, `base: ${join(root, 'configs')}/$1`)
      .replace(/time_limit_s: \d+/, 'time_limit_s: 1e12'),
  );
  expectUserErrors([
    { args: ['automl', table, '--time-limit', '3000000'], pattern: /--time-limit: expected at most 2000000 seconds/ },
    { args: ['tune', tuneFile, '--time-limit', '1e12'], pattern: /--time-limit: expected at most/ },
    { args: ['tune', file], pattern: /tune\.time_limit_s: expected at most 2000000 seconds/ },
  ]);
});
