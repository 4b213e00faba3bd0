/**
 * The CLI's global options, declared once: cli.ts puts them on the commander program, quick.ts
 * reads them on the command lines it answers without commander.
 */
import type { GlobalOptions } from './contracts/globals.js';
import { BACKEND_CHOICES, type BackendChoice } from './runtime/backend-choices.js';
import { PROGRESS_ENV, PROGRESS_MODES, progressFromEnv, type ProgressMode } from './runtime/log.js';

export interface GlobalOptionSpec {
  /** Long flag, with `<value>` when it takes one. */
  flags: string;
  description: string;
  choices?: readonly string[];
  default?: string | boolean;
}

export const GLOBAL_OPTIONS: readonly GlobalOptionSpec[] = [
  { flags: '--json', description: 'print a machine-readable JSON summary on stdout', default: false },
  { flags: '--quiet', description: 'no progress or warnings on stderr', default: false },
  { flags: '--backend <name>', description: 'compute backend', choices: BACKEND_CHOICES, default: 'auto' },
  {
    flags: '--progress <mode>',
    description: `progress on stderr: auto (a terminal only), tty (redrawn lines), plain (timestamped lines, for CI logs), none (default: $${PROGRESS_ENV} or auto)`,
    choices: PROGRESS_MODES,
  },
];

/** The flag of an option spec: `--backend` for `--backend <name>`. */
export const flagOf = (spec: { flags: string }): string => spec.flags.split(' ')[0];

/** Whether the option takes a value (`--backend <name>`) or is a switch (`--json`). */
export const takesValue = (spec: { flags: string }): boolean => spec.flags.includes('<');

/** The global options a command sees, from the parsed flags (absent ones take their defaults; no --progress: SCIML_PROGRESS). */
export function globalOptions(o: {
  json?: boolean;
  quiet?: boolean;
  backend?: string;
  progress?: string;
}): GlobalOptions {
  return {
    json: Boolean(o.json),
    quiet: Boolean(o.quiet),
    backend: (o.backend ?? 'auto') as BackendChoice,
    progress: (o.progress as ProgressMode | undefined) ?? progressFromEnv(),
  };
}
