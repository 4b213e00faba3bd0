import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { collect, integer } from './common.js';
import { GENERATORS } from '../registry.js';

export function registerData(program: Command, globals: GlobalsOf): void {
  const data = program.command('data').description('generate and inspect data sets');
  data
    .command('generate')
    .description(
      `write a simulated data set (Arrow, Parquet, CSV or JSON lines by extension; kinds: ${Object.keys(GENERATORS).join(', ')})`,
    )
    .argument(
      '<kind>',
      Object.entries(GENERATORS)
        .map(([k, g]) => `${k}: ${g.summary}`)
        .join('; '),
    )
    .option('-n, --count <n>', 'number of rows', integer('-n', 1))
    .option('--seed <n>', 'random seed', integer('--seed'), 42)
    .option(
      '-o, --output <file>',
      'output file, format by extension: .arrow, .parquet, .csv, .tsv, .jsonl (- : an Arrow stream on stdout, not to a terminal)',
      '-',
    )
    .option('--set <key=value>', 'generator option, e.g. --set noise=uniform (repeatable)', collect, [])
    .option(
      '--shards <k>',
      'sharded generators (particles): number of Parquet files under the -o directory',
      integer('--shards', 1),
    )
    .action(async (kind: string, opts) => {
      const { generateData } = await import('../data/generate.js');
      const summary = await generateData(GENERATORS, kind, {
        count: opts.count,
        seed: opts.seed,
        output: opts.output,
        set: opts.set,
        shards: opts.shards,
      });
      if (opts.output !== '-') {
        if (globals().json) process.stdout.write(JSON.stringify(summary) + '\n');
        else
          process.stdout.write(
            `${summary.rows} rows of ${kind} -> ${summary.output}${summary.files ? ` (${summary.files} files)` : ''}\n`,
          );
      }
    });
  data
    .command('inspect')
    .description('schema, row count, and per column: type, missing count, min/max/mean or top values')
    .argument('<table>', 'CSV, TSV or Arrow file (- for stdin, Arrow or CSV sniffed)')
    .option('--json', 'print the summary as JSON')
    .action(async (table: string, opts: { json?: boolean }) => {
      const { inspectTable, formatTableSummary } = await import('../data/inspect.js');
      const summary = await inspectTable(table);
      process.stdout.write(opts.json || globals().json ? JSON.stringify(summary) + '\n' : formatTableSummary(summary));
    });
}
