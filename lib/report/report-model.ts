/**
 * What the report shows, worked out from the state and the period's audit trail. Pure: plain data
 * in (the parsed state, the records, the clock), plain data out; the renderer only lays it out.
 */
import type { AuditRecord } from '../monitor/audit.js';
import type { MonitorState } from '../monitor/state.js';
import { reconstructTimeline, type Timeline } from './timeline.js';

/** Changes listed per service; the rest are counted, and `vpcep-monitor audit` lists them all. */
export const DEFAULT_MAX_CHANGES = 200;

const PENDING = 'pendingAcceptance';
const FAILED = 'failed';

export interface ReportInput {
  now: Date;
  since: Date;
  /** `undefined` when the monitor has not saved a state yet. */
  state: MonitorState | undefined;
  /** The period's records, oldest first (as `readAudit` yields them). */
  records: readonly AuditRecord[];
  /** Only this service. */
  serviceId?: string;
  maxChanges?: number;
}

export interface PendingRequest {
  connectionId: string;
  domainId: string;
  since: string;
  waitedMs: number;
  /** `false` when the state's pending book has no entry and `since` is VPCEP's `updated_at`. */
  sinceFromBook: boolean;
  description?: string;
}

export interface FailedConnection {
  connectionId: string;
  domainId: string;
  updatedAt: string;
  /**
   * The period's latest record of it failing, when there is one; its `errors` are missing on
   * records written before the monitor kept them.
   */
  failure?: AuditRecord;
}

export interface ServiceReport {
  id: string;
  /** As VPCEP names it (`{region}.{name}.{id}`); the renderer shows the display name. */
  name: string;
  /** `false` for a service seen only in the trail: it is not in the last snapshot. */
  inSnapshot: boolean;
  scannedAt?: string;
  /** Status → count, most common first. */
  counts: [string, number][];
  total: number;
  timeline?: Timeline;
  /** Longest waiting first. */
  pending: PendingRequest[];
  failed: FailedConnection[];
  /** Newest first, at most `maxChanges`. */
  changes: AuditRecord[];
  /** All of this service's records in the period. */
  changeCount: number;
}

export interface ReportModel {
  generatedAt: Date;
  since: Date;
  hasState: boolean;
  stateSavedAt?: string;
  generation?: number;
  undelivered: number;
  services: ServiceReport[];
  recordCount: number;
  maxChanges: number;
}

export function buildReport(input: ReportInput): ReportModel {
  const { now, since, state } = input;
  const maxChanges = input.maxChanges ?? DEFAULT_MAX_CHANGES;
  const wanted = (serviceId: string) => input.serviceId === undefined || input.serviceId === serviceId;

  const byService = new Map<string, AuditRecord[]>();
  let recordCount = 0;
  for (const record of input.records) {
    if (!wanted(record.serviceId)) continue;
    const at = Date.parse(record.at);
    if (!(at >= since.getTime() && at <= now.getTime())) continue;
    recordCount += 1;
    let list = byService.get(record.serviceId);
    if (!list) byService.set(record.serviceId, (list = []));
    list.push(record);
  }

  const services: ServiceReport[] = [];
  for (const [id, snapshot] of state?.services ?? []) {
    if (!wanted(id)) continue;
    const records = byService.get(id) ?? [];
    byService.delete(id);
    const countsNow: Record<string, number> = {};
    for (const connection of snapshot.connections.values()) countsNow[connection.status] = (countsNow[connection.status] ?? 0) + 1;
    const latestFailure = latestByConnection(records, FAILED);
    const latestPending = latestByConnection(records, PENDING);
    const book = state!.pending.get(id);
    const pending: PendingRequest[] = [];
    const failed: FailedConnection[] = [];
    for (const [connectionId, connection] of snapshot.connections) {
      if (connection.status === PENDING) {
        const since = book?.get(connectionId)?.since ?? connection.updatedAt;
        const description = latestPending.get(connectionId)?.description;
        pending.push({
          connectionId,
          domainId: connection.domainId,
          since,
          waitedMs: Math.max(0, now.getTime() - Date.parse(since)) || 0,
          sinceFromBook: book?.has(connectionId) === true,
          ...(description !== undefined ? { description } : {}),
        });
      } else if (connection.status === FAILED) {
        const failure = latestFailure.get(connectionId);
        failed.push({ connectionId, domainId: connection.domainId, updatedAt: connection.updatedAt, ...(failure ? { failure } : {}) });
      }
    }
    pending.sort((a, b) => b.waitedMs - a.waitedMs || a.connectionId.localeCompare(b.connectionId));
    failed.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.connectionId.localeCompare(b.connectionId));
    const counts = sortedCounts(countsNow);
    services.push({
      id,
      name: snapshot.name,
      inSnapshot: true,
      scannedAt: snapshot.scannedAt,
      counts,
      total: snapshot.connections.size,
      timeline: reconstructTimeline(countsNow, records, since.getTime(), now.getTime()),
      pending,
      failed,
      changes: newest(records, maxChanges),
      changeCount: records.length,
    });
  }
  // Services the trail mentions but the snapshot does not (deleted since, or no state at all):
  // their changes are real, but there are no counts to walk back from.
  for (const [id, records] of byService) {
    services.push({
      id,
      name: records.at(-1)!.serviceName,
      inSnapshot: false,
      counts: [],
      total: 0,
      pending: [],
      failed: [],
      changes: newest(records, maxChanges),
      changeCount: records.length,
    });
  }
  services.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));

  return {
    generatedAt: now,
    since,
    hasState: state !== undefined,
    ...(state ? { stateSavedAt: state.savedAt, generation: state.generation } : {}),
    undelivered: state?.outbox.filter((event) => wanted(event.serviceId)).length ?? 0,
    services,
    recordCount,
    maxChanges,
  };
}

/** Per connection, the newest record that moved it into `status` (records are oldest first). */
function latestByConnection(records: readonly AuditRecord[], status: string): Map<string, AuditRecord> {
  const latest = new Map<string, AuditRecord>();
  for (const record of records) {
    if (record.to === status && record.change !== 'action') latest.set(record.connectionId, record);
  }
  return latest;
}

function newest(records: readonly AuditRecord[], max: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (let i = records.length - 1; i >= 0 && out.length < max; i--) out.push(records[i]!);
  return out;
}

function sortedCounts(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort(([a, m], [b, n]) => n - m || a.localeCompare(b));
}
