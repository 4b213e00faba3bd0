import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { createLogger } from '../runtime/log.js';
import { integer } from './common.js';
import { UserError } from '../runtime/errors.js';

const graceSeconds = integer('--redis-grace', 0);
/** Seconds, at most an hour (a longer stop defeats the supervisor's own timeout, and Node's timers). */
function redisGrace(value: string): number {
  const s = graceSeconds(value);
  if (s > 3600) throw new UserError(`--redis-grace: expected at most 3600 seconds, got ${value}`);
  return s;
}

/** `sciml worker <url>`: runs jobs from a Redis queue until Ctrl-C / SIGTERM (drain), a second one leaves at once. */
export function registerWorker(program: Command, globals: GlobalsOf): void {
  program
    .command('worker')
    .description('run AutoML trials, tune trials and pipeline stages from a Redis queue (Ctrl-C drains and leaves)')
    .argument(
      '<url>',
      'redis://[user:password@]host[:port][/db] or rediss://... (password also from SCIML_REDIS_PASSWORD)',
    )
    .option('--concurrency <n>', 'jobs run at once, each in its own thread (default 1)', integer('--concurrency', 1))
    .option('--queue <name>', 'queue to take jobs from (default sciml)')
    .option('--name <name>', 'worker name shown by `sciml workers` and in trials.jsonl (default host-pid)')
    .option('--cache <dir>', 'folder for cached job inputs (default $SCIML_CACHE_DIR or ~/.cache/sciml/blobs)')
    .option('--memory <mb>', 'heap limit of each job thread, in MiB', integer('--memory', 64))
    .option(
      '--redis-grace <s>',
      'on a stop signal with Redis unreachable: seconds to wait for it before giving up the drain (default 10)',
      redisGrace,
    )
    .action(async (url: string, opts) => {
      const { startWorker } = await import('../execution/worker.js');
      const { jobs } = await import('../registry.js');
      // The worker's own lines are what a supervisor (systemd, Slurm, kubectl logs) shows: always on stderr.
      const base = createLogger({ quiet: globals().quiet, progress: globals().progress });
      const log = { ...base, info: (m: string) => (globals().quiet ? undefined : process.stderr.write(`${m}\n`)) };
      const worker = await startWorker({
        jobs,
        url,
        queue: opts.queue,
        concurrency: opts.concurrency,
        name: opts.name,
        cacheDir: opts.cache,
        memoryMb: opts.memory,
        log,
        origin: 'sciml worker',
        redisGraceMs: opts.redisGrace === undefined ? undefined : opts.redisGrace * 1000,
      });
      await new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = (signal: string) => {
          signals++;
          if (signals === 1) {
            log.info(
              `${signal}: draining (running jobs finish; ${signal === 'SIGINT' ? 'Ctrl-C again' : 'a second signal'} leaves at once)`,
            );
            void worker.drain().then(resolve);
          } else {
            log.warn(`${signal}: leaving now; running jobs go back to the queue`);
            void worker.abandon().then(resolve);
          }
        };
        process.on('SIGINT', () => onSignal('SIGINT'));
        process.on('SIGTERM', () => onSignal('SIGTERM'));
      });
      log.info(`worker ${worker.name} left`);
      // A lost Redis leaves BullMQ's reconnect timers behind; they must not keep a stopped worker alive.
      setTimeout(() => process.exit(), 1000).unref();
    });
}
