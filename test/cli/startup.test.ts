import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bin } from '../helpers/cli.js';

// Start-up is kept short by loading each command's modules only when it runs (timed in bench:startup);
// here: which modules a quick command loads at all.
const dir = mkdtempSync(join(tmpdir(), 'sciml-startup-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const hook = join(dir, 'hook.mjs');
// The hook runs on the loader thread: it writes to fd 2 directly (a stream write from there can be lost when a quick command exits).
writeFileSync(
  hook,
  "import { writeSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); if (!r.url.startsWith('node:')) writeSync(2, 'LOADED ' + r.url + '\\n'); return r; }\n",
);
const register = join(dir, 'register.mjs');
writeFileSync(
  register,
  `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`,
);

// CommonJS files (the bin, dist/quick.cjs, packages loaded by require) are not seen by that hook: listed at exit.
const required = join(dir, 'required.cjs');
writeFileSync(
  required,
  "process.on('exit', () => { for (const f of Object.keys(require.cache)) if (f !== __filename) process.stderr.write('REQUIRED ' + require('node:url').pathToFileURL(f).href + '\\n'); });\n",
);

/** The URLs of the ES modules (LOADED) and CommonJS files (REQUIRED) a sciml line loads. */
function loadedBy(args: string[]): { esm: string[]; cjs: string[] } {
  const r = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(register).href, '--require', required, bin, ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.split('\n');
  const tagged = (tag: string) => lines.filter((l) => l.startsWith(tag)).map((l) => l.slice(tag.length));
  return { esm: tagged('LOADED '), cjs: tagged('REQUIRED ') };
}

const loaded = (args: string[]): string[] => {
  const { esm, cjs } = loadedBy(args);
  return [...esm, ...cjs];
};

const HEAVY = [
  /@tensorflow/,
  /\/session\.js$/,
  /\/runtime\/backend\.js$/,
  /\/vega/,
  /\/fastify\//,
  /\/bullmq\//,
  /\/zod\//,
  /\/apache-arrow\//,
  /\/yaml\//,
];

test('--version, --help and runs on an empty folder load no compute backend, session, charts, HTTP, queue, config schema, Arrow or YAML code', () => {
  const empty = join(dir, 'runs');
  mkdirSync(empty);
  for (const args of [['--version'], ['--help'], ['runs', '--dir', empty], ['completion', 'bash']]) {
    const urls = loaded(args);
    assert.ok(
      urls.some((u) => u.endsWith('/dist/quick.cjs')),
      'the hooks see sciml load',
    );
    for (const heavy of HEAVY)
      assert.deepEqual(
        urls.filter((u) => heavy.test(u)),
        [],
        `sciml ${args.join(' ')} loads ${heavy}`,
      );
  }
  // A bare --version and the listing of runs are answered from one pre-built CommonJS file (src/quick.ts
  // bundled): no ES module of sciml, no commander; help still loads it.
  for (const args of [['--version'], ['--json', 'runs', '--dir', empty]]) {
    const { esm, cjs } = loadedBy(args);
    assert.deepEqual(
      // (with --import, node resolves the entry, the bin, through the ES module loader too)
      esm.filter((u) => !/\/(register|hook)\.mjs$|\/bin\/sciml\.js$/.test(u)),
      [],
      `sciml ${args.join(' ')}`,
    );
    assert.deepEqual(
      cjs.map((u) => u.slice(u.lastIndexOf('/', u.lastIndexOf('/') - 1) + 1)),
      ['bin/sciml.js', 'dist/quick.cjs'],
      `sciml ${args.join(' ')}`,
    );
  }
  assert.ok(loaded(['runs', '--help']).some((u) => /\/commander\//.test(u)));
});

test('the lazily loaded commands still work: train --help lists config fields, info loads the backend', () => {
  const help = spawnSync(process.execPath, [bin, 'train', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /task: denoiser/);
  assert.ok(loaded(['--json', 'info']).some((u) => /\/runtime\/backend\.js$/.test(u)));
});
