/** Plain audit records and states for the report's unit tests. */
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { emptyState, heldSnapshots, type MonitorState, putSnapshot } from '../../lib/monitor/state.js';
import { buildReport as buildReportFrom, type ReportInput, type ReportModel } from '../../lib/report/report-model.js';
import { chunksOf } from '../../lib/monitor/records.js';

export function record(fields: Partial<AuditRecord> & Pick<AuditRecord, 'at' | 'connectionId'>): AuditRecord {
  return {
    runId: `run-${fields.at}`,
    serviceId: 'svc-1',
    serviceName: 'ap-southeast-1.payments.svc-1',
    domainId: 'domain-a',
    change: 'status',
    from: null,
    to: null,
    eventId: 'e',
    raised: false,
    ...fields,
  };
}

/** `connections`: id → [status, updatedAt, domainId]. */
export function stateWith(services: Record<string, { name: string; connections: Record<string, [string, string, string]> }>, pending: Record<string, Record<string, string>> = {}): MonitorState {
  const state = emptyState();
  state.savedAt = '2026-11-20T12:00:00.000Z';
  state.generation = 7;
  for (const [id, { name, connections }] of Object.entries(services)) {
    putSnapshot(state, id, name, '2026-11-20T11:59:59.000Z', chunksOf(Object.entries(connections).map(([id, [status, updatedAt, domainId]]) => ({ id, status, updatedAt, domainId }))));
  }
  for (const [serviceId, book] of Object.entries(pending)) {
    state.pending.set(serviceId, new Map(Object.entries(book).map(([connectionId, since]) => [connectionId, { since, notifiedAt: since }])));
  }
  return state;
}

/** `buildReport` with each service's connections from the pages the state holds (`stateWith` holds them all). */
export function buildReport(input: ReportInput): ReportModel {
  return buildReportFrom({ ...(input.state ? { snapshots: heldSnapshots(input.state) } : {}), ...input });
}
