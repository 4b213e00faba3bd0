#!/usr/bin/env node
import { main } from '../dist/src/cli.js';
import { exitQuietlyOnClosedStdout } from '../dist/src/runtime/pipes.js';

exitQuietlyOnClosedStdout();
main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => {
    if (err?.code === 'EPIPE') { process.exitCode = 0; return; }
    process.stderr.write(`sciml: internal error: ${err?.stack ?? err}\n`); process.exitCode = 1;
  },
);
