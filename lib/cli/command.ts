/**
 * What every `vpcep-monitor` command is given and may throw. Its own module so the commands and
 * `main.ts`, which dispatches to them, do not import each other.
 */
import type { ParseArgsConfig } from 'node:util';
import { INVISIBLE } from '../monitor/sanitize.js';

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

// JSON leaves C1 controls and the invisible and bidirectional characters as they are (it escapes
// only C0); on a terminal, a description another tenant wrote could hide or reorder what the reader
// sees. Escaped, with the pattern the messages clean them by, every line is still the same JSON.

/** `JSON.stringify`, safe to print: other tenants' text cannot steer the terminal. */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value).replace(INVISIBLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Every error is one line on stderr: its message, with any line break a service's error text
 * brought in folded into a space. The stack follows only at LOG_LEVEL=debug (or trace).
 */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim() || (error as Error)?.name || 'unknown error';
}
