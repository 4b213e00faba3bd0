/**
 * A closed pipe on stdout (`sciml ... | head`) is a normal end for a command-line tool: exit 0
 * quietly instead of printing an EPIPE stack trace. Installed once by bin/sciml.js.
 */
export function exitQuietlyOnClosedStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
