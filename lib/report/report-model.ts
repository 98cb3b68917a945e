/**
 * What the report shows, worked out from the state and the period's audit trail. Pure: plain data
 * in (the parsed state, the records, the clock), plain data out; the renderer only lays it out.
 */
import { alertRaised, type AuditRecord } from '../monitor/audit.js';
import { type ConnectionRecord, decodeRecords, type RecordChunks } from '../monitor/records.js';
import type { MonitorState } from '../monitor/state.js';
import { addToRuns, changesCounts, reconstructTimeline, type RunDelta, type Timeline } from './timeline.js';

/**
 * Rows each table lists per service: the newest changes, the longest-waiting requests, the latest
 * failures; the rest are counted. With many services each gets a share of PAGE_ROWS per table (at
 * least MIN_ROWS), so a busy project's page stays a few megabytes.
 */
const DEFAULT_MAX_CHANGES = 200;
const PAGE_ROWS = 2_000;
const MIN_ROWS = 20;

function share(servicesWithRows: number): number {
  return Math.max(MIN_ROWS, Math.min(DEFAULT_MAX_CHANGES, Math.floor(PAGE_ROWS / Math.max(1, servicesWithRows))));
}

const PENDING = 'pendingAcceptance';
const FAILED = 'failed';

export interface ReportInput {
  now: Date;
  since: Date;
  /** `undefined` when the monitor has not saved a state yet. */
  state: MonitorState | undefined;
  /** Each service's connections as its snapshot's pages hold them (read from OBS by the caller). */
  snapshots?: ReadonlyMap<string, RecordChunks>;
  /** The period's records, oldest first (as `readAuditRange` yields them). */
  records: Iterable<AuditRecord>;
  /** Only this service. */
  serviceId?: string;
  /** When the monitor's first run wrote its trail (the first audit object): the chart starts there. */
  trailStart?: Date;
  /** Changes listed per service; by default a share of the page's rows (see DEFAULT_MAX_CHANGES). */
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
  /** Longest waiting first, at most a share of the page's rows. */
  pending: PendingRequest[];
  pendingCount: number;
  /** Latest first, at most a share of the page's rows. */
  failed: FailedConnection[];
  failedCount: number;
  /** Newest first, at most `maxChanges`. */
  changes: ChangeRow[];
  /** All of this service's records in the period. */
  changeCount: number;
}

/**
 * A record of the trail as the changes table shows it: `delivered` when the period's trail holds a
 * `delivered` record (SMN's acceptance) for the alert this change raised.
 */
export type ChangeRow = AuditRecord & { delivered?: true };

export interface ReportModel {
  generatedAt: Date;
  since: Date;
  hasState: boolean;
  stateSavedAt?: string;
  generation?: number;
  undelivered: number;
  services: ServiceReport[];
  recordCount: number;
}

/** One service's share of the trail, gathered as the records stream past. */
interface ServiceTrail {
  name: string;
  runs: RunDelta[];
  /** The newest records, oldest first, at most `DEFAULT_MAX_CHANGES` (or `maxChanges`). */
  newest: AuditRecord[];
  count: number;
  /** Per connection, the newest record that moved it into failed or pendingAcceptance. */
  latest: Map<string, AuditRecord>;
}

/**
 * Builds the report from the state and a stream of records, holding only what the page shows:
 * per service the runs' net changes, the newest records, and each connection's latest move into
 * failed or pending. `readAuditRange` yields 100,000 records without them all being in memory at once.
 */
export class ReportBuilder {
  private readonly trails = new Map<string, ServiceTrail>();
  private readonly keep: number;
  private recordCount = 0;
  /** Events the period's `delivered` records name: SMN accepted the alert they raised. */
  private readonly delivered = new Set<string>();
  /** Per shown service, the snapshot's failed and pending connections: the ones a record is looked up for. */
  private readonly needy = new Map<string, Map<string, ConnectionRecord>>();
  /** Per shown service, its connections by status now: counted in the same pass over the snapshot. */
  private readonly countsNow = new Map<string, Record<string, number>>();

  constructor(private readonly input: Omit<ReportInput, 'records'>) {
    this.keep = input.maxChanges ?? DEFAULT_MAX_CHANGES;
    for (const id of input.state?.services.keys() ?? []) {
      if (input.serviceId !== undefined && id !== input.serviceId) continue;
      const needy = new Map<string, ConnectionRecord>();
      const counts: Record<string, number> = {};
      for (const record of decodeRecords(input.snapshots?.get(id) ?? [])) {
        counts[record.status] = (counts[record.status] ?? 0) + 1;
        if (record.status === FAILED || record.status === PENDING) needy.set(record.id, record);
      }
      this.needy.set(id, needy);
      this.countsNow.set(id, counts);
    }
  }

  /** Records must come oldest first, as `readAuditRange` yields them. */
  add(record: AuditRecord): void {
    const { since, now, serviceId } = this.input;
    if (serviceId !== undefined && record.serviceId !== serviceId) return;
    const at = Date.parse(record.at);
    if (!(at >= since.getTime() && at <= now.getTime())) return;
    // A delivery is not a change: it only tells what became of the alert a change raised.
    if (record.change === 'delivered') {
      this.delivered.add(record.eventId);
      return;
    }
    this.recordCount += 1;
    let trail = this.trails.get(record.serviceId);
    if (!trail) this.trails.set(record.serviceId, (trail = { name: record.serviceName, runs: [], newest: [], count: 0, latest: new Map() }));
    trail.name = record.serviceName;
    trail.count += 1;
    addToRuns(trail.runs, record);
    trail.newest.push(record);
    // Trimmed in batches: shifting one off a long array per record would be quadratic.
    if (trail.newest.length >= this.keep * 2) trail.newest = trail.newest.slice(-this.keep);
    // Only connections the snapshot has failed or pending are shown with their record: keep no other.
    // Action and undeliverable records repeat the event's `to` without its details: skip them.
    if ((record.to === FAILED || record.to === PENDING) && changesCounts(record)) {
      const status = this.needy.get(record.serviceId)?.get(record.connectionId)?.status;
      if (status === record.to) trail.latest.set(record.connectionId, record);
    }
  }

  build(): ReportModel {
    const { now, since, state, serviceId } = this.input;
    const wanted = (id: string) => serviceId === undefined || serviceId === id;
    const trails = new Map(this.trails);
    const services: ServiceReport[] = [];
    for (const [id, snapshot] of state?.services ?? []) {
      const countsNow = this.countsNow.get(id);
      if (!countsNow) continue;
      const trail = trails.get(id);
      trails.delete(id);
      const total = Object.values(countsNow).reduce((sum, n) => sum + n, 0);
      const book = state!.pending.get(id);
      const pending: PendingRequest[] = [];
      const failed: FailedConnection[] = [];
      for (const [connectionId, connection] of this.needy.get(id) ?? []) {
        const latest = trail?.latest.get(connectionId);
        if (connection.status === PENDING) {
          const since = book?.get(connectionId)?.since ?? connection.updatedAt;
          const description = latest?.to === PENDING ? latest.description : undefined;
          pending.push({
            connectionId,
            domainId: connection.domainId,
            since,
            waitedMs: Math.max(0, now.getTime() - Date.parse(since)) || 0,
            sinceFromBook: book?.has(connectionId) === true,
            ...(description !== undefined ? { description } : {}),
          });
        } else if (connection.status === FAILED) {
          const failure = latest?.to === FAILED ? latest : undefined;
          failed.push({ connectionId, domainId: connection.domainId, updatedAt: connection.updatedAt, ...(failure ? { failure } : {}) });
        }
      }
      pending.sort((a, b) => b.waitedMs - a.waitedMs || a.connectionId.localeCompare(b.connectionId));
      failed.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.connectionId.localeCompare(b.connectionId));
      services.push({
        id,
        name: snapshot.name,
        inSnapshot: true,
        scannedAt: snapshot.scannedAt,
        counts: sortedCounts(countsNow),
        total,
        timeline: reconstructTimeline(countsNow, trail?.runs ?? [], since.getTime(), now.getTime(), this.input.trailStart?.getTime()),
        pending,
        pendingCount: pending.length,
        failed,
        failedCount: failed.length,
        changes: [],
        changeCount: trail?.count ?? 0,
      });
    }
    // Services the trail mentions but the snapshot does not (deleted since, or no state at all):
    // their changes are real, but there are no counts to walk back from.
    for (const [id, trail] of trails) {
      services.push({ id, name: trail.name, inSnapshot: false, counts: [], total: 0, pending: [], pendingCount: 0, failed: [], failedCount: 0, changes: [], changeCount: trail.count });
    }
    services.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));

    const changes = this.input.maxChanges ?? share(services.filter((service) => service.changeCount > 0).length);
    const pending = share(services.filter((service) => service.pendingCount > 0).length);
    const failed = share(services.filter((service) => service.failedCount > 0).length);
    for (const service of services) {
      service.changes = (this.trails.get(service.id)?.newest ?? []).slice(-changes).reverse()
        .map((record) => (alertRaised(record) && this.delivered.has(record.eventId) ? { ...record, delivered: true as const } : record));
      service.pending = service.pending.slice(0, pending);
      service.failed = service.failed.slice(0, failed);
    }

    return {
      generatedAt: now,
      since,
      hasState: state !== undefined,
      ...(state ? { stateSavedAt: state.savedAt, generation: state.generation } : {}),
      undelivered: state?.outbox.filter((event) => wanted(event.serviceId)).length ?? 0,
      services,
      recordCount: this.recordCount,
    };
  }
}

export function buildReport(input: ReportInput): ReportModel {
  const builder = new ReportBuilder(input);
  for (const record of input.records) builder.add(record);
  return builder.build();
}

function sortedCounts(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort(([a, m], [b, n]) => n - m || a.localeCompare(b));
}
