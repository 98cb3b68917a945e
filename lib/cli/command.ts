/**
 * What every `vpcep-monitor` command is given and may throw. Its own module so the commands and
 * `main.ts`, which dispatches to them, do not import each other.
 */
import type { ParseArgsConfig } from 'node:util';

/** The streams and environment a command uses, so tests can run it in-process. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** The command line itself is wrong (unknown command, bad flag value): exit code 2 and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type Flags = Record<string, string | boolean | undefined>;

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Whether words after the command are allowed (e.g. `emulator add-pending SERVICE`). */
  positionals?: boolean;
  run(values: Flags, io: Io, positionals: string[]): Promise<number>;
}
