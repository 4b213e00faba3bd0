import type { Command } from 'commander';
import type { GlobalsOf } from '../cli.js';
import { collect, integer, printOutcome, tagOption } from './common.js';
import { configHelp } from './config-help.js';

export function registerTrain(program: Command, globals: GlobalsOf): void {
  program
    .command('train')
    .description('train a model from a YAML config, evaluate it against a baseline, and write a run directory')
    .argument('<config>', 'YAML config file (its `task:` field picks the model family)')
    .option('--out <dir>', 'run directory (default runs/<task>-<UTC timestamp>; never overwritten)')
    .option('--seed <n>', 'override the config seed', integer('--seed'))
    .option('--set <path=value>', 'override a config field, e.g. --set model.kernel_size=9 (repeatable)', collect, [])
    .option('--resume <run-dir>', 'continue an interrupted run from its last checkpoint')
    .addHelpText('after', () => configHelp())
    .addOption(tagOption())
    .action(async (config: string, opts) => {
      const { runTrain } = await import('../runtime/session.js');
      const outcome = await runTrain(config, opts, { ...globals(), tags: opts.tag }, process.argv.slice(1));
      printOutcome(outcome, globals());
    });
}
