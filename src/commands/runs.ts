import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { ExitStatus } from '../runtime/errors.js';
import { collect } from './common.js';

function formatOf(opts: { md?: boolean; json?: boolean }, json: boolean): 'text' | 'md' | 'json' {
  return opts.json || json ? 'json' : opts.md ? 'md' : 'text';
}

export function registerRuns(program: Command, globals: GlobalsOf): void {
  program
    .command('runs')
    .description('list run directories: task, start, duration, status, headline metrics, params that differ from the first run listed')
    .option('--dir <folder>', 'folder of run directories (searched 4 levels deep)', 'runs')
    .option('--task <task>', 'only runs of this task')
    .option('--sort <key>', 'started (default), name, duration, task or a metric; -key sorts descending', 'started')
    .option('--md', 'GitHub-flavoured Markdown table')
    .option('--json', 'JSON list')
    .action(async (opts) => {
      const { listRuns } = await import('../compare/index.js');
      process.stdout.write(listRuns({ dir: opts.dir, task: opts.task, sort: opts.sort, format: formatOf(opts, globals().json) }));
    });
  program
    .command('diff')
    .description('metrics (every number of metrics.json) and config fields of two runs side by side, with changes')
    .argument('<runA>')
    .argument('<runB>')
    .option('--md', 'GitHub-flavoured Markdown (like dvc metrics diff --md)')
    .option('--json', 'JSON')
    .option('--fail-if <condition>', "exit 1 when the change B - A meets it, e.g. 'metrics.peak_accuracy < -0.01' or 'metrics.mse > 5%' (repeatable)", collect, [])
    .action(async (a: string, b: string, opts) => {
      const { diffCommand } = await import('../compare/index.js');
      const { text, failed } = diffCommand(a, b, { format: formatOf(opts, globals().json), failIf: opts.failIf });
      process.stdout.write(text);
      if (failed.length) {
        for (const f of failed) process.stderr.write(`sciml: diff --fail-if: ${f}\n`);
        throw new ExitStatus(1);
      }
    });
}
