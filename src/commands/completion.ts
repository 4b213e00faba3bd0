import { Argument, type Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';

/** `sciml completion bash|zsh|fish`: a completion script written from the program's own command tree. */
export function registerCompletion(program: Command, _globals: GlobalsOf): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish) for every command and option')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      '\nbash: source <(sciml completion bash)    zsh: source <(sciml completion zsh)    fish: sciml completion fish | source',
    )
    .action(async (shell: 'bash' | 'zsh' | 'fish') => {
      const { completionTree } = await import('../completion/tree.js');
      const { completionScript } = await import('../completion/scripts.js');
      process.stdout.write(completionScript(shell, completionTree(program)));
    });
}
