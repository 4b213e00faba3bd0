import type { Command } from 'commander';
import { UserError } from '../runtime/errors.js';
import { integer } from './common.js';

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description(
      'a local read-only dashboard of run directories: runs, reports, live curves, comparisons, tunes, pipelines',
    )
    .option('--dir <folder>', 'folder of run directories', 'runs')
    .option('--host <addr>', 'address to bind (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port)', integer('--port', 0), 8080)
    .option(
      '--token-file <file>',
      'require this token: the printed URL carries it, API calls may send Authorization: Bearer',
    )
    .action(async (opts: { dir: string; host: string; port: number; tokenFile?: string }) => {
      if (opts.port > 65535) throw new UserError(`--port: expected 0..65535, got ${opts.port}`);
      const { startUi } = await import('../ui/index.js');
      await startUi({ ...opts, onReady: (url) => process.stdout.write(`${url}\n`) });
    });
}
