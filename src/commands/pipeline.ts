import { Option, type Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { createLogger } from '../runtime/log.js';
import { ExitStatus } from '../runtime/errors.js';
import { integer } from './common.js';

export function registerPipeline(program: Command, globals: GlobalsOf): void {
  const pipeline = program
    .command('pipeline')
    .description('run a DAG of stages (DVC-style file): only what is stale, independent stages in parallel');
  pipeline
    .command('run')
    .description('run the stale stages; writes <name>.lock and <name>-report.html beside the file')
    .argument('<file>', 'pipeline file (stages with cmd, deps, outs, params, metrics; vars, foreach, matrix)')
    .argument(
      '[stages...]',
      'only these stages and what they need (a name like train@uniform, or train for all its instances)',
    )
    .option(
      '-j, --jobs <n>',
      'stages at once (default: the core count); a stage with cpus: n takes n',
      integer('--jobs', 1),
    )
    .option('--keep-going', 'after a failure, still run stages that do not depend on it')
    .option('--dry-run', 'print what would run and why, run nothing')
    .option('--no-run-cache', 'run stale stages even when the run-cache holds their outs')
    .option(
      '--executor <spec>',
      "where stages run: 'local' (default) or redis://host:port, where `sciml worker` processes take them (deps travel to the worker, outs come back; the file's execution: section names one too)",
    )
    .action(async (file: string, stages: string[], opts) => {
      const { pipelineRun } = await import('../pipeline/index.js');
      const g = globals();
      const { text, failed } = await pipelineRun(file, {
        jobs: opts.jobs,
        keepGoing: Boolean(opts.keepGoing),
        dryRun: Boolean(opts.dryRun),
        executor: opts.executor,
        runCache: opts.runCache,
        json: g.json,
        targets: stages,
        log: createLogger({ quiet: g.quiet, progress: g.progress }),
      });
      process.stdout.write(text);
      if (failed) throw new ExitStatus(1, `${failed} stage(s) failed`);
    });
  pipeline
    .command('status')
    .description('each stage: up to date, stale (and why), or never run')
    .argument('<file>')
    .argument('[stages...]', 'only these stages and what they need')
    .action(async (file: string, stages: string[]) => {
      const { pipelineStatus } = await import('../pipeline/index.js');
      process.stdout.write(await pipelineStatus(file, globals().json, stages));
    });
  pipeline
    .command('dag')
    .description('the stage graph as Mermaid text (or Graphviz dot)')
    .argument('<file>')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'))
    .action(async (file: string, opts: { format: string }) => {
      const { pipelineDag } = await import('../pipeline/index.js');
      process.stdout.write(pipelineDag(file, opts.format));
    });
  pipeline
    .command('gc')
    .description('remove run-cache entries and files that no lock beside the pipeline file references')
    .argument('<file>')
    .action(async (file: string) => {
      const { pipelineGc } = await import('../pipeline/index.js');
      process.stdout.write(pipelineGc(file, globals().json));
    });
}
