#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { exitQuietlyOnClosedStdout } from '../dist/src/runtime/pipes.js';

exitQuietlyOnClosedStdout();
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Answered before the command-line parser and the commands load (start-up time, issue 25).
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  // `sciml runs` (the listing) is answered without the command-line parser too; the rest goes to it.
  const { quickMain } = await import('../dist/src/quick.js');
  const run = quickMain(process.argv) ?? import('../dist/src/cli.js').then(({ main }) => main(process.argv));
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
}
