import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli.js';
import { sciml } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-completion-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const scripts = Object.fromEntries(
  (['bash', 'zsh', 'fish'] as const).map((shell) => {
    const r = sciml(['completion', shell]);
    assert.equal(r.code, 0, r.stderr);
    const file = join(dir, `sciml.${shell}`);
    writeFileSync(file, r.stdout);
    return [shell, { text: r.stdout, file }];
  }),
);

/** Every command and option of the real program, walked here independently of the generator. */
function everything(cmd: Command, path: string[] = []): { path: string[]; flags: string[] }[] {
  const flags = cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  return [{ path, flags }, ...cmd.commands.flatMap((c) => everything(c, [...path, c.name()]))];
}

const has = (shell: (string | undefined)[]) => spawnSync('sh', ['-c', `command -v ${shell[0]}`]).status === 0;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** fish's condition for "the typed command path is `path`", as the script quotes it. */
const fishAt = (path: string) => `-n '__sciml_at \\'${path}\\''`;

test('every command and every option of the program appears in each shell script', async () => {
  const all = everything(await buildProgram());
  assert.ok(all.length > 15 && all.some((c) => c.path.join(' ') === 'runs gc'), 'the walk sees nested commands');
  for (const [shell, { text }] of Object.entries(scripts)) {
    for (const { path, flags } of all) {
      if (path.length) {
        const name = path[path.length - 1];
        const parent = path.slice(0, -1).join(' ');
        // bash/zsh: listed under the parent path's subcommands; fish: offered when the parent path is typed
        const listed =
          shell === 'fish'
            ? new RegExp(`${escape(fishAt(parent))} -a '${escape(name)}'`)
            : new RegExp(`'${escape(parent)}'\\) echo '[^']*\\b${escape(name)}\\b`);
        assert.match(text, listed, `${shell}: command '${path.join(' ')}'`);
      }
      for (const flag of flags) {
        const at = path.join(' ');
        const word =
          shell === 'fish' ? (flag.startsWith('--') ? `-l '${flag.slice(2)}'` : `-s '${flag.slice(1)}'`) : flag;
        const line = text
          .split('\n')
          .find((l) =>
            shell === 'fish'
              ? l.includes(fishAt(at)) && l.includes(` ${word}`)
              : l.startsWith(`    '${at}') echo`) && new RegExp(`[' ]${escape(flag)}[' ]`).test(l),
          );
        assert.ok(line, `${shell}: option ${flag} of '${at}'`);
      }
    }
  }
});

test('bash completes commands, nested commands, options, option values and fixed arguments', (t) => {
  if (!has(['bash'])) return t.skip('bash is not installed');
  const probe = `source ${scripts.bash.file}
t() { COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); COMPREPLY=(); _sciml; echo "\${COMPREPLY[*]}"; }
t sciml ru
t sciml runs g
t sciml runs --dir runs g
t sciml runs gc --ke
t sciml --progress ''
t sciml train x.yaml --backend w
t sciml completion f
t sciml automl --time`;
  const r = spawnSync('bash', ['-c', probe], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), [
    'runs',
    'gc',
    'gc',
    '--keep-last',
    'auto tty plain none',
    'wasm',
    'fish',
    '--time-limit',
  ]);
});

test('zsh and fish load their scripts and answer the same questions', (t) => {
  if (has(['zsh'])) {
    assert.equal(spawnSync('zsh', ['-n', scripts.zsh.file]).status, 0, 'zsh -n');
    const r = spawnSync(
      'zsh',
      [
        '-c',
        `compdef() { :; }; source ${scripts.zsh.file}; _sciml_subcommands runs; _sciml_choices '' --progress; _sciml_described_options 'runs gc' | grep -- '--keep-last:'`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      'rm gc',
      'auto tty plain none',
      '--keep-last:keep the N most recently started of the selected runs',
    ]);
  } else t.diagnostic('zsh is not installed (apt-get install zsh): its script was checked as text only');
  if (has(['fish'])) {
    const r = spawnSync(
      'fish',
      [
        '-c',
        `source ${scripts.fish.file}; complete -C'sciml runs g'; complete -C'sciml --progress p'; complete -C'sciml runs gc --k'`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t')[0]),
      ['gc', 'plain', '--keep-last'],
    );
  } else t.diagnostic('fish is not installed (apt-get install fish): its script was checked as text only');
});

test('an unknown shell exits 2', () => {
  const r = sciml(['completion', 'tcsh']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bash, zsh, fish/);
});
