import { Option, type Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { integer, positiveNumber, printOutcome, tagOption, timeLimit } from './common.js';

/** `sciml automl TABLE ...` is shorthand for a `task: automl` config built from the flags. */
export function registerAutoml(program: Command, globals: GlobalsOf): void {
  program
    .command('automl')
    .description('search a zoo of tabular models under a time budget, ensemble the best, print a leaderboard')
    .argument('<table>', 'CSV, Arrow or Parquet file, or a directory or glob of Parquet shards (- for stdin)')
    .option('--target <column>', 'column to predict (default: the last column)')
    .option('--drop <columns>', 'comma-separated columns the models must not see')
    .option(
      '--features <columns>',
      "comma-separated columns to read (plus --target); 'hlf': the 14 high-level features of particle events",
    )
    .option(
      '--time-limit <seconds>',
      'wall-clock budget of the whole run: search, ensembles, outputs (default 120)',
      timeLimit('--time-limit'),
    )
    .option('--test <file>', 'explicit holdout table, never seen by the search')
    .option('--test-fraction <f>', 'holdout fraction of the rows', positiveNumber('--test-fraction'))
    .option(
      '--train-fraction <f>',
      'training fraction of the rows (the rest is the holdout)',
      positiveNumber('--train-fraction'),
    )
    .option(
      '--metric <name>',
      'regression: rmse, mae, r2, rmsle; classification: log_loss, accuracy, balanced_accuracy, roc_auc, f1 (default: rmse or log_loss)',
    )
    .option('--problem-type <type>', 'regression, binary or multiclass (default: inferred from the target)')
    .option(
      '--class-weight <mode>',
      "classification: 'balanced' weights rows inversely to their class's frequency (default none)",
    )
    .option('--max-trials <n>', 'stop after this many trials (reproducible for a seed)', integer('--max-trials', 1))
    .option('--workers <n>', 'parallel trial workers (default: one per core)', integer('--workers', 1))
    .option('--seed <n>', 'random seed', integer('--seed'))
    .option(
      '--executor <spec>',
      'where trials run: local (default) or redis://host:port for `sciml worker` processes (password in the URL or SCIML_REDIS_PASSWORD)',
    )
    .option('--queue <name>', 'Redis queue of the workers (default sciml)')
    .addOption(
      new Option(
        '--deploy <mode>',
        "saved model: compact (members refitted on all rows, the default) or bagged (every fold's model)",
      ).choices(['compact', 'bagged']),
    )
    .option('--out <dir>', 'run directory')
    .addOption(tagOption())
    .action(async (table: string, opts) => {
      const data: Record<string, unknown> = {};
      // The input files are given as flags, so a missing one is reported against its flag.
      const flags = [{ path: ['data', 'path'], value: table, text: `data.path=${table}`, flag: `automl ${table}` }];
      if (opts.target !== undefined) data.target = opts.target;
      if (opts.drop !== undefined)
        data.drop = String(opts.drop)
          .split(',')
          .map((s: string) => s.trim())
          .filter(Boolean);
      if (opts.features !== undefined)
        data.columns = String(opts.features)
          .split(',')
          .map((s: string) => s.trim())
          .filter(Boolean);
      if (opts.test !== undefined)
        flags.push({
          path: ['data', 'test_path'],
          value: opts.test,
          text: `data.test_path=${opts.test}`,
          flag: `--test ${opts.test}`,
        });
      if (opts.testFraction !== undefined) data.test_fraction = opts.testFraction;
      if (opts.trainFraction !== undefined) data.train_fraction = opts.trainFraction;
      if (opts.problemType !== undefined) data.problem_type = opts.problemType;
      const search: Record<string, unknown> = {};
      if (opts.timeLimit !== undefined) search.time_limit_s = opts.timeLimit;
      if (opts.maxTrials !== undefined) search.max_trials = opts.maxTrials;
      if (opts.workers !== undefined) search.workers = opts.workers;
      if (opts.metric !== undefined) search.metric = opts.metric;
      if (opts.classWeight !== undefined) search.class_weight = opts.classWeight;
      const config: Record<string, unknown> = { task: 'automl', data, search };
      if (opts.deploy !== undefined) config.ensemble = { deploy: opts.deploy };
      const execution: Record<string, unknown> = {};
      if (opts.executor !== undefined) execution.executor = opts.executor;
      if (opts.queue !== undefined) execution.queue = opts.queue;
      if (Object.keys(execution).length) config.execution = execution;
      if (opts.seed !== undefined) config.seed = opts.seed;
      const { stringify } = await import('yaml');
      const { runTrainFromText } = await import('../session.js');
      const outcome = await runTrainFromText(
        '(automl command line)',
        stringify(config),
        { out: opts.out, flags },
        { ...globals(), tags: opts.tag },
        process.argv.slice(1),
      );
      printOutcome(outcome, globals());
    });
}
