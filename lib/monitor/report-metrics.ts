/**
 * The last step of a run: its figures to Cloud Eye, when METRICS_NAMESPACE is set. Best effort by
 * design: it runs after every alert has been published or kept in the outbox, its failure is
 * logged and counted in the summary, and nothing it does can fail, delay or lose an alert.
 */
import type { Config } from '../config.js';
import { doorCounts, type DoorState } from './door.js';
import { runMetrics } from './metrics.js';
import type { RunSummary } from './plan-run.js';
import type { MonitorDeps } from './ports.js';
import type { ScanResult } from './scan-all.js';

export type MetricsOutcome = NonNullable<RunSummary['metrics']>;

export async function reportMetrics(config: Config, deps: MonitorDeps, scan: ScanResult, summary: RunSummary, startedAt: Date, doors?: ReadonlyMap<string, DoorState>): Promise<MetricsOutcome> {
  if (deps.metrics === undefined || config.metricsNamespace === undefined) return 'off';
  const now = deps.now();
  const metrics = runMetrics({
    projectId: config.projectId,
    // Only services read completely in this run: a service we could not read may have moved on.
    services: scan.read.map((entry) => entry.counts),
    unreadable: scan.failedServices.length,
    undelivered: summary.undelivered,
    durationMs: now.getTime() - startedAt.getTime(),
    skipped: summary.skipped !== undefined,
    doors: doorCounts(doors),
    now,
  });
  try {
    await deps.metrics.send(config.metricsNamespace, metrics, now);
    return 'sent';
  } catch (error) {
    deps.logger.warn({ err: error, metrics: metrics.length }, `sending ${metrics.length} metric(s) to Cloud Eye failed (${(error as Error).message}); alerting is not affected, the next run sends fresh figures`);
    return 'failed';
  }
}
