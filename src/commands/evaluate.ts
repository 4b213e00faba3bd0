import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { runEvaluate } from '../session.js';
import { collect, integer, printOutcome, tagOption } from './common.js';

export function registerEvaluate(program: Command, globals: GlobalsOf): void {
  program
    .command('evaluate')
    .description('evaluate a trained model on held-out data and write a run directory')
    .argument('<config-or-run>', 'a run directory (uses its config.yaml and model/), or a config with --model')
    .option('--out <dir>', 'run directory for the evaluation (default runs/<task>-eval-<UTC timestamp>)')
    .option('--model <dir>', 'the model/ folder of a run (when the first argument is a config)')
    .option('--seed <n>', 'override the config seed (e.g. a fresh test set)', integer('--seed'))
    .option('--set <path=value>', 'override a config field (repeatable)', collect, [])
    .addOption(tagOption())
    .action(async (target: string, opts) => {
      const outcome = await runEvaluate(target, opts, { ...globals(), tags: opts.tag }, process.argv.slice(1));
      printOutcome(outcome, globals());
    });
}
