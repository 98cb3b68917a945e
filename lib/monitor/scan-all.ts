/**
 * Reading every watched service and diffing each against its snapshot: the "scan" step of a run.
 * Services are read concurrently through one limiter; each read ends in an outcome of its own, and
 * the outcomes are folded in the order VPCEP listed the services, so messages and the trail follow
 * that order whatever order the reads finish in.
 */
import type { Config } from '../config.js';
import { type Change, type ConnectionRecord, diffConnections, toRecords } from './diff.js';
import { createLimiter, type Limiter } from './limiter.js';
import type { ServiceCounts } from './metrics.js';
import type { Connection, EndpointService, MonitorDeps } from './ports.js';
import { type PendingBook, type PendingRecord, updatePending } from './reminders.js';
import { scanService } from './scan-service.js';
import type { MonitorState, ServiceSnapshot } from './state.js';

/** Concurrent list requests: enough to overlap network waits, few enough for a 128 MB function's CPU share. */
export const DEFAULT_CONCURRENCY = 4;
/** A service scan is not started with less time left than this; it keeps its snapshot for next run. */
const MIN_SCAN_MS = 1_000;

export interface ServiceChanges {
  service: EndpointService;
  changes: Change[];
}

export interface ServiceRead extends ServiceChanges {
  /** The service's pendingAcceptance connections as read in this run. */
  pending: Connection[];
  /** Its connections counted by status, for the metrics. */
  counts: ServiceCounts;
}

export interface ScanResult {
  /** Services listed (and selected by VPCEP_SERVICE_IDS) in this run. */
  serviceCount: number;
  /** Services read completely, in the order VPCEP listed them. */
  read: ServiceRead[];
  /** Every service with changes, including deleted ones, in the same order. */
  changed: ServiceChanges[];
  /** Services that could not be read (or were named but not found): they keep their snapshot. */
  failedServices: string[];
  connections: number;
  /** The next snapshot of every service still tracked. */
  services: Map<string, ServiceSnapshot>;
  pending: PendingBook;
}

type ServiceOutcome =
  | { read: true; entry: ServiceRead; snapshot: ServiceSnapshot; book: Map<string, PendingRecord>; count: number }
  | { read: false; serviceId: string };

export async function scanAll(config: Config, deps: MonitorDeps, previous: MonitorState, options: { startedAt: string; concurrency?: number }): Promise<ScanResult> {
  const services = await selectServices(config, deps);
  const limiter = createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  const outcomes = await Promise.all(services.map((service) => readService(service, deps, previous, limiter, options.startedAt)));

  const result: ScanResult = { serviceCount: services.length, read: [], changed: [], failedServices: [], connections: 0, services: new Map(), pending: new Map() };
  const keep = (id: string): void => {
    const snapshot = previous.services.get(id);
    if (snapshot) result.services.set(id, snapshot);
    const book = previous.pending.get(id);
    if (book) result.pending.set(id, book);
  };
  for (const outcome of outcomes) {
    if (!outcome.read) {
      result.failedServices.push(outcome.serviceId);
      keep(outcome.serviceId);
      continue;
    }
    const { entry } = outcome;
    result.read.push(entry);
    if (entry.changes.length > 0) result.changed.push(entry);
    result.services.set(entry.service.id, outcome.snapshot);
    result.pending.set(entry.service.id, outcome.book);
    result.connections += outcome.count;
  }

  const listed = new Set(services.map((service) => service.id));
  for (const id of config.serviceIds) {
    if (listed.has(id)) continue;
    result.failedServices.push(id);
    keep(id);
    deps.logger.error({ serviceId: id, api: 'vpcep:epservices:list' }, `service ${id} named in VPCEP_SERVICE_IDS was not found in project ${config.projectId}; next run will look again`);
  }
  // A service no longer listed was deleted: its connections are gone with it. One that is no
  // longer configured is simply not tracked any more.
  if (config.serviceIds.length === 0) {
    for (const [id, snapshot] of previous.services) {
      if (listed.has(id)) continue;
      const changes = [...snapshot.connections].map(([connectionId, record]): Change => ({ kind: 'removed', connectionId, previous: record }));
      if (changes.length > 0) result.changed.push({ service: { id, name: snapshot.name }, changes });
    }
  }
  return result;
}

/** One service: read completely, or left alone with its snapshot for the next run. */
async function readService(service: EndpointService, deps: MonitorDeps, previous: MonitorState, limiter: Limiter, startedAt: string): Promise<ServiceOutcome> {
  const { logger } = deps;
  if (deps.budget.remainingMs() < MIN_SCAN_MS) {
    logger.warn({ serviceId: service.id }, `service ${service.id} not scanned: the run's time is nearly up; next run will scan it`);
    return { read: false, serviceId: service.id };
  }
  const before = previous.services.get(service.id)?.connections;
  let current: Connection[];
  try {
    current = await scanService(deps.vpcep, service.id, { limiter, budget: deps.budget, previous: before });
  } catch (error) {
    logger.error({ err: error, serviceId: service.id }, `service ${service.id} could not be read: ${(error as Error).message}; its snapshot is kept and next run will read it again`);
    return { read: false, serviceId: service.id };
  }
  const changes = diffConnections(before ?? new Map<string, ConnectionRecord>(), current);
  // Only pending connections are needed after the scan (approval policy, reminders); keeping
  // every connection of every service until the end would hold the whole project in memory.
  const pending = current.filter((connection) => connection.status === 'pendingAcceptance');
  const book = updatePending(previous.pending.get(service.id), current, startedAt);
  return {
    read: true,
    entry: { service, changes, pending, counts: countConnections(service.id, current, pending, book) },
    snapshot: { name: service.name, scannedAt: deps.now().toISOString(), connections: toRecords(current, before) },
    book,
    count: current.length,
  };
}

/** Counts by status, and since when the oldest pending request waits (VPCEP's time or ours, the earlier). */
function countConnections(serviceId: string, current: readonly Connection[], pending: readonly Connection[], book: ReadonlyMap<string, PendingRecord>): ServiceCounts {
  const byStatus = new Map<string, number>();
  for (const { status } of current) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  let oldest: number | undefined;
  for (const connection of pending) {
    const since = Math.min(Date.parse(connection.updatedAt) || Infinity, Date.parse(book.get(connection.id)?.since ?? '') || Infinity);
    if (Number.isFinite(since) && (oldest === undefined || since < oldest)) oldest = since;
  }
  return { serviceId, total: current.length, byStatus, ...(oldest === undefined ? {} : { oldestPendingSince: oldest }) };
}

async function selectServices(config: Config, deps: MonitorDeps): Promise<EndpointService[]> {
  const all = await deps.vpcep.listServices();
  if (config.serviceIds.length === 0) return all;
  const wanted = new Set(config.serviceIds);
  return all.filter((service) => wanted.has(service.id));
}
