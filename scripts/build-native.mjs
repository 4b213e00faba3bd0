#!/usr/bin/env node
// Compiles sciml's native engine (native/dnnl_addon.cc, a Node-API addon over oneDNN) into
// native/build/sciml_dnnl.node with the system C++ compiler. Run by `npm ci`/`npm install`
// (package.json "install"). Without g++ or Debian's libdnnl-dev it prints one line and exits 0:
// sciml then runs on the wasm backend. Turn it on with `apt-get install -y libdnnl-dev g++`,
// then `npm run build:native`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'dnnl_addon.cc');
const outDir = join(root, 'native', 'build');
const target = join(outDir, 'sciml_dnnl.node');
const skip = (why) => {
  console.log(
    `sciml native engine not built (${why}); sciml runs on wasm. To enable it: apt-get install -y libdnnl-dev g++ && npm run build:native`,
  );
  process.exit(0);
};

let headers;
try {
  headers = dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json'));
} catch {
  skip('the node-api-headers package is missing');
}
const cxx = process.env.CXX || 'g++';
if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) skip(`no C++ compiler (${cxx})`);
mkdirSync(outDir, { recursive: true });
const temporary = `${target}.tmp-${process.pid}`;
const args = [
  '-O3',
  '-std=c++17',
  '-shared',
  '-fPIC',
  '-fopenmp',
  '-fvisibility=hidden',
  '-I',
  join(headers, 'include'),
  '-o',
  temporary,
  source,
  '-ldnnl',
];
const result = spawnSync(cxx, args, { encoding: 'utf8' });
if (result.status !== 0) {
  rmSync(temporary, { force: true });
  const missingLibrary = /dnnl\.hpp|-ldnnl/.test(result.stderr ?? '');
  skip(
    missingLibrary
      ? 'oneDNN not found: Debian package libdnnl-dev'
      : `${cxx} failed: ${(result.stderr ?? '').split('\n').find((l) => /error/.test(l)) ?? 'see npm run build:native'}`,
  );
}
renameSync(temporary, target);
console.log(`sciml native engine built: ${existsSync(target) ? target.slice(root.length + 1) : target}`);
