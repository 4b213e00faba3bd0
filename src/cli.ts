import { Command, CommanderError, Option } from 'commander';
import { exitStatusOf } from './runtime/errors.js';
import type { GlobalsOf } from './contracts/globals.js';
import { scimlVersion } from './runtime/version.js';
import { GLOBAL_OPTIONS, flagOf, globalOptions, takesValue } from './cli-globals.js';

type Register = (program: Command, globals: GlobalsOf) => void;

/** Every command, in the order `sciml --help` lists them; a command's module loads only when it is registered. */
const COMMANDS: [name: string, load: () => Promise<Register>][] = [
  ['train', () => import('./commands/train.js').then((m) => m.registerTrain)],
  ['evaluate', () => import('./commands/evaluate.js').then((m) => m.registerEvaluate)],
  ['automl', () => import('./commands/automl.js').then((m) => m.registerAutoml)],
  ['predict', () => import('./commands/predict.js').then((m) => m.registerPredict)],
  ['data', () => import('./commands/data.js').then((m) => m.registerData)],
  ['report', () => import('./commands/report.js').then((m) => m.registerReport)],
  ['info', () => import('./commands/info.js').then((m) => m.registerInfo)],
  ['config', () => import('./commands/config.js').then((m) => m.registerConfig)],
  ['pipeline', () => import('./commands/pipeline.js').then((m) => m.registerPipeline)],
  ['runs', () => import('./commands/runs.js').then((m) => m.registerRuns)],
  ['serve', () => import('./commands/serve.js').then((m) => m.registerServe)],
  ['tune', () => import('./commands/tune.js').then((m) => m.registerTune)],
  ['worker', () => import('./commands/worker.js').then((m) => m.registerWorker)],
  ['workers', () => import('./commands/workers.js').then((m) => m.registerWorkers)],
  ['ui', () => import('./commands/ui.js').then((m) => m.registerUi)],
  ['completion', () => import('./commands/completion.js').then((m) => m.registerCompletion)],
];

/** Global options that take a value: the word after them is not a command name. */
const VALUE_OPTIONS = new Set(GLOBAL_OPTIONS.filter(takesValue).map(flagOf));

/**
 * The commands a command line needs registered: the one it runs (its options and help are its
 * own), none for a bare `--version`, and all of them for the rest (help, completion's command
 * tree, an unknown command's suggestions).
 */
export function commandsFor(argv: string[]): string[] {
  const all = COMMANDS.map(([name]) => name);
  const args = argv.slice(2);
  let name: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (VALUE_OPTIONS.has(args[i])) i++;
    else if (!args[i].startsWith('-')) {
      name = args[i];
      break;
    }
  }
  if (name === undefined)
    return args.some((a) => a === '--version' || a === '-V') && !args.some((a) => a === '--help' || a === '-h')
      ? []
      : all;
  return all.includes(name) && name !== 'completion' ? [name] : all;
}

/** The program with the given commands registered (default: all). */
export async function buildProgram(names: string[] = COMMANDS.map(([name]) => name)): Promise<Command> {
  const program = new Command('sciml')
    .description('Scientific machine learning from the command line')
    .version(scimlVersion());
  for (const spec of GLOBAL_OPTIONS) {
    const option = new Option(spec.flags, spec.description);
    if (spec.choices) option.choices([...spec.choices]);
    if (spec.default !== undefined) option.default(spec.default);
    program.addOption(option);
  }
  program
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  const globals: GlobalsOf = () => globalOptions(program.opts());
  const registers = await Promise.all(COMMANDS.filter(([name]) => names.includes(name)).map(([, load]) => load()));
  for (const register of registers) register(program, globals);
  for (const sub of program.commands) {
    sub.exitOverride();
    for (const subsub of sub.commands) subsub.exitOverride();
  }
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 2 bad input, 1 internal error). */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(commandsFor(argv));
  if (argv.includes('train') && (argv.includes('--help') || argv.includes('-h'))) {
    const { preloadConfigHelp } = await import('./commands/config-help.js');
    await preloadConfigHelp();
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return 2;
    }
    return exitStatusOf(err);
  }
}
