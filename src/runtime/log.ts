/**
 * Logging policy: stdout carries results only. Progress and notes go to stderr. How progress is
 * shown is the progress mode (`--progress`, or the SCIML_PROGRESS environment variable):
 * - `auto` (default): `tty` when stderr is a terminal and we are not under CI, `none` otherwise;
 * - `tty`: a progress line that overwrites itself (carriage returns), informational lines as they come;
 * - `plain`: one timestamped line per epoch, trial, stage or round; no carriage returns, no colour
 *   (for CI logs and `nohup`, like `docker build --progress=plain`);
 * - `none`: no progress and no informational lines; warnings still show.
 * `--quiet` silences everything, warnings included.
 */
import { UserError } from './errors.js';

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'none'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];
export const PROGRESS_ENV = 'SCIML_PROGRESS';

export interface Logger {
  /** Notes a user should see even when piped (warnings); suppressed only by --quiet. */
  warn(message: string): void;
  /** Informational lines (e.g. one per epoch): shown in tty and plain modes. */
  info(message: string): void;
  /** One line per unit of work (epoch, trial, stage, round): overwrites itself in tty mode, a timestamped line in plain mode. */
  progress(message: string): void;
  /** A finer-grained update (steps within an epoch, a clock): tty mode only. */
  transient(message: string): void;
  /** Ends an open progress line. */
  done(): void;
  /** True in tty mode: redrawing in place (carriage returns, cursor moves) is allowed. */
  readonly interactive: boolean;
  /** The resolved mode: what this logger writes. */
  readonly mode: Exclude<ProgressMode, 'auto'>;
}

export interface LoggerOptions {
  quiet?: boolean;
  /** Default: SCIML_PROGRESS, else `auto`. */
  progress?: ProgressMode;
  stream?: NodeJS.WriteStream;
  /** The clock of plain mode's timestamps (tests). */
  now?: () => Date;
}

/** Checks a progress mode given by `origin` (a flag or the environment variable). */
function parseProgressMode(value: string, origin: string): ProgressMode {
  if ((PROGRESS_MODES as readonly string[]).includes(value)) return value as ProgressMode;
  throw new UserError(`${origin}: expected ${PROGRESS_MODES.join(', ')}, got ${JSON.stringify(value)}`);
}

/** The mode the environment asks for (SCIML_PROGRESS), `auto` when unset. */
export function progressFromEnv(env: NodeJS.ProcessEnv = process.env): ProgressMode {
  const v = env[PROGRESS_ENV];
  return v === undefined || v === '' ? 'auto' : parseProgressMode(v, PROGRESS_ENV);
}

function resolveProgressMode(mode: ProgressMode, quiet: boolean, stream: { isTTY?: boolean }): Logger['mode'] {
  if (quiet) return 'none';
  if (mode !== 'auto') return mode;
  return !isCI() && stream.isTTY ? 'tty' : 'none';
}

/** `2026-12-06T16:05:03Z`: second resolution is enough for a log line. */
function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const quiet = options.quiet ?? false;
  const mode = resolveProgressMode(options.progress ?? progressFromEnv(), quiet, stream);
  const now = options.now ?? (() => new Date());
  let progressOpen = false;
  const closeProgress = () => {
    if (progressOpen) {
      stream.write('\n');
      progressOpen = false;
    }
  };
  const overwrite = (message: string) => {
    const width = stream.columns ?? 100;
    stream.write(`\r${message.slice(0, width - 1).padEnd(Math.min(width - 1, message.length + 8))}`);
    progressOpen = true;
  };
  const line = (message: string) => stream.write(`${timestamp(now())} ${message.replace(/[\r\n]+/g, ' ')}\n`);
  return {
    interactive: mode === 'tty',
    mode,
    warn(message) {
      if (quiet) return;
      closeProgress();
      stream.write(`warning: ${message}\n`);
    },
    info(message) {
      if (mode === 'plain') return void line(message);
      if (mode !== 'tty') return;
      closeProgress();
      stream.write(`${message}\n`);
    },
    progress(message) {
      if (mode === 'plain') line(message);
      else if (mode === 'tty') overwrite(message);
    },
    transient(message) {
      if (mode === 'tty') overwrite(message);
    },
    done() {
      closeProgress();
    },
  };
}

function isCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** A logger that prints nothing: for tests and library use. */
export const silentLogger: Logger = {
  interactive: false,
  mode: 'none',
  warn() {},
  info() {},
  progress() {},
  transient() {},
  done() {},
};
