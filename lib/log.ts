/**
 * The one logger. JSON lines on stdout, written synchronously: FunctionGraph may freeze the
 * process as soon as the handler returns, and an asynchronous buffer would lose the last lines.
 * No transports (they start worker threads and need files beside the bundle).
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { ConfigError } from './config-values.js';
import { CredentialsError } from './huaweicloud/credentials.js';
import { CloudError } from './huaweicloud/errors.js';
import { MonitorError } from './monitor/errors.js';

// Credentials are redacted at the logger, whatever a call site passes in and however deep (pino's
// redaction wildcards match one level each, so the depths are spelled out).
const SECRET_KEYS = ['ak', 'sk', 'securityToken', 'token', 'password', 'authorization', 'Authorization', 'credentials', '["x-security-token"]', '["X-Security-Token"]'];
const REDACT = ['', '*', '*.*', '*.*.*'].flatMap((depth) =>
  SECRET_KEYS.map((key) => (depth === '' ? key : key.startsWith('[') ? `${depth}${key}` : `${depth}.${key}`)),
);

// One synchronous stdout stream per process: a warm FunctionGraph instance serves many invocations,
// and a new stream per invocation would leak one each time.
let stdout: DestinationStream | undefined;

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { err: level === 'debug' || level === 'trace' ? pino.stdSerializers.errWithCause : errorWithoutExpectedStacks },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? (stdout ??= pino.destination({ dest: 1, sync: true })),
  );
}

/**
 * A failure the code anticipates (the cloud refused or could not be reached, a setting is wrong, a
 * run could not finish) is told by its message, its code and its cause chain; a stack trace adds
 * only noise to the operator's log. Programming errors keep theirs, and at `debug` every error does.
 */
function isExpected(error: unknown): boolean {
  return error instanceof CloudError || error instanceof ConfigError || error instanceof CredentialsError || error instanceof MonitorError;
}

type SerializedError = ReturnType<typeof pino.stdSerializers.errWithCause> & { raw?: unknown; cause?: SerializedError; aggregateErrors?: SerializedError[] };

function errorWithoutExpectedStacks(error: unknown): unknown {
  const serialized = pino.stdSerializers.errWithCause(error as Error) as SerializedError;
  if (serialized === error || typeof serialized !== 'object' || serialized === null) return serialized;
  stripStacks(serialized, false);
  return serialized;
}

// `raw` is the original error behind each serialized level (pino keeps it, not enumerable).
function stripStacks(serialized: SerializedError, underCloudError: boolean): void {
  // What a CloudError wraps is the transport's own failure (fetch's TypeError, a refused socket).
  if (underCloudError || isExpected(serialized.raw)) delete (serialized as { stack?: string }).stack;
  if (serialized.cause) stripStacks(serialized.cause, underCloudError || serialized.raw instanceof CloudError);
  for (const inner of serialized.aggregateErrors ?? []) stripStacks(inner, false);
}
