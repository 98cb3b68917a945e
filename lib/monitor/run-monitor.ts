/**
 * One monitoring pass: read the previous state, read every service's connections, diff, keep the
 * alerts durably in the outbox, publish them, save. The use case the handler and the CLI call; every
 * piece of I/O arrives through the ports in `MonitorDeps`.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Budget } from '../huaweicloud/budget.js';
import type { ObjectStore } from '../huaweicloud/obs.js';
import type { Publisher } from '../huaweicloud/smn.js';
import type { VpcepApi } from '../huaweicloud/vpcep.js';
import { type AlertEvent, alertsFor } from './alerts.js';
import { actionEvent, type PlannedAction, planActions } from './approval.js';
import { type AuditRecord, actionRecord, auditKey, auditRecords, writeAudit } from './audit.js';
import { type Change, type ConnectionRecord, diffConnections, toRecords } from './diff.js';
import { OverlapError, RunIncompleteError, SimulatedCrash, StateFormatError } from './errors.js';
import { acquireLease, leaseKey, releaseLease } from './lease.js';
import { createLimiter } from './limiter.js';
import { buildNotifications, buildReminder, type Notification } from './notify.js';
import { type DueReminder, dueReminders, type PendingBook, type PendingRecord, updatePending } from './reminders.js';
import { scanService } from './scan.js';
import { emptyState, type MonitorState, parseState, serializeState, type ServiceSnapshot } from './state.js';
import type { Connection, EndpointService } from './types.js';

export interface MonitorDeps {
  vpcep: VpcepApi;
  objects: ObjectStore;
  publisher: Publisher;
  logger: Logger;
  now: () => Date;
  /** Time left for reading the cloud; the handler derives it from FunctionGraph's remaining time. */
  budget: Budget;
  /**
   * Called between the steps that change something, with the step's name. Tests throw
   * SimulatedCrash from it to prove that dying at any point loses nothing; production wires none.
   */
  checkpoint?: (step: Checkpoint) => void | Promise<void>;
}

export type Checkpoint = 'state-loaded' | 'lease-acquired' | 'audit-written' | 'outbox-saved' | 'published' | 'delivered-saved';

export interface RunOptions {
  runId: string;
  /** Read and diff, but publish nothing and write nothing. */
  dryRun?: boolean;
  /** Requests in flight at once across all services. */
  concurrency?: number;
  /** When this invocation is certainly over (FunctionGraph's hard timeout): the lease's expiry. */
  leaseExpiresAt?: Date;
}

export interface ServiceChanges {
  service: EndpointService;
  changes: Change[];
}

export interface RunSummary {
  runId: string;
  /** The first run (or the first after quarantining unreadable state): it records a baseline. */
  baseline: boolean;
  services: number;
  connections: number;
  changes: number;
  alerts: number;
  /** SMN messages accepted in this run. */
  published: number;
  failedServices: string[];
  /** Alerts still waiting in the outbox for a later run. */
  undelivered: number;
  generation: number;
  /** Approval policy actions taken, failed or (dry-run) planned. */
  actions: number;
  /** Pending requests reminded about. */
  reminders: number;
  /** The audit object this run wrote, when it saw changes. */
  auditKey?: string;
  /** The messages a dry run would have published. */
  wouldPublish?: Notification[];
  /** Why this run wrote and published nothing although it found something to report. */
  skipped?: string;
}

/** Concurrent list requests: enough to overlap network waits, few enough for a 128 MB function's CPU share. */
const DEFAULT_CONCURRENCY = 4;
/** A service scan is not started with less time left than this; it keeps its snapshot for next run. */
const MIN_SCAN_MS = 1_000;
/** FunctionGraph's longest synchronous invocation: a lease without a known deadline lasts this long. */
const MAX_INVOCATION_MS = 900_000;

export function stateKey(config: Pick<Config, 'obsPrefix'>): string {
  return `${config.obsPrefix}state.json`;
}

export async function runMonitor(config: Config, deps: MonitorDeps, options: RunOptions): Promise<RunSummary> {
  const { logger, objects } = deps;
  const startedAt = deps.now().toISOString();
  const key = stateKey(config);

  const { state: previous, baseline, quarantined, etag: loadedEtag } = await loadState(config, deps, key, options);
  const scan = await scanAll(config, deps, previous, { baseline, alerting: !baseline || (config.alertOnBaseline && !quarantined), startedAt, concurrency: options.concurrency });
  const { failedServices } = scan;

  const planned = scan.read.flatMap(({ service, current, changes }) => planActions(service, current, newlyPending(changes), config.approval));
  const reminders = config.remindPendingAfterMs === undefined ? [] : dueReminders(scan.pending, readDetails(scan.read), config.remindPendingAfterMs, deps.now());
  const changeCount = scan.changed.reduce((sum, entry) => sum + entry.changes.length, 0);
  const summary: RunSummary = {
    runId: options.runId,
    baseline,
    services: scan.serviceCount,
    connections: scan.connections,
    changes: changeCount,
    alerts: scan.alerts.length,
    published: 0,
    failedServices: [...failedServices].sort(),
    undelivered: 0,
    generation: previous.generation,
    actions: planned.length,
    reminders: reminders.length,
  };

  if (options.dryRun) {
    const events = [...scan.alerts, ...planned.map((action) => actionEvent(action, 'dry-run', 'planned', startedAt))];
    const wouldPublish = notificationsFor(mergeOutbox(previous.outbox, events), config, options.runId);
    if (reminders.length > 0) wouldPublish.push(reminderNotification(reminders, config, options.runId));
    return { ...summary, undelivered: previous.outbox.length, wouldPublish };
  }

  const next: MonitorState = { ...emptyState(), generation: previous.generation, runId: options.runId, services: scan.services, outbox: mergeOutbox(previous.outbox, scan.alerts), pending: scan.pending };
  const mustSave = baseline || changeCount > 0 || next.outbox.length > 0 || planned.length > 0 || reminders.length > 0 || servicesDiffer(previous, next);
  if (!mustSave) return finish(summary);

  // Only runs that write take the lease: a quiet pass costs no OBS write at all.
  const lease = { runId: options.runId, expiresAt: (options.leaseExpiresAt ?? new Date(Date.parse(startedAt) + MAX_INVOCATION_MS)).toISOString() };
  const leaseObject = leaseKey(config.obsPrefix);
  const taken = await acquireLease(objects, leaseObject, lease, deps.now());
  if (!taken.acquired) {
    logger.warn({ holder: taken.holder }, `another invocation (${taken.holder.runId}) holds the state lease until ${taken.holder.expiresAt}; this run writes and publishes nothing, the holder or the next run reports these changes`);
    return { ...summary, skipped: `lease held by ${taken.holder.runId}` };
  }
  await checkpoint(deps, 'lease-acquired');

  let publishError: unknown;
  try {
    const actions = await carryOut(planned, config, deps, startedAt);
    next.outbox = mergeOutbox(next.outbox, actions);

    // The trail is written first: if this fails nothing else is saved, and the next run sees the
    // same changes again, so no change goes unrecorded.
    const alertedIds = new Set(scan.alerts.map((alert) => alert.id));
    const records = function* (): Generator<AuditRecord> {
      for (const { service, changes } of scan.changed) yield* auditRecords(service, changes, { at: startedAt, runId: options.runId, alertedIds });
      for (const action of actions) yield actionRecord(action, options.runId);
    };
    const written = await writeAudit(objects, auditKey(config.obsPrefix, new Date(startedAt), options.runId), records());
    if (written) {
      summary.auditKey = written.key;
      await checkpoint(deps, 'audit-written');
    }

    // The lease makes overlap rare; this makes it harmless. If another run saved since we loaded,
    // our diff was against an older state: leave its state standing rather than move it back.
    const storedEtag = await objects.head(key);
    if (storedEtag !== loadedEtag) {
      throw new OverlapError(`state ${key} changed while this run was working (another invocation saved it); this run saved nothing and published nothing, the next run diffs against the newer state`);
    }

    // The outbox is on disk before anything is published: a crash from here on cannot lose an alert.
    await save(objects, key, next, deps.now);
    await checkpoint(deps, 'outbox-saved');

    const delivered = new Set<string>();
    const messages = notificationsFor(next.outbox, config, options.runId);
    const reminder = reminders.length > 0 ? reminderNotification(reminders, config, options.runId) : undefined;
    if (reminder) messages.push(reminder);
    for (const notification of messages) {
      try {
        const receipt = await deps.publisher.publish(notification.message);
        summary.published += 1;
        for (const id of notification.eventIds) delivered.add(id);
        if (notification === reminder) markReminded(next.pending, reminders, deps.now().toISOString());
        logger.info({ messageId: receipt.messageId, requestId: receipt.requestId, events: notification.eventIds.length }, 'notification published');
        await checkpoint(deps, 'published');
      } catch (error) {
        if (error instanceof SimulatedCrash) throw error;
        publishError = error;
        const then = notification === reminder ? 'the next run reminds again' : 'the alerts stay in the outbox and the next run sends them again';
        logger.error({ err: error, events: notification.eventIds.length }, `publishing to ${config.smnTopicUrn} failed: ${(error as Error).message}; ${then}`);
        break; // SMN is failing: later parts would fail too, and they keep their place in the outbox
      }
    }
    if (summary.published > 0) {
      next.outbox = next.outbox.filter((event) => !delivered.has(event.id));
      await save(objects, key, next, deps.now);
      await checkpoint(deps, 'delivered-saved');
    }
    summary.undelivered = next.outbox.length;
    summary.generation = next.generation;
  } catch (error) {
    // A process that dies releases nothing; a simulated death must not either.
    if (!(error instanceof SimulatedCrash)) await release();
    throw error;
  }
  await release();
  return finish(summary, publishError);

  async function release(): Promise<void> {
    await releaseLease(objects, leaseObject, options.runId).catch((error: unknown) => {
      logger.warn({ err: error }, `releasing the state lease failed (${(error as Error).message}); it expires on its own at ${lease.expiresAt}`);
    });
  }

  function finish(result: RunSummary, error?: unknown): RunSummary {
    if (failedServices.length === 0 && error === undefined) return result;
    const parts: string[] = [];
    if (failedServices.length > 0) parts.push(`could not read service(s) ${result.failedServices.join(', ')}`);
    if (error !== undefined) {
      const what = result.undelivered > 0 ? `${result.undelivered} alert(s) not delivered` : 'the reminder was not delivered';
      parts.push(`${what} (${(error as Error).message})`);
    }
    throw new RunIncompleteError(`monitoring pass incomplete: ${parts.join('; ')}. State saved; the next run retries.`, result, { cause: error });
  }
}

interface ServiceRead extends ServiceChanges {
  /** The service's pendingAcceptance connections as read in this run. */
  current: Connection[];
}

interface ScanResult {
  /** Services listed (and selected by VPCEP_SERVICE_IDS) in this run. */
  serviceCount: number;
  /** Services read completely, in the order VPCEP listed them. */
  read: ServiceRead[];
  /** Every service with changes, including deleted ones. */
  changed: ServiceChanges[];
  alerts: AlertEvent[];
  failedServices: string[];
  connections: number;
  services: Map<string, ServiceSnapshot>;
  pending: PendingBook;
}

/**
 * Reads every service concurrently and diffs each against its snapshot. A service that cannot be
 * read keeps its snapshot (and its pending book) untouched; one no longer listed was deleted.
 */
async function scanAll(
  config: Config,
  deps: MonitorDeps,
  previous: MonitorState,
  context: { baseline: boolean; alerting: boolean; startedAt: string; concurrency: number | undefined },
): Promise<ScanResult> {
  const { logger } = deps;
  const services = await selectServices(config, deps.vpcep);
  const listed = new Set(services.map((service) => service.id));
  const failedServices: string[] = [];
  for (const id of config.serviceIds) {
    if (listed.has(id)) continue;
    failedServices.push(id);
    logger.error({ serviceId: id, api: 'vpcep:epservices:list' }, `service ${id} named in VPCEP_SERVICE_IDS was not found in project ${config.projectId}; next run will look again`);
  }

  const limiter = createLimiter(context.concurrency ?? DEFAULT_CONCURRENCY);
  const snapshots = new Map<string, ServiceSnapshot>();
  const pending: PendingBook = new Map();
  const keep = (id: string): void => {
    const snapshot = previous.services.get(id);
    if (snapshot) snapshots.set(id, snapshot);
    const book = previous.pending.get(id);
    if (book) pending.set(id, book);
  };
  // Filled by index so messages and the trail follow the service list, not the order scans finish.
  const read: ServiceRead[] = [];
  const alertsByService: AlertEvent[][] = [];
  let connections = 0;

  await Promise.all(
    services.map(async (service, index) => {
      if (deps.budget.remainingMs() < MIN_SCAN_MS) {
        failedServices.push(service.id);
        keep(service.id);
        logger.warn({ serviceId: service.id }, `service ${service.id} not scanned: the run's time is nearly up; next run will scan it`);
        return;
      }
      const before = previous.services.get(service.id)?.connections;
      let current: Connection[];
      try {
        current = await scanService(deps.vpcep, service.id, { limiter, budget: deps.budget, previous: before });
      } catch (error) {
        failedServices.push(service.id);
        keep(service.id);
        logger.error({ err: error, serviceId: service.id }, `service ${service.id} could not be read: ${(error as Error).message}; its snapshot is kept and next run will read it again`);
        return;
      }
      connections += current.length;
      const changes = diffConnections(before ?? new Map<string, ConnectionRecord>(), current);
      snapshots.set(service.id, { name: service.name, scannedAt: deps.now().toISOString(), connections: toRecords(current, before) });
      pending.set(service.id, updatePending(previous.pending.get(service.id), current, context.startedAt));
      // Only pending connections are needed after the scan (approval policy, reminders); keeping
      // every connection of every service until the end would hold the whole project in memory.
      read[index] = { service, changes, current: current.filter((connection) => connection.status === 'pendingAcceptance') };
      alertsByService[index] = context.alerting ? alertsFor(service, changes, config.alertStatuses, context.startedAt, context.baseline) : [];
    }),
  );

  const changed: ServiceChanges[] = read.filter((entry) => entry.changes.length > 0);
  for (const [id, snapshot] of previous.services) {
    if (listed.has(id) || snapshots.has(id)) continue;
    if (config.serviceIds.includes(id)) {
      keep(id); // not found this time: reported above
      continue;
    }
    if (config.serviceIds.length > 0) continue; // no longer configured: stop tracking it quietly
    const changes = [...snapshot.connections].map(([connectionId, record]): Change => ({ kind: 'removed', connectionId, previous: record }));
    if (changes.length > 0) changed.push({ service: { id, name: snapshot.name }, changes });
  }

  return {
    serviceCount: services.length,
    read: read.filter(Boolean),
    changed,
    alerts: alertsByService.flat(),
    failedServices,
    connections,
    services: snapshots,
    pending,
  };
}

/** Connections that became pendingAcceptance in this run. */
function newlyPending(changes: readonly Change[]): Set<string> {
  const ids = new Set<string>();
  for (const change of changes) {
    if (change.kind !== 'removed' && change.connection.status === 'pendingAcceptance') ids.add(change.connection.id);
  }
  return ids;
}

function readDetails(read: readonly ServiceRead[]): Map<string, { serviceName: string; connections: Map<string, Connection> }> {
  return new Map(read.map(({ service, current }) => [service.id, { serviceName: service.name, connections: new Map(current.map((c) => [c.id, c])) }]));
}

/**
 * Carries out the approval policy: in enforce mode one request per connection (VPCEP accepts one
 * endpoint per action request), sequentially; in dry-run mode nothing is sent. Every outcome,
 * failures included, becomes an event for the notification and the audit trail.
 */
async function carryOut(planned: readonly PlannedAction[], config: Config, deps: MonitorDeps, detectedAt: string): Promise<AlertEvent[]> {
  const events: AlertEvent[] = [];
  for (const action of planned) {
    if (config.approval.mode === 'dry-run') {
      events.push(actionEvent(action, 'dry-run', 'planned', detectedAt));
      continue;
    }
    try {
      await deps.vpcep.connectionAction(action.service.id, action.connection.id, action.decision.type);
      events.push(actionEvent(action, 'enforce', 'done', detectedAt));
      deps.logger.info({ serviceId: action.service.id, connectionId: action.connection.id, action: action.decision.type }, `approval policy: ${action.decision.type === 'receive' ? 'accepted' : 'rejected'} connection ${action.connection.id} (${action.decision.reason})`);
    } catch (error) {
      events.push(actionEvent(action, 'enforce', 'failed', detectedAt, (error as Error).message));
      deps.logger.error({ err: error, serviceId: action.service.id, connectionId: action.connection.id }, `approval policy: could not ${action.decision.type} connection ${action.connection.id}: ${(error as Error).message}; next run tries again while it is still pending`);
    }
  }
  return events;
}

function reminderNotification(reminders: readonly DueReminder[], config: Config, runId: string): Notification {
  return buildReminder(reminders, { projectId: config.projectId, region: config.region, runId }, config.remindPendingAfterMs ?? 0);
}

function markReminded(book: PendingBook, reminders: readonly DueReminder[], at: string): void {
  for (const { key } of reminders) {
    const record: PendingRecord | undefined = book.get(key.serviceId)?.get(key.connectionId);
    if (record) record.notifiedAt = at;
  }
}

async function loadState(
  config: Config,
  deps: MonitorDeps,
  key: string,
  options: RunOptions,
): Promise<{ state: MonitorState; baseline: boolean; quarantined: boolean; etag: string | undefined }> {
  const stored = await deps.objects.get(key);
  await checkpoint(deps, 'state-loaded');
  if (!stored) return { state: emptyState(), baseline: true, quarantined: false, etag: undefined };
  try {
    return { state: parseState(stored.body), baseline: false, quarantined: false, etag: stored.etag };
  } catch (error) {
    if (!(error instanceof StateFormatError)) throw error;
    // Never guess at unreadable state, and never answer it with an alert for every connection:
    // set it aside, tell the operator once, and record a silent new baseline.
    const quarantineKey = `${config.obsPrefix}quarantine/state-${deps.now().toISOString().replace(/[:.]/g, '-')}.json`;
    deps.logger.error({ err: error, key, quarantineKey }, `state ${key} is unreadable (${error.message}); moved aside to ${quarantineKey}, recording a new baseline without alerts`);
    if (!options.dryRun) {
      await deps.objects.put(quarantineKey, stored.body);
      await deps.publisher.publish({
        subject: `[VPCEP ${config.region}] monitor state was unreadable and has been reset`,
        message:
          `The VPC Endpoint connection monitor could not read its state object ${key} (${error.message}).\n` +
          `The object was copied to ${quarantineKey} and a new baseline is being recorded. ` +
          'Connections that changed while the state was unreadable are not alerted individually; ' +
          `run "vpcep-monitor status" to see connections waiting now.\nRun ${options.runId}.\n`,
      });
    }
    return { state: emptyState(), baseline: true, quarantined: true, etag: stored.etag };
  }
}

async function selectServices(config: Config, vpcep: VpcepApi): Promise<EndpointService[]> {
  const all = await vpcep.listServices();
  if (config.serviceIds.length === 0) return all;
  const wanted = new Set(config.serviceIds);
  return all.filter((service) => wanted.has(service.id));
}

function mergeOutbox(pending: readonly AlertEvent[], fresh: readonly AlertEvent[]): AlertEvent[] {
  const ids = new Set(pending.map((event) => event.id));
  return [...pending, ...fresh.filter((event) => !ids.has(event.id) && (ids.add(event.id), true))];
}

function notificationsFor(outbox: readonly AlertEvent[], config: Config, runId: string): Notification[] {
  const context = { projectId: config.projectId, region: config.region, runId };
  const baselineEvents = outbox.filter((event) => event.baseline);
  const changeEvents = outbox.filter((event) => !event.baseline);
  return [
    ...buildNotifications(changeEvents, { ...context, baseline: false }),
    ...buildNotifications(baselineEvents, { ...context, baseline: true }),
  ];
}

/** Whether the set of tracked services or their names changed, which alone is worth a save. */
function servicesDiffer(previous: MonitorState, next: MonitorState): boolean {
  if (previous.services.size !== next.services.size) return true;
  for (const [id, snapshot] of next.services) {
    const before = previous.services.get(id);
    if (!before || before.name !== snapshot.name) return true;
  }
  return false;
}

async function checkpoint(deps: MonitorDeps, step: Checkpoint): Promise<void> {
  await deps.checkpoint?.(step);
}

async function save(objects: ObjectStore, key: string, state: MonitorState, now: () => Date): Promise<void> {
  state.generation += 1;
  state.savedAt = now().toISOString();
  await objects.put(key, serializeState(state));
}
