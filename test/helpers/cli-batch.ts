/**
 * Child process of scimlBatch (cli.ts): reads a JSON list of argument lists on stdin, runs each
 * through the CLI's main() with stdout and stderr captured, and prints the results as one JSON list.
 * With --quick, as bin/sciml.js does: the lines src/quick.ts answers without commander go there, through
 * the file bin/sciml.js loads it from (dist/quick.cjs, built by scripts/bundle-quick.mjs).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { main } from '../../src/cli.js';

const quick = process.argv.includes('--quick')
  ? (createRequire(import.meta.url)('../../quick.cjs') as typeof import('../../src/quick.js'))
  : undefined;
const run = quick ? (argv: string[]) => quick.quickMain(argv) ?? main(argv) : main;
const commands = JSON.parse(readFileSync(0, 'utf8')) as string[][];
const realWrite = process.stdout.write.bind(process.stdout);
const results: { code: number; stdout: string; stderr: string }[] = [];
for (const args of commands) {
  const out: string[] = [];
  const err: string[] = [];
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array) => (
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()), true
    )) as typeof process.stdout.write;
  const saved = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  let code: number;
  try {
    code = await run([process.execPath, 'sciml', ...args]);
  } catch (e) {
    err.push(`sciml: internal error: ${(e as Error)?.stack ?? e}\n`);
    code = 1;
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
  results.push({ code, stdout: out.join(''), stderr: err.join('') });
}
realWrite(JSON.stringify(results));
process.exit(0);
