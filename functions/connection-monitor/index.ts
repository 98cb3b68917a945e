/**
 * FunctionGraph entry point (handler `index.handler`). A doorway: read the context, build the
 * config and adapters, run one monitoring pass, log one summary line, return the summary.
 */
import { loadConfig, settingSource } from '../../lib/config.js';
import { budgetUntil } from '../../lib/huaweicloud/budget.js';
import { resolveCredentials } from '../../lib/huaweicloud/credentials.js';
import { createAdapters } from '../../lib/huaweicloud/adapters.js';
import { createLogger } from '../../lib/log.js';
import { runMonitor, type RunSummary } from '../../lib/monitor/run-monitor.js';

/** The parts of FunctionGraph's context this function uses. */
export interface FunctionGraphContext {
  getRequestID(): string;
  getRemainingTimeInMilliSeconds(): number;
  getUserData(key: string): string | undefined;
  getSecurityAccessKey?(): string;
  getSecuritySecretKey?(): string;
  getSecurityToken?(): string;
}

// Kept back from FunctionGraph's remaining time for saving state, publishing and returning.
const SAFETY_MARGIN_MS = 5_000;

export type Summary = Pick<RunSummary, 'services' | 'connections' | 'changes' | 'alerts' | 'published'> & Partial<RunSummary>;

export async function handler(_event: unknown, context: FunctionGraphContext): Promise<Summary> {
  const started = Date.now();
  const runId = context.getRequestID();
  const bootLogger = createLogger('info').child({ runId });
  let config;
  let credentials;
  try {
    config = loadConfig(settingSource(context));
    credentials = resolveCredentials(context);
  } catch (error) {
    bootLogger.error({ err: error }, `configuration error: ${(error as Error).message}; no request was made, fix the setting and the next run will proceed`);
    throw error;
  }
  const logger = createLogger(config.logLevel).child({ runId });
  const budget = budgetUntil(started + context.getRemainingTimeInMilliSeconds() - SAFETY_MARGIN_MS);
  const deps = { ...createAdapters(config, credentials, budget, logger), logger, now: () => new Date(), budget };

  try {
    const summary = await runMonitor(config, deps, { runId });
    logger.info({ summary: { ...summary, durationMs: Date.now() - started } }, 'run complete');
    return summary;
  } catch (error) {
    const partial = (error as { summary?: RunSummary }).summary;
    logger.error({ err: error, summary: partial && { ...partial, durationMs: Date.now() - started } }, `run failed: ${(error as Error).message}`);
    throw error;
  }
}
