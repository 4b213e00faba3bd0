import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';

/** `sciml workers <url>`: who is connected to a queue, what each runs, since when. */
export function registerWorkers(program: Command, globals: GlobalsOf): void {
  program
    .command('workers')
    .description('list the sciml workers connected to a Redis queue and the jobs they run')
    .argument('<url>', 'redis://[user:password@]host[:port][/db] or rediss://...')
    .option('--queue <name>', 'queue (default sciml)')
    .action(async (url: string, opts) => {
      const { listWorkers, workersText } = await import('../execution/workers.js');
      const listing = await listWorkers(url, { queue: opts.queue, origin: 'sciml workers' });
      if (globals().json) process.stdout.write(JSON.stringify(listing) + '\n');
      else process.stdout.write(workersText(listing));
    });
}
