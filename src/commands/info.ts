import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { collectInfo, formatInfo } from '../runtime/info.js';

export function registerInfo(program: Command, globals: GlobalsOf): void {
  program
    .command('info')
    .description('versions, compute backend in use, patched kernels, threads, CPU')
    .action(async () => {
      const info = await collectInfo(globals().backend);
      process.stdout.write(globals().json ? JSON.stringify(info) + '\n' : formatInfo(info));
    });
}
