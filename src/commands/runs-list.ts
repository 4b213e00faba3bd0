/**
 * `sciml runs` (the listing): its options, declared once (runs.ts puts them on commander, quick.ts
 * reads them without commander), and the listing itself.
 */

export interface RunsListOption {
  /** Long flag, with `<value>` when it takes one. */
  flags: string;
  description: string;
  default?: string;
  /** Given several times, each value is kept (a list). */
  repeatable?: boolean;
  /** The value is an integer >= this. */
  minInteger?: number;
}

export const RUNS_LIST_OPTIONS: readonly RunsListOption[] = [
  { flags: '--dir <folder>', description: 'folder of run directories (searched 4 levels deep)', default: 'runs' },
  { flags: '--task <task>', description: 'only runs of this task' },
  { flags: '--status <status>', description: 'only runs with this status: completed, failed, interrupted or running' },
  {
    flags: '--tag <key=value>',
    description: 'only runs with this tag: key=value, or key for any value (repeatable: all must match)',
    repeatable: true,
  },
  {
    flags: '--limit <n>',
    description: 'only the N most recently started runs (after the other filters)',
    minInteger: 1,
  },
  {
    flags: '--sort <key>',
    description: 'started (default), name, duration, task or a metric; -key sorts descending',
    default: 'started',
  },
  { flags: '--md', description: 'GitHub-flavoured Markdown table' },
  { flags: '--json', description: 'JSON list' },
];

/** The listing's options as parsed (commander's names: `--dir` is `dir`). */
export interface RunsListOptions {
  dir: string;
  task?: string;
  status?: string;
  tag: string[];
  limit?: number;
  sort: string;
  md?: boolean;
  json?: boolean;
}

/** The output format: `--json` (the command's or the global one), `--md`, else text. */
export function formatOf(opts: { md?: boolean; json?: boolean }, json: boolean): 'text' | 'md' | 'json' {
  return opts.json || json ? 'json' : opts.md ? 'md' : 'text';
}

/** Prints the runs table (text, Markdown with --md, JSON with --json here or global --json). */
export async function printRunsList(opts: RunsListOptions, json: boolean): Promise<void> {
  const { listRuns } = await import('../compare/list.js');
  process.stdout.write(
    listRuns({
      dir: opts.dir,
      task: opts.task,
      status: opts.status,
      tags: opts.tag,
      limit: opts.limit,
      sort: opts.sort,
      format: formatOf(opts, json),
    }),
  );
}
