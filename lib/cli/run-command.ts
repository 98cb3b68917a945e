/** `vpcep-monitor run [--dry-run]`: one pass from a workstation; logs go to stderr, the summary to stdout. */
import pino from 'pino';
import { loadConfig, settingSource } from '../config.js';
import { createAdapters } from '../huaweicloud/adapters.js';
import { UNLIMITED } from '../huaweicloud/budget.js';
import { resolveCredentials } from '../huaweicloud/credentials.js';
import { createLogger } from '../log.js';
import { leaseKey } from '../monitor/keys.js';
import { releaseLease } from '../monitor/lease.js';
import { createThrottleSignal } from '../monitor/limiter.js';
import type { Notification } from '../monitor/notify.js';
import { runMonitor } from '../monitor/run-monitor.js';
import type { Io } from './command.js';
import { type Style, styleFor } from './style.js';

export async function runCommand(dryRun: boolean, io: Io): Promise<number> {
  const config = loadConfig(settingSource(undefined, io.env));
  const credentials = resolveCredentials(undefined, io.env);
  // At a terminal a failure is the one `error:` line main() prints; retries and warnings (JSON of
  // ~700 characters each) are there only when LOG_LEVEL asks for them. The function logs as set.
  const level = io.env.LOG_LEVEL === undefined || io.env.LOG_LEVEL === '' ? 'silent' : config.logLevel;
  const logger = createLogger(level, pino.destination({ dest: 2, sync: true }));
  const throttles = createThrottleSignal();
  const deps = { ...createAdapters(config, credentials, { scan: UNLIMITED, write: UNLIMITED }, logger, throttles.report), logger, now: () => new Date(), budget: UNLIMITED, throttles };
  const runId = `cli-${new Date().toISOString()}`;
  // Ctrl-C or a kill would leave the lease for the 15 minutes it claims, and every timer run in
  // between would skip: release it first. Only a lease naming this run is deleted.
  const stop = (signal: NodeJS.Signals): void => {
    logger.warn(`${signal}: stopping; releasing the state lease if this run holds it`);
    void releaseLease(deps.objects, leaseKey(config.obsPrefix), runId)
      .catch((error: unknown) => logger.warn(`releasing the state lease failed (${(error as Error).message}); it expires on its own`))
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  let summary;
  try {
    summary = await runMonitor(config, deps, { runId, dryRun });
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
  }
  const { wouldPublish, ...rest } = summary;
  if (dryRun) io.stdout.write(dryRunReport(wouldPublish ?? [], styleFor(io.stdout, io.env)));
  io.stdout.write(`${JSON.stringify(rest)}\n`);
  return 0;
}

/**
 * Each message as its subscribers would read it: the subject and the `email` text (what e-mail
 * subscribers get), then the SMS text. Every notification is a message_structure, so there is no
 * plain `message` to show.
 */
function dryRunReport(notifications: readonly Notification[], style: Style): string {
  const lines = ['Dry run: nothing was published and no state was written.'];
  if (notifications.length === 0) lines.push('Nothing would be published.');
  notifications.forEach(({ message }, index) => {
    lines.push('', style.bold(`--- would publish message ${index + 1} of ${notifications.length} ---`));
    lines.push(`Subject: ${message.subject ?? ''}`, '', message.structure.email.trimEnd(), '', `SMS: ${message.structure.sms}`);
  });
  return `${lines.join('\n')}\n`;
}
