/**
 * Command lines answered without loading commander, for start-up time (issue 25; loading commander
 * costs about as much as the rest of `sciml runs`): a bare `sciml --version` (or `-V`) and the
 * listing of runs, `sciml [--json] [--quiet] [--backend B] [--progress P] runs [--dir D --task T ...]`.
 * Any other line, and any this reader is unsure of (help, a subcommand, an unknown or malformed
 * option, a value commander would refuse), is left to cli.ts: commander parses it and gives the
 * same result or the error message.
 *
 * bin/sciml.js loads this module and all it loads from one pre-built CommonJS file, dist/quick.cjs
 * (scripts/bundle-quick.mjs, at `npm run build`).
 */
import { GLOBAL_OPTIONS, flagOf, globalOptions, takesValue } from './cli-globals.js';
import { RUNS_LIST_OPTIONS, printRunsList, type RunsListOptions } from './commands/runs-list.js';
import { exitStatusOf } from './runtime/errors.js';
import { scimlVersion } from './runtime/version.js';

// What bin/sciml.js installs before any command, from the same file.
export { exitQuietlyOnClosedStdout } from './runtime/pipes.js';

interface Spec {
  flags: string;
  choices?: readonly string[];
  default?: string | boolean;
  repeatable?: boolean;
  minInteger?: number;
}

type Values = Record<string, string | boolean | number | string[]>;

/** commander's name for an option's value: `--keep-last` is `keepLast`. */
const nameOf = (flag: string): string => flag.slice(2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

function defaults(specs: readonly Spec[]): Values {
  const values: Values = {};
  for (const s of specs) {
    if (s.repeatable) values[nameOf(flagOf(s))] = [];
    else if (s.default !== undefined) values[nameOf(flagOf(s))] = s.default;
  }
  return values;
}

/**
 * Reads options as commander does (`--flag value` or `--flag=value`; the word after a flag that
 * takes a value is its value, whatever it looks like) from args[i] up to the first word that is not
 * an option. Returns where it stopped, or undefined when the line is not one to answer here.
 */
function readOptions(args: string[], i: number, specs: readonly Spec[], values: Values): number | undefined {
  for (; i < args.length && args[i].startsWith('-'); i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = specs.find((s) => flagOf(s) === flag);
    if (!spec) return undefined;
    const name = nameOf(flag);
    if (!takesValue(spec)) {
      if (eq > 0) return undefined;
      values[name] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || (spec.choices && !spec.choices.includes(value))) return undefined;
    if (spec.minInteger !== undefined) {
      // common.ts integer()'s rule; a value it refuses goes to commander for the message.
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < spec.minInteger) return undefined;
      values[name] = n;
    } else if (spec.repeatable) values[name] = [...(values[name] as string[]), value];
    else values[name] = value;
  }
  return i;
}

/** The global options and the listing's options of a `sciml ... runs ...` line, or undefined. */
export function quickRunsLine(args: string[]): { globals: Values; list: RunsListOptions } | undefined {
  const globals = defaults(GLOBAL_OPTIONS);
  let i = readOptions(args, 0, GLOBAL_OPTIONS, globals);
  if (i === undefined || args[i] !== 'runs') return undefined;
  const list = defaults(RUNS_LIST_OPTIONS);
  i = readOptions(args, i + 1, RUNS_LIST_OPTIONS, list);
  if (i === undefined || i < args.length) return undefined;
  return { globals, list: list as unknown as RunsListOptions };
}

/** A bare `sciml --version` or `sciml -V` (with anything else, commander answers). */
export const isVersionLine = (args: string[]): boolean =>
  args.length === 1 && (args[0] === '--version' || args[0] === '-V');

/** Runs the line here when it is one of those above (resolves to the exit status), else undefined. */
export function quickMain(argv: string[]): Promise<number> | undefined {
  const args = argv.slice(2);
  if (isVersionLine(args)) {
    process.stdout.write(`${scimlVersion()}\n`);
    return Promise.resolve(0);
  }
  const line = quickRunsLine(args);
  if (!line) return undefined;
  return (async () => {
    try {
      await printRunsList(line.list, globalOptions(line.globals).json);
      return 0;
    } catch (err) {
      return exitStatusOf(err);
    }
  })();
}
