/** Entry point of dist/cli.js. */
import { main, oneLine } from './main.js';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${oneLine(error)}\n`);
    process.exitCode = 1;
  },
);
