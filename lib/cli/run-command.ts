import pino from 'pino';
import { loadConfig, settingSource } from '../config.js';
import { createAdapters } from '../huaweicloud/adapters.js';
import { UNLIMITED } from '../huaweicloud/budget.js';
import { resolveCredentials } from '../huaweicloud/credentials.js';
import { createLogger } from '../log.js';
import { runMonitor } from '../monitor/run-monitor.js';
import type { Io } from './main.js';

/** `vpcep-monitor run [--dry-run]`: one pass from a workstation; logs go to stderr, the summary to stdout. */
export async function runCommand(dryRun: boolean, io: Io): Promise<number> {
  const config = loadConfig(settingSource(undefined, io.env));
  const credentials = resolveCredentials(undefined, io.env);
  const logger = createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }));
  const deps = { ...createAdapters(config, credentials, { scan: UNLIMITED, write: UNLIMITED }, logger), logger, now: () => new Date(), budget: UNLIMITED };
  const summary = await runMonitor(config, deps, { runId: `cli-${new Date().toISOString()}`, dryRun });
  const { wouldPublish, ...rest } = summary;
  if (dryRun) {
    io.stdout.write(`Dry run: nothing was published and no state was written.\n`);
    for (const notification of wouldPublish ?? []) {
      io.stdout.write(`\nWould publish: ${notification.message.subject}\n${notification.message.message ?? ''}`);
    }
    if ((wouldPublish ?? []).length === 0) io.stdout.write('Nothing would be published.\n');
  }
  io.stdout.write(`${JSON.stringify(rest)}\n`);
  return 0;
}
