/**
 * FunctionGraph entry point (handler `index.handler`). A doorway: read the context, build the
 * config and adapters, run one monitoring pass, log one summary line, return the summary.
 */
import { loadConfig, settingSource } from '../../lib/config.js';
import { budgetUntil } from '../../lib/huaweicloud/budget.js';
import { resolveCredentials } from '../../lib/huaweicloud/credentials.js';
import { createAdapters } from '../../lib/huaweicloud/adapters.js';
import { createLogger } from '../../lib/log.js';
import { changeRoomFor } from '../../lib/monitor/change-room.js';
import { createThrottleSignal } from '../../lib/monitor/limiter.js';
import { runMonitor, type RunSummary } from '../../lib/monitor/run-monitor.js';

/** The parts of FunctionGraph's context this function uses. */
export interface FunctionGraphContext {
  getRequestID(): string;
  getRemainingTimeInMilliSeconds(): number;
  getUserData(key: string): string | undefined;
  getSecurityAccessKey?(): string;
  getSecuritySecretKey?(): string;
  getSecurityToken?(): string;
  getFunctionName?(): string;
  getPackage?(): string;
  /** The function's memory size in MB: a larger one holds more of an alert storm per run. */
  getMemorySize?(): number;
}

// FunctionGraph kills the invocation at its timeout. Nothing may wait past the deadline less this
// margin (returning and flushing the log), and reading the cloud stops a reserve earlier still, so
// the state can be saved and the alerts published with what was read.
const SAFETY_MARGIN_MS = 1_500;
const WRITE_RESERVE_FRACTION = 0.25;
const WRITE_RESERVE_MAX_MS = 20_000;

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
  const remaining = context.getRemainingTimeInMilliSeconds();
  const hardDeadline = started + remaining;
  const writeBudget = budgetUntil(hardDeadline - SAFETY_MARGIN_MS);
  const scanBudget = budgetUntil(hardDeadline - SAFETY_MARGIN_MS - Math.min(WRITE_RESERVE_MAX_MS, remaining * WRITE_RESERVE_FRACTION));
  const throttles = createThrottleSignal();
  const adapters = createAdapters(config, credentials, { scan: scanBudget, write: writeBudget }, logger, throttles.report);
  const deps = { ...adapters, logger, now: () => new Date(), budget: scanBudget, throttles };

  try {
    const summary = await runMonitor(config, deps, { runId, leaseExpiresAt: new Date(hardDeadline), deployment: deploymentOf(context), maxChanges: changeRoomFor(context.getMemorySize?.()) });
    logger.info({ summary: { ...summary, durationMs: Date.now() - started } }, 'run complete');
    return summary;
  } catch (error) {
    const partial = (error as { summary?: RunSummary }).summary;
    logger.error({ err: error, summary: partial && { ...partial, durationMs: Date.now() - started } }, `run failed: ${(error as Error).message}`);
    throw error;
  }
}

/**
 * Which function this is: `{package}/{name}`, unique within a project and region. The state records
 * it, so a second deployment on the same prefix is told apart from this one changing its filter.
 */
function deploymentOf(context: FunctionGraphContext): string | undefined {
  const name = context.getFunctionName?.() ?? '';
  return name === '' ? undefined : `${context.getPackage?.() || 'default'}/${name}`;
}
