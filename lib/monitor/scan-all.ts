/**
 * Reading every watched service and diffing each against its snapshot: the "scan" step of a run.
 * Services are read concurrently through one limiter; each read ends in an outcome of its own, and
 * the outcomes are folded in the order VPCEP listed the services, so messages and the trail follow
 * that order whatever order the reads finish in.
 */
import type { Config } from '../config.js';
import { ChangeRoom, reportRoom, type RoomReport } from './change-room.js';
import type { Change } from './diff.js';
import { createAdaptiveLimiter, type Limiter } from './limiter.js';
import { ScanPostponedError } from './errors.js';
import type { ServiceCounts } from './metrics.js';
import { pageName, readPage, writePage } from './pages.js';
import type { Connection, EndpointService, MonitorDeps } from './ports.js';
import { type ConnectionRecord, decodeRecords, decodeRecord, encodeRecord } from './records.js';
import { type PendingBook, type PendingRecord, updatePending } from './reminders.js';
import { type PageAccess, scanService, type ServiceScan } from './scan-service.js';
import type { MonitorState, ServiceSnapshot } from './state.js';

// Connections in these states need someone; their descriptions and errors go into the trail.
const NEEDS_ATTENTION = new Set(['pendingAcceptance', 'failed', 'rejected']);

export interface ServiceChanges {
  service: EndpointService;
  /** How many changes `changes()` yields. */
  count: number;
  /**
   * Walks the changes. A service's changes are held when it changed; a new service's (every
   * connection added) and a deleted one's (every connection removed) are read back from its pages
   * in OBS as they are walked, so a baseline of a million connections is never a million changes.
   */
  changes: () => AsyncIterable<Change>;
  /** The connections kept whole, by id: what alerts and the trail say beyond the record. */
  kept: ReadonlyMap<string, Connection>;
  /** The changes of `kept` connections: the only ones that can alert or start an approval. */
  keptChanges: Change[];
  /** The changes themselves when they are held (every status change is), not read back from pages. */
  held?: readonly Change[];
}

export interface ServiceRead extends ServiceChanges {
  /** The service's pendingAcceptance connections as read in this run. */
  pending: Connection[];
  /** Its connections counted by status, for the metrics. */
  counts: ServiceCounts;
}

export interface ScanResult extends RoomReport {
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
  /** `dryRun`: pages that changed are diffed but not written. `maxChanges`: the run's room for changes (`ChangeRoom`). */
  options: { startedAt: string; signal?: AbortSignal; dryRun?: boolean; maxChanges?: number },
): Promise<ScanResult> {
  // Concurrent VPCEP reads: as many as overlap the network waits, halved when VPCEP throttles.
  const limiter = createAdaptiveLimiter({ max: config.maxInFlight, throttles: deps.throttles, logger: deps.logger });
  const keep = (connection: Connection): boolean =>
    NEEDS_ATTENTION.has(connection.status) || config.alertStatuses.has(connection.status) || connection.errors.length > 0;
  const state = Promise.resolve(loading);
  const room = new ChangeRoom(options.maxChanges);
  const context: ReadContext = { limiter, room, keep, keepSignature: keepSignature(config), startedAt: options.startedAt, signal: options.signal, prefix: config.obsPrefix, dryRun: options.dryRun === true };
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
    if (snapshot && snapshot.total > 0) {
      const records = storedRecords(pageAccess(deps, context, id, state), snapshot.pages);
      result.changed.push({ service: { id, name: snapshot.name }, count: snapshot.total, changes: () => asChanges('removed', records()), kept: new Map(), keptChanges: [] });
    }
  }
  Object.assign(result, reportRoom(room, deps.logger));
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
  room: ChangeRoom;
  keep: (connection: Connection) => boolean;
  keepSignature: string;
  startedAt: string;
  signal: AbortSignal | undefined;
  prefix: string;
  dryRun: boolean;
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
  const pages = pageAccess(deps, context, service.id, state);
  try {
    const previous = state.then((loaded) => loaded.services.get(service.id));
    scan = await scanService(deps.vpcep, service.id, { limiter: context.limiter, budget: deps.budget, previous, pages, keep: context.keep, keepSignature: context.keepSignature, signal: context.signal, room: context.room });
  } catch (error) {
    // A state that could not be loaded fails the run, not this service; nor does a run that stopped.
    await state;
    if (context.signal?.aborted) return { read: false, serviceId: service.id };
    if (error instanceof ScanPostponedError) logger.warn({ serviceId: service.id }, error.message);
    else logger.error({ err: error, serviceId: service.id }, `service ${service.id} could not be read: ${(error as Error).message}; its snapshot is kept and next run will read it again`);
    return { read: false, serviceId: service.id };
  }
  const previous = await state;
  if (scan.repaired) {
    logger.error({ err: scan.repaired, serviceId: service.id, key: scan.repaired.key }, `service ${service.id}: ${scan.repaired.message}; its snapshot could not be compared, so it was read afresh and recorded as a new baseline of this service, without alerts or trail records for what changed since the last run`);
  }
  const kept = new Map(scan.kept.map((c) => [c.id, c]));
  const pending = scan.kept.filter((connection) => connection.status === 'pendingAcceptance');
  const book = updatePending(previous.pending.get(service.id), pending, context.startedAt);
  return {
    read: true,
    entry: { service, ...changesOf(scan, kept, storedRecords(pages, scan.pages)), kept, pending, counts: countsOf(service.id, scan, pending, book) },
    snapshot: { name: service.name, scannedAt: deps.now().toISOString(), total: scan.total, pages: scan.pages, answers: scan.answers, answersFor: context.keepSignature },
    book,
  };
}

/**
 * The service's pages in OBS, as the scan reads and writes them; a dry run writes none. A state
 * migrated from schema 3 still holds its pages itself: they are read from there.
 */
function pageAccess(deps: MonitorDeps, context: ReadContext, serviceId: string, state: Promise<MonitorState>): PageAccess {
  return {
    read: async (index, name) => {
      const held = (await state).held.find((page) => page.serviceId === serviceId && page.index === index && page.name === name);
      return held?.chunk ?? readPage(deps.objects, context.prefix, serviceId, index, name);
    },
    write: async (index, digest, chunk) => {
      const name = pageName((await state).generation + 1, digest);
      if (!context.dryRun) await writePage(deps.objects, context.prefix, serviceId, index, name, chunk);
      return name;
    },
    stores: !context.dryRun,
  };
}

/** The changes of a read service as the run uses them: counted, walkable, and those of kept connections picked out. */
function changesOf(scan: ServiceScan, kept: ReadonlyMap<string, Connection>, written: () => AsyncIterable<ConnectionRecord>): Pick<ServiceChanges, 'count' | 'changes' | 'keptChanges' | 'held'> {
  if (scan.changes === 'unknown') return { count: 0, changes: () => asChanges('added', []), keptChanges: [] };
  if (scan.changes === 'all-added') {
    // Every connection is new: those kept whole are the ones that can alert, in their stored form.
    const keptChanges = [...kept.values()].map((connection): Change => ({ kind: 'added', record: decodeRecord(encodeRecord(connection)) }));
    return { count: scan.total, changes: () => asChanges('added', written()), keptChanges };
  }
  const changes = scan.changes;
  return {
    count: changes.length,
    held: changes,
    changes: () => asChanges(undefined, changes),
    keptChanges: changes.filter((change) => change.kind !== 'removed' && kept.has(change.record.id)),
  };
}

async function* asChanges(kind: 'added' | 'removed' | undefined, items: Iterable<ConnectionRecord | Change> | AsyncIterable<ConnectionRecord | Change>): AsyncGenerator<Change> {
  for await (const item of items) yield kind === undefined ? (item as Change) : ({ kind, record: item as ConnectionRecord } as Change);
}

/** The records of stored pages, read a page at a time when walked (they were written in this run or named by the state). */
function storedRecords(access: PageAccess, pages: readonly string[]): () => AsyncIterable<ConnectionRecord> {
  return async function* () {
    for (const [index, name] of pages.entries()) yield* decodeRecords([await access.read(index, name)]);
  };
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

/** Which connections a scan keeps whole, as a name: page answers kept under another choice are not used. */
function keepSignature(config: Config): string {
  return [...new Set([...NEEDS_ATTENTION, ...config.alertStatuses])].sort().join(',');
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
