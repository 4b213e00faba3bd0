/**
 * Child process of scimlBatch (cli.ts): reads a JSON list of argument lists on stdin, runs each
 * through the CLI's main() with stdout and stderr captured, and prints the results as one JSON list.
 * With --quick, as bin/sciml.js does: the lines src/quick.ts answers without commander go there.
 */
import { readFileSync } from 'node:fs';
import { main } from '../../src/cli.js';
import { quickMain } from '../../src/quick.js';

const run = process.argv.includes('--quick') ? (argv: string[]) => quickMain(argv) ?? main(argv) : main;
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
