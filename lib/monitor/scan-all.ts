/**
 * Reading every watched service and diffing each against its snapshot: the "scan" step of a run.
 * Services are read concurrently through one limiter; each read ends in an outcome of its own, and
 * the outcomes are folded in the order VPCEP listed the services, so messages and the trail follow
 * that order whatever order the reads finish in.
 */
import type { Config } from '../config.js';
import { type Change, diffRecords } from './diff.js';
import { createAdaptiveLimiter, type Limiter } from './limiter.js';
import { ScanPostponedError } from './errors.js';
import type { ServiceCounts } from './metrics.js';
import type { Connection, EndpointService, MonitorDeps } from './ports.js';
import { countRecords, type RecordChunks } from './records.js';
import { type PendingBook, type PendingRecord, updatePending } from './reminders.js';
import { scanService, type ServiceScan } from './scan-service.js';
import type { MonitorState, ServiceSnapshot } from './state.js';

// Connections in these states need someone; their descriptions and errors go into the trail.
const NEEDS_ATTENTION = new Set(['pendingAcceptance', 'failed', 'rejected']);

export interface ServiceChanges {
  service: EndpointService;
  /** How many changes `changes()` yields. */
  count: number;
  /** Walks the changes, lazily, from the two snapshots: a baseline is never a list of them all. */
  changes: () => Iterable<Change>;
  /** The connections kept whole, by id: what alerts and the trail say beyond the record. */
  kept: ReadonlyMap<string, Connection>;
  /** The changes of `kept` connections, when counting already walked them all (a mass move). */
  keptChanges?: Change[];
}

export interface ServiceRead extends ServiceChanges {
  /** The service's pendingAcceptance connections as read in this run. */
  pending: Connection[];
  /** Its connections counted by status, for the metrics. */
  counts: ServiceCounts;
}

export interface ScanResult {
  /** Services read or tried in this run: listed (and selected by VPCEP_SERVICE_IDS), or unlisted but not gone. */
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
  | { read: true; entry: ServiceRead; snapshot: ServiceSnapshot; book: Map<string, PendingRecord> }
  | { read: false; serviceId: string };

export async function scanAll(
  config: Config,
  deps: MonitorDeps,
  /** The state as loaded; it may still be arriving when the first pages are read. */
  loading: MonitorState | Promise<MonitorState>,
  services: readonly EndpointService[],
  options: { startedAt: string; signal?: AbortSignal },
): Promise<ScanResult> {
  // Concurrent VPCEP reads: as many as overlap the network waits, halved when VPCEP throttles.
  const limiter = createAdaptiveLimiter({ max: config.maxInFlight, throttles: deps.throttles, logger: deps.logger });
  const keep = (connection: Connection): boolean =>
    NEEDS_ATTENTION.has(connection.status) || config.alertStatuses.has(connection.status) || connection.errors.length > 0;
  const state = Promise.resolve(loading);
  const context = { limiter, keep, startedAt: options.startedAt, signal: options.signal, keptChanges: { left: KEPT_CHANGES } };
  const reads = Promise.all(services.map((service) => readService(service, deps, state, context)));
  const listed = new Set(services.map((service) => service.id));
  const unlisted = readUnlisted(config, deps, state, listed, context);
  unlisted.catch(() => undefined); // met below, after the listed reads
  const outcomes = [...(await reads), ...(await unlisted).outcomes];
  const { gone } = await unlisted;
  const previous = await state;

  const result: ScanResult = { serviceCount: outcomes.length, read: [], changed: [], failedServices: [], connections: 0, services: new Map(), pending: new Map() };
  const keepSnapshot = (id: string): void => {
    const snapshot = previous.services.get(id);
    if (snapshot) result.services.set(id, snapshot);
    const book = previous.pending.get(id);
    if (book) result.pending.set(id, book);
  };
  for (const outcome of outcomes) {
    if (!outcome.read) {
      result.failedServices.push(outcome.serviceId);
      keepSnapshot(outcome.serviceId);
      continue;
    }
    const { entry } = outcome;
    result.read.push(entry);
    if (entry.count > 0) result.changed.push(entry);
    result.services.set(entry.service.id, outcome.snapshot);
    result.pending.set(entry.service.id, outcome.book);
    result.connections += entry.counts.total;
  }

  const configured = new Set(config.serviceIds);
  for (const id of gone) {
    if (configured.has(id)) {
      result.failedServices.push(id);
      keepSnapshot(id);
      deps.logger.error({ serviceId: id, api: 'vpcep:epservices:get' }, `service ${id} named in VPCEP_SERVICE_IDS was not found in project ${config.projectId}; next run will look again`);
      continue;
    }
    // VPCEP says the service is gone (404): its connections are gone with it. One that is no
    // longer configured is simply not tracked any more (it is no candidate here).
    const snapshot = previous.services.get(id);
    const count = snapshot ? countRecords(snapshot.chunks) : 0;
    if (snapshot && count > 0) result.changed.push({ service: { id, name: snapshot.name }, count, changes: () => diffRecords(snapshot.chunks, []), kept: new Map() });
  }
  return result;
}

/**
 * The services a listing left out although this monitor expects them (in its snapshot, or named in
 * VPCEP_SERVICE_IDS). A listing can miss one (an inconsistent read, a service pushed off a page),
 * so each is asked about on its own: only VPCEP's 404 makes it gone; any other answer, an error
 * included, has it read as usual (a read that fails keeps its snapshot).
 */
async function readUnlisted(
  config: Config,
  deps: MonitorDeps,
  state: Promise<MonitorState>,
  listed: ReadonlySet<string>,
  context: ReadContext,
): Promise<{ outcomes: ServiceOutcome[]; gone: string[] }> {
  const previous = await state;
  const expected = config.serviceIds.length > 0 ? config.serviceIds : [...previous.services.keys()];
  const candidates = [...new Set(expected)].filter((id) => !listed.has(id));
  const gone: string[] = [];
  const outcomes = await Promise.all(candidates.map(async (id): Promise<ServiceOutcome | undefined> => {
    let service: EndpointService | undefined;
    try {
      service = await context.limiter(() => deps.vpcep.getService(id));
      if (service === undefined) {
        gone.push(id);
        return undefined;
      }
      deps.logger.warn({ serviceId: id }, `service ${id} was missing from the service listing but VPCEP still has it; read as usual`);
    } catch (error) {
      deps.logger.warn({ err: error, serviceId: id }, `service ${id} was missing from the service listing and asking VPCEP about it failed (${(error as Error).message}); not taken as deleted, read as usual`);
    }
    return readService(service ?? { id, name: previous.services.get(id)?.name ?? '' }, deps, state, context);
  }));
  // Candidates follow the snapshot's order, so gone services are reported in a stable order.
  gone.sort((a, b) => candidates.indexOf(a) - candidates.indexOf(b));
  return { outcomes: outcomes.filter((outcome): outcome is ServiceOutcome => outcome !== undefined), gone };
}

interface ReadContext {
  limiter: Limiter;
  keep: (connection: Connection) => boolean;
  startedAt: string;
  signal: AbortSignal | undefined;
  keptChanges: { left: number };
}

/** One service: read completely, or left alone with its snapshot for the next run. */
async function readService(
  service: EndpointService,
  deps: MonitorDeps,
  state: Promise<MonitorState>,
  context: ReadContext,
): Promise<ServiceOutcome> {
  const { logger } = deps;
  let scan: ServiceScan;
  try {
    const previous = state.then((loaded) => loaded.services.get(service.id)?.chunks);
    scan = await scanService(deps.vpcep, service.id, { limiter: context.limiter, budget: deps.budget, previous, keep: context.keep, signal: context.signal });
  } catch (error) {
    // A state that could not be loaded fails the run, not this service; nor does a run that stopped.
    await state;
    if (context.signal?.aborted) return { read: false, serviceId: service.id };
    if (error instanceof ScanPostponedError) logger.warn({ serviceId: service.id }, error.message);
    else logger.error({ err: error, serviceId: service.id }, `service ${service.id} could not be read: ${(error as Error).message}; its snapshot is kept and next run will read it again`);
    return { read: false, serviceId: service.id };
  }
  const previous = await state;
  const before = previous.services.get(service.id)?.chunks;
  const kept = new Map(scan.kept.map((c) => [c.id, c]));
  const walked = walkChanges(before, scan.chunks, context.keptChanges, kept);
  const pending = scan.kept.filter((connection) => connection.status === 'pendingAcceptance');
  const book = updatePending(previous.pending.get(service.id), pending, context.startedAt);
  return {
    read: true,
    entry: { service, ...walked, kept, pending, counts: countsOf(service.id, scan, pending, book) },
    snapshot: { name: service.name, scannedAt: deps.now().toISOString(), chunks: scan.chunks },
    book,
  };
}

// The usual run changes a handful of connections: they are kept (up to this many in the whole run)
// and handed out again. Beyond that (a baseline, a mass move) changes are walked again from the two
// snapshots each time they are needed.
const KEPT_CHANGES = 10_000;

/**
 * The number of changes, and a way to walk them, counting them once. When there are too many to
 * keep, the changes of the connections kept whole are picked out in the same walk (they are
 * bounded by those connections), so alerts need not walk them all again.
 */
function walkChanges(
  before: RecordChunks | undefined,
  after: RecordChunks,
  room: { left: number },
  whole: ReadonlyMap<string, Connection>,
): Pick<ServiceChanges, 'count' | 'changes' | 'keptChanges'> {
  const walk = (): Iterable<Change> => diffRecords(before ?? [], after);
  if (before === after) return { count: 0, changes: () => [] };
  if (before === undefined || before.length === 0) return { count: countRecords(after), changes: walk };
  const kept: Change[] = [];
  const ofWhole: Change[] = [];
  let count = 0;
  for (const change of walk()) {
    count += 1;
    if (count <= room.left) kept.push(change);
    if (change.kind !== 'removed' && whole.has(change.record.id)) ofWhole.push(change);
  }
  if (count > room.left) return { count, changes: walk, keptChanges: ofWhole };
  room.left -= count;
  return { count, changes: () => kept };
}

/** Counts by status, and since when the oldest pending request waits (VPCEP's time or ours, the earlier). */
function countsOf(serviceId: string, scan: ServiceScan, pending: readonly Connection[], book: ReadonlyMap<string, PendingRecord>): ServiceCounts {
  let oldest: number | undefined;
  for (const connection of pending) {
    const since = Math.min(Date.parse(connection.updatedAt) || Infinity, Date.parse(book.get(connection.id)?.since ?? '') || Infinity);
    if (Number.isFinite(since) && (oldest === undefined || since < oldest)) oldest = since;
  }
  return { serviceId, total: scan.total, byStatus: scan.byStatus, ...(oldest === undefined ? {} : { oldestPendingSince: oldest }) };
}

/**
 * The services to watch: every one VPCEP lists, or those of VPCEP_SERVICE_IDS it lists, each once
 * (a service listed twice would be read, counted and alerted twice).
 */
export async function listWatchedServices(config: Config, deps: MonitorDeps): Promise<EndpointService[]> {
  const wanted = new Set(config.serviceIds);
  const seen = new Set<string>();
  return (await deps.vpcep.listServices()).filter((service) => (wanted.size === 0 || wanted.has(service.id)) && !seen.has(service.id) && (seen.add(service.id), true));
}
