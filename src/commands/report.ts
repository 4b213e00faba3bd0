import type { Command } from 'commander';
import type { GlobalsOf } from '../cli.js';
import { printOutcome } from './common.js';

export function registerReport(program: Command, globals: GlobalsOf): void {
  program
    .command('report')
    .description('re-render report.html and charts/ from a run directory')
    .argument('<run-dir>')
    .action(async (dir: string) => {
      const { runReport } = await import('../runtime/session.js');
      printOutcome(await runReport(dir, globals()), globals());
    });
}
