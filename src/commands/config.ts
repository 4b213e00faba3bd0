import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { configsReadme } from './config-readme.js';

export function registerConfig(program: Command, _globals: GlobalsOf): void {
  const config = program.command('config').description('config reference');
  config
    .command('docs')
    .description('print the reference of every config field (Markdown; this is configs/README.md)')
    .action(async () => {
      process.stdout.write(await configsReadme());
    });
}
