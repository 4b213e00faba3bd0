import { Command, CommanderError, Option } from 'commander';
import { ExitStatus, isUserError } from './runtime/errors.js';
import { BACKEND_CHOICES } from './runtime/backend.js';
import type { GlobalsOf } from './contracts/globals.js';
import { PROGRESS_ENV, PROGRESS_MODES, progressFromEnv, type ProgressMode } from './runtime/log.js';
import { scimlVersion } from './runtime/version.js';
import { registerTrain } from './commands/train.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerAutoml } from './commands/automl.js';
import { registerData } from './commands/data.js';
import { registerReport } from './commands/report.js';
import { registerInfo } from './commands/info.js';
import { registerPredict } from './commands/predict.js';
import { registerConfig } from './commands/config.js';
import { registerPipeline } from './commands/pipeline.js';
import { registerRuns } from './commands/runs.js';
import { registerServe } from './commands/serve.js';
import { registerTune } from './commands/tune.js';
import { registerWorker } from './commands/worker.js';
import { registerWorkers } from './commands/workers.js';
import { registerUi } from './commands/ui.js';
import { registerCompletion } from './commands/completion.js';

export function buildProgram(): Command {
  const program = new Command('sciml')
    .description('Scientific machine learning from the command line')
    .version(scimlVersion())
    .addOption(new Option('--json', 'print a machine-readable JSON summary on stdout').default(false))
    .addOption(new Option('--quiet', 'no progress or warnings on stderr').default(false))
    .addOption(new Option('--backend <name>', 'compute backend').choices([...BACKEND_CHOICES]).default('auto'))
    .addOption(new Option('--progress <mode>', `progress on stderr: auto (a terminal only), tty (redrawn lines), plain (timestamped lines, for CI logs), none (default: $${PROGRESS_ENV} or auto)`).choices([...PROGRESS_MODES]))
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  const globals: GlobalsOf = () => {
    const o = program.opts();
    return { json: Boolean(o.json), quiet: Boolean(o.quiet), backend: o.backend, progress: (o.progress as ProgressMode | undefined) ?? progressFromEnv() };
  };
  const commands = [
    registerTrain,
    registerEvaluate,
    registerAutoml,
    registerPredict,
    registerData,
    registerReport,
    registerInfo,
    registerConfig,
    registerPipeline,
    registerRuns,
    registerServe,
    registerTune,
    registerWorker,
    registerWorkers,
    registerUi,
    registerCompletion,
  ];
  for (const register of commands) register(program, globals);
  for (const sub of program.commands) {
    sub.exitOverride();
    for (const subsub of sub.commands) subsub.exitOverride();
  }
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 2 bad input, 1 internal error). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.includes('train') && (argv.includes('--help') || argv.includes('-h'))) {
    const { preloadConfigHelp } = await import('./commands/config-help.js');
    await preloadConfigHelp();
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof ExitStatus) return err.code;
    if (isUserError(err)) {
      process.stderr.write(`sciml: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
