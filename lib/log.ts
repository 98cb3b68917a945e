/**
 * The one logger. JSON lines on stdout, written synchronously: FunctionGraph may freeze the
 * process as soon as the handler returns, and an asynchronous buffer would lose the last lines.
 * No transports (they start worker threads and need files beside the bundle).
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

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
      serializers: { err: pino.stdSerializers.errWithCause },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? (stdout ??= pino.destination({ dest: 1, sync: true })),
  );
}
