#!/usr/bin/env node
// CommonJS (bin/package.json), so that the lines answered first start without the ES module loader (start-up time, issue 25).
'use strict';
// `sciml --version` and `sciml runs` (the listing) are answered from one pre-built file (src/quick.ts and
// what it loads, bundled by scripts/bundle-quick.mjs); every other line goes to the commander program.
let quick;
try {
  quick = require('../dist/quick.cjs');
} catch (err) {
  if (err?.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes('quick.cjs')) throw err;
  process.stderr.write(
    'sciml: dist/quick.cjs is missing: build with `npm run build` (tsc, then scripts/bundle-quick.mjs)\n',
  );
  process.exit(1);
}

quick.exitQuietlyOnClosedStdout();
const run = quick.quickMain(process.argv) ?? import('../dist/src/cli.js').then(({ main }) => main(process.argv));
run.then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (err?.code === 'EPIPE') {
      process.exitCode = 0;
      return;
    }
    process.stderr.write(`sciml: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
