/**
 * Logging policy: stdout carries results only. Progress and notes go to stderr, and progress
 * (bars, per-epoch lines) only when stderr is a TTY and we are not under CI or --quiet.
 */
export interface Logger {
  /** Notes a user should see even when piped (warnings); suppressed only by --quiet. */
  warn(message: string): void;
  /** Informational lines: shown on a TTY, hidden when piped, under CI=true or --quiet. */
  info(message: string): void;
  /** A progress line that overwrites itself on a TTY; dropped otherwise. */
  progress(message: string): void;
  /** Ends an open progress line. */
  done(): void;
  readonly interactive: boolean;
}

export interface LoggerOptions {
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const quiet = options.quiet ?? false;
  const ci = isCI();
  const interactive = !quiet && !ci && Boolean(stream.isTTY);
  let progressOpen = false;
  const closeProgress = () => {
    if (progressOpen) {
      stream.write('\n');
      progressOpen = false;
    }
  };
  return {
    interactive,
    warn(message) {
      if (quiet) return;
      closeProgress();
      stream.write(`warning: ${message}\n`);
    },
    info(message) {
      if (!interactive) return;
      closeProgress();
      stream.write(`${message}\n`);
    },
    progress(message) {
      if (!interactive) return;
      const width = stream.columns ?? 100;
      stream.write(`\r${message.slice(0, width - 1).padEnd(Math.min(width - 1, message.length + 8))}`);
      progressOpen = true;
    },
    done() {
      closeProgress();
    },
  };
}

export function isCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** A logger that prints nothing: for tests and library use. */
export const silentLogger: Logger = {
  interactive: false,
  warn() {},
  info() {},
  progress() {},
  done() {},
};
