/**
 * Errors caused by the user's input (bad config, missing file, malformed table).
 * The CLI prints only the message and exits with code 2; anything else is a bug (exit 1).
 */
export class UserError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** A user error located in a file: `file:line: field: message`. */
export function locatedError(
  file: string,
  line: number | undefined,
  field: string | undefined,
  message: string,
): UserError {
  const where = line !== undefined ? `${file}:${line}` : file;
  const what = field ? `${field}: ${message}` : message;
  return new UserError(`${where}: ${what}`);
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

/**
 * Not an error in sciml: a command that finished and wants a non-zero exit status (a failed
 * pipeline stage, a CI gate from `diff --fail-if`). It has printed its own report; the CLI exits quietly.
 */
export class ExitStatus extends Error {
  constructor(
    readonly code: number,
    message = `exit status ${code}`,
  ) {
    super(message);
    this.name = 'ExitStatus';
  }
}

/**
 * The exit status for what a command threw: a UserError's message is printed (exit 2), an
 * ExitStatus has its own; anything else is a bug and is thrown on.
 */
export function exitStatusOf(err: unknown): number {
  if (err instanceof ExitStatus) return err.code;
  if (isUserError(err)) {
    process.stderr.write(`sciml: ${err.message}\n`);
    return 2;
  }
  throw err;
}
