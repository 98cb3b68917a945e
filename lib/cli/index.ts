/** Entry point of dist/cli.js. */
import { main, oneLine } from './main.js';

// `vpcep-monitor audit | head` closes the pipe while we still write: that is the reader's choice,
// not a failure, and must not end in an unhandled 'error' event and its stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${oneLine(error)}\n`);
    process.exitCode = 1;
  },
);
