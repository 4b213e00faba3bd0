import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { runReport } from '../session.js';
import { printOutcome } from './common.js';

export function registerReport(program: Command, globals: GlobalsOf): void {
  program
    .command('report')
    .description('re-render report.html and charts/ from a run directory')
    .argument('<run-dir>')
    .action(async (dir: string) => {
      if (!existsSync(join(dir, 'config.yaml')) && existsSync(join(dir, 'tune.yaml'))) {
        // A tune run: its report comes from the journal, not from a task.
        const { renderTuneReport } = await import('../tune/index.js');
        const html = await renderTuneReport(dir);
        printOutcome({ text: `${html}\n`, summary: { run_dir: dir, report: html } }, globals());
        return;
      }
      printOutcome(await runReport(dir, globals()), globals());
    });
}
