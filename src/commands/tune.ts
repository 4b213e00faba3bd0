import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { UserError } from '../runtime/errors.js';
import { integer, printOutcome, tagOption, timeLimit } from './common.js';

export function registerTune(program: Command, globals: GlobalsOf): void {
  program
    .command('tune')
    .description(
      'search hyperparameters of any tunable task config (ASHA/TPE, segments), print a leaderboard per segment',
    )
    .argument('[tune-file]', 'YAML tune file (see configs/tune-*.yaml)')
    .option(
      '--resume <run-dir>',
      'continue an interrupted tune run: finished trials are kept, unfinished ones continue from their checkpoints',
    )
    .option(
      '--time-limit <seconds>',
      'wall-clock limit of the whole command, outputs included (overrides tune.time_limit_s)',
      timeLimit('--time-limit'),
    )
    .option('--workers <n>', 'trials in parallel (overrides tune.workers)', integer('--workers', 1))
    .option('--max-trials <n>', 'configurations per segment (overrides tune.max_trials)', integer('--max-trials', 1))
    .option('--executor <spec>', "where trials run: 'local' or an engine URL (overrides execution.executor)")
    .option('--out <dir>', 'run directory (default runs/tune-<UTC timestamp>)')
    .option(
      '--refit',
      "after the search, train each segment's winner into best/<segment>/ as a complete run directory (for sciml predict --model and sciml serve)",
    )
    .addOption(tagOption())
    .option('--report <run-dir>', 're-render report.html of a tune run from its files')
    .action(async (file: string | undefined, opts) => {
      if (opts.report) {
        const { renderTuneReport } = await import('../tune/index.js');
        const html = await renderTuneReport(opts.report);
        printOutcome({ text: `${html}\n`, summary: { run_dir: opts.report, report: html } }, globals());
        return;
      }
      if (!file && !opts.resume) throw new UserError('tune: expected a tune file, or --resume <run-dir>');
      if (file && opts.resume) throw new UserError('tune: give either a tune file or --resume <run-dir>, not both');
      const { runTune } = await import('../tune/index.js');
      const outcome = await runTune(
        {
          file,
          resume: opts.resume,
          out: opts.out,
          timeLimit: opts.timeLimit,
          workers: opts.workers,
          maxTrials: opts.maxTrials,
          executor: opts.executor,
          refit: Boolean(opts.refit),
        },
        { ...globals(), tags: opts.tag },
        process.argv.slice(1),
      );
      printOutcome(outcome, globals());
    });
}
