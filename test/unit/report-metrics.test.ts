/**
 * A run's figures to Cloud Eye, as plain data: off without METRICS_NAMESPACE or a sink, the run's
 * duration measured from its start, and a failure logged with what was lost.
 */
import { describe, expect, it } from 'vitest';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { loadConfig } from '../../lib/config.js';
import type { RunSummary } from '../../lib/monitor/plan-run.js';
import type { MonitorDeps } from '../../lib/monitor/ports.js';
import { reportMetrics } from '../../lib/monitor/report-metrics.js';
import type { ScanResult } from '../../lib/monitor/scan-all.js';
import { FakeMetrics, FakeObjects, FakePublisher, FakeVpcep, memoryLogger } from '../fakes.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const config = (settings: Record<string, string> = {}) =>
  loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT, ...settings })[name]);
const NOW = new Date('2026-11-25T12:00:05.000Z');
const STARTED = new Date('2026-11-25T12:00:00.000Z');
const scan: ScanResult = { serviceCount: 0, read: [], changed: [], failedServices: [], connections: 0, services: new Map(), pending: new Map() };
const summary: RunSummary = { runId: 'r', baseline: false, services: 0, connections: 0, changes: 0, alerts: 0, published: 0, failedServices: [], undelivered: 0, deadLettered: 0, generation: 1, actions: 0, reminders: 0 };

function deps(metrics?: FakeMetrics) {
  const { logger, lines } = memoryLogger();
  const value: MonitorDeps = { vpcep: new FakeVpcep(), objects: new FakeObjects(), publisher: new FakePublisher(), logger, now: () => NOW, budget: UNLIMITED, ...(metrics ? { metrics } : {}) };
  return { deps: value, lines };
}

describe('reportMetrics', () => {
  it('is off without a sink, even with METRICS_NAMESPACE set', async () => {
    expect(await reportMetrics(config({ METRICS_NAMESPACE: 'VPCEP.ConnectionMonitor' }), deps().deps, scan, summary, STARTED)).toBe('off');
  });

  it('sends the run duration from its start to now', async () => {
    const metrics = new FakeMetrics();
    expect(await reportMetrics(config({ METRICS_NAMESPACE: 'VPCEP.ConnectionMonitor' }), deps(metrics).deps, scan, summary, STARTED)).toBe('sent');
    expect(metrics.sent[0]!.metrics.find((metric) => metric.name === 'run_duration_ms')?.value).toBe(5000);
  });

  it('logs a failed send with the error and how many figures were lost', async () => {
    const metrics = new FakeMetrics();
    metrics.failing = true;
    const { deps: failing, lines } = deps(metrics);
    expect(await reportMetrics(config({ METRICS_NAMESPACE: 'VPCEP.ConnectionMonitor' }), failing, scan, summary, STARTED)).toBe('failed');
    const line = JSON.parse(lines().at(-1)!) as { metrics: number; err: { message: string } };
    expect(line.metrics).toBe(4);
    expect(line.err.message).toContain('HTTP 503');
  });
});
