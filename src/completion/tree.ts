/** The command tree commander built, flattened for shell completion: nothing is listed by hand. */
import type { Command, Option } from 'commander';

export interface CompletionOption {
  /** `--out`, and `-o` when the option has a short flag. */
  flags: string[];
  description: string;
  /** The option takes a value (`--out <dir>`). */
  takesValue: boolean;
  /** Allowed values, when commander knows them (`.choices()`). */
  choices: string[];
}

export interface CompletionNode {
  /** Words after `sciml` naming this command: '' for the program, 'runs gc' for `sciml runs gc`. */
  path: string;
  description: string;
  subcommands: { name: string; description: string }[];
  /** Options accepted here: this command's and its ancestors' (commander takes those anywhere after them), and --help. */
  options: CompletionOption[];
  /** The values of the first positional argument, when commander knows them (`completion <shell>`). */
  argumentChoices: string[];
}

function optionOf(o: Option): CompletionOption {
  const flags = [o.long, o.short].filter((f): f is string => Boolean(f));
  return {
    flags,
    description: o.description,
    takesValue: o.required || o.optional,
    choices: [...(o.argChoices ?? [])],
  };
}

const HELP: CompletionOption = {
  flags: ['--help', '-h'],
  description: 'display help for command',
  takesValue: false,
  choices: [],
};

export function completionTree(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (cmd: Command, path: string, inherited: CompletionOption[]) => {
    const own = cmd.options.filter((o) => !o.hidden).map(optionOf);
    const ownFlags = new Set(own.flatMap((o) => o.flags));
    const options = [...inherited.filter((o) => !o.flags.some((f) => ownFlags.has(f))), ...own];
    const first = (cmd as unknown as { registeredArguments?: { argChoices?: string[] }[] }).registeredArguments?.[0];
    const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    nodes.push({
      path,
      description: cmd.description(),
      subcommands: subs.map((c) => ({ name: c.name(), description: c.description() })),
      options: [...options, HELP],
      argumentChoices: [...(first?.argChoices ?? [])],
    });
    for (const sub of subs) visit(sub, path ? `${path} ${sub.name()}` : sub.name(), options);
  };
  visit(program, '', []);
  return nodes;
}
