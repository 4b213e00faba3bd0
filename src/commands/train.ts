import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { collect, integer, printOutcome, tagOption } from './common.js';
import { configHelp } from './config-help.js';
import { UserError } from '../runtime/errors.js';

export function registerTrain(program: Command, globals: GlobalsOf): void {
  program
    .command('train')
    .description('train a model from a YAML config, evaluate it against a baseline, and write a run directory')
    .argument('[config]', 'YAML config file (its `task:` field picks the model family); omitted with --resume')
    .option('--out <dir>', 'run directory (default runs/<task>-<UTC timestamp>; never overwritten)')
    .option('--seed <n>', 'override the config seed', integer('--seed'))
    .option('--set <path=value>', 'override a config field, e.g. --set model.kernel_size=9 (repeatable)', collect, [])
    .option('--resume <run-dir>', 'continue an interrupted run from its last checkpoint')
    .option('--replicas <n>', 'data-parallel replicas (sets training.distributed.replicas)', integer('--replicas', 1))
    .option(
      '--min-replicas <m>',
      'a round may close with this many replicas when others are lost for good (sets training.distributed.min_replicas)',
      integer('--min-replicas', 1),
    )
    .option('--executor <spec>', "where the replicas run: 'local' or redis://host:port (sets execution.executor)")
    .addHelpText('after', () => configHelp())
    .addOption(tagOption())
    .action(async (config: string | undefined, opts) => {
      if (config === undefined && !opts.resume)
        throw new UserError('train: expected a config file (sciml train <config>), or --resume <run-dir>');
      const set = [...opts.set, ...distributedSets(opts)];
      const { runTrain } = await import('../session.js');
      const outcome = await runTrain(
        config ?? opts.resume,
        { ...opts, set },
        { ...globals(), tags: opts.tag },
        process.argv.slice(1),
      );
      printOutcome(outcome, globals());
    });
}

/** The distributed-training flags as config overrides (the family's schema validates them). */
function distributedSets(opts: { replicas?: number; minReplicas?: number; executor?: string }): string[] {
  const out: string[] = [];
  if (opts.replicas !== undefined) out.push(`training.distributed.replicas=${opts.replicas}`);
  if (opts.minReplicas !== undefined) out.push(`training.distributed.min_replicas=${opts.minReplicas}`);
  if (opts.executor !== undefined) out.push(`execution.executor=${opts.executor}`);
  return out;
}
