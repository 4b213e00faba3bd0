import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { ExitStatus, UserError } from '../runtime/errors.js';
import { collect, integer } from './common.js';
import { RUNS_LIST_OPTIONS, formatOf, printRunsList, type RunsListOptions } from './runs-list.js';

/** A yes/no question on the terminal; anything but y/yes is no. */
async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerRuns(program: Command, globals: GlobalsOf): void {
  const runs = program
    .command('runs')
    .description(
      'list run directories: task, start, duration, status, headline metrics, tags, params that differ from the first run of the same task; `runs rm`, `runs gc` remove runs',
    );
  for (const o of RUNS_LIST_OPTIONS) {
    if (o.repeatable) runs.option(o.flags, o.description, collect, []);
    else if (o.minInteger !== undefined)
      runs.option(o.flags, o.description, integer(o.flags.split(' ')[0], o.minInteger));
    else if (o.default !== undefined) runs.option(o.flags, o.description, o.default);
    else runs.option(o.flags, o.description);
  }
  runs.action(async (opts: RunsListOptions) => printRunsList(opts, globals().json));
  runs
    .command('rm')
    .description('remove run directories (paths, or names as `sciml runs` lists them) and print the bytes freed')
    .argument('<run...>', 'run directories')
    .addHelpText(
      'after',
      '\nNames are relative to `sciml runs --dir` (default runs), e.g. `sciml runs rm --dir out automl-20260101T000000Z`.',
    )
    .action(async (names: string[]) => {
      const { resolveRunArgs, removeRuns, removalText, removalJson } = await import('../compare/housekeeping.js');
      const removed = removeRuns(resolveRunArgs(names, runs.opts().dir));
      process.stdout.write(globals().json ? removalJson(removed) : removalText(removed));
    });
  runs
    .command('gc')
    .description(
      'remove the runs the filters select except the N newest (like mlflow gc / dvc gc); asks on a terminal, needs --yes otherwise',
    )
    .option('--keep-last <n>', 'keep the N most recently started of the selected runs', integer('--keep-last', 0))
    .addHelpText(
      'after',
      "\nThe runs to remove are selected by `sciml runs`' filters --dir, --status, --task and --tag (all given here too, e.g.\n`sciml runs gc --status failed --keep-last 3`); runs still 'running' stay unless --status running asks for them.",
    )
    .option('--dry-run', 'print what would be removed, remove nothing')
    .option('-y, --yes', 'remove without asking')
    .action(async (opts) => {
      const { planGc, removeRuns, removalText, removalJson, sizeOf } = await import('../compare/housekeeping.js');
      const { formatBytes } = await import('../runtime/memory.js');
      // --dir, --status, --task, --tag are the parent's options: commander gives them to `runs` wherever they stand.
      const filters = runs.opts();
      if (filters.limit !== undefined)
        throw new UserError('runs gc: --limit selects runs to list; use --keep-last N to keep the N newest');
      const plan = planGc({
        dir: filters.dir,
        keepLast: opts.keepLast,
        status: filters.status,
        task: filters.task,
        tags: filters.tag,
      });
      const json = globals().json;
      if (plan.length === 0) {
        process.stdout.write(json ? removalJson([]) : 'nothing to remove\n');
        return;
      }
      if (opts.dryRun) {
        const would = plan.map((r) => ({ name: r.name, path: r.path, status: r.status, bytes: sizeOf([r]) }));
        process.stdout.write(json ? removalJson(would, true) : removalText(would, 'would remove'));
        return;
      }
      if (!opts.yes) {
        const question = `remove ${plan.length} run${plan.length === 1 ? '' : 's'} (${formatBytes(sizeOf(plan))}): ${plan.map((r) => r.name).join(', ')}? [y/N] `;
        if (!process.stdin.isTTY || !process.stderr.isTTY)
          throw new UserError(
            `runs gc: would remove ${plan.length} run${plan.length === 1 ? '' : 's'}; not a terminal, so nothing asked and nothing removed: pass --yes (or --dry-run to see them)`,
          );
        if (!(await confirm(question))) {
          process.stderr.write('nothing removed\n');
          throw new ExitStatus(1);
        }
      }
      const removed = removeRuns(plan);
      process.stdout.write(json ? removalJson(removed) : removalText(removed));
    });
  program
    .command('diff')
    .description('metrics (every number of metrics.json) and config fields of two runs side by side, with changes')
    .argument('<runA>')
    .argument('<runB>')
    .option('--md', 'GitHub-flavoured Markdown (like dvc metrics diff --md)')
    .option('--json', 'JSON')
    .option(
      '--fail-if <condition>',
      "exit 1 when the change B - A meets it, e.g. 'metrics.peak_accuracy < -0.01' or 'metrics.mse > 5%' (repeatable)",
      collect,
      [],
    )
    .action(async (a: string, b: string, opts) => {
      const { diffCommand } = await import('../compare/diff.js');
      const { text, failed } = diffCommand(a, b, { format: formatOf(opts, globals().json), failIf: opts.failIf });
      process.stdout.write(text);
      if (failed.length) {
        for (const f of failed) process.stderr.write(`sciml: diff --fail-if: ${f}\n`);
        throw new ExitStatus(1);
      }
    });
}
