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
import { auditKey, auditRecords, toJsonLines } from './audit.js';
import { type Change, type ConnectionRecord, diffConnections, toRecords } from './diff.js';
import { OverlapError, RunIncompleteError, SimulatedCrash, StateFormatError } from './errors.js';
import { acquireLease, leaseKey, releaseLease } from './lease.js';
import { createLimiter } from './limiter.js';
import { buildNotifications, type Notification } from './notify.js';
import { scanService } from './scan.js';
import { emptyState, type MonitorState, parseState, serializeState, type ServiceSnapshot } from './state.js';
import type { EndpointService } from './types.js';

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

  const services = await selectServices(config, deps.vpcep);
  const limiter = createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  const failedServices: string[] = [];
  const found = new Set(services.map((service) => service.id));
  for (const id of config.serviceIds) {
    if (!found.has(id)) {
      failedServices.push(id);
      logger.error({ serviceId: id, api: 'vpcep:epservices:list' }, `service ${id} named in VPCEP_SERVICE_IDS was not found in project ${config.projectId}; next run will look again`);
    }
  }

  const nextServices = new Map<string, ServiceSnapshot>();
  // Filled by index so messages and the trail follow the service list, not the order scans finish.
  const scanned: (ServiceChanges & { alerts: AlertEvent[] })[] = [];
  let connections = 0;

  await Promise.all(
    services.map(async (service, index) => {
      const before = previous.services.get(service.id);
      if (deps.budget.remainingMs() < MIN_SCAN_MS) {
        failedServices.push(service.id);
        if (before) nextServices.set(service.id, before);
        logger.warn({ serviceId: service.id }, `service ${service.id} not scanned: the run's time is nearly up; next run will scan it`);
        return;
      }
      let current;
      try {
        current = await scanService(deps.vpcep, service.id, { limiter, budget: deps.budget });
      } catch (error) {
        failedServices.push(service.id);
        if (before) nextServices.set(service.id, before);
        logger.error({ err: error, serviceId: service.id }, `service ${service.id} could not be read: ${(error as Error).message}; its snapshot is kept and next run will read it again`);
        return;
      }
      connections += current.length;
      const changes = diffConnections(before?.connections ?? new Map<string, ConnectionRecord>(), current);
      nextServices.set(service.id, { name: service.name, scannedAt: deps.now().toISOString(), connections: toRecords(current) });
      const alerting = !baseline || (config.alertOnBaseline && !quarantined);
      const alerts = alerting ? alertsFor(service, changes, config.alertStatuses, startedAt, baseline) : [];
      scanned[index] = { service, changes, alerts };
    }),
  );

  const serviceChanges: ServiceChanges[] = scanned.filter((entry) => entry.changes.length > 0);
  const newAlerts = scanned.flatMap((entry) => entry.alerts);

  // A service that is no longer listed was deleted: all its connections are gone.
  for (const [id, snapshot] of previous.services) {
    if (found.has(id) || nextServices.has(id)) continue;
    if (config.serviceIds.length > 0 && config.serviceIds.includes(id)) {
      nextServices.set(id, snapshot); // not found this time: reported above, keep its snapshot
      continue;
    }
    if (config.serviceIds.length > 0) continue; // no longer configured: stop tracking it quietly
    const changes = [...snapshot.connections].map(([connectionId, record]): Change => ({ kind: 'removed', connectionId, previous: record }));
    if (changes.length > 0) serviceChanges.push({ service: { id, name: snapshot.name }, changes });
  }

  const outbox = mergeOutbox(previous.outbox, newAlerts);
  const changeCount = serviceChanges.reduce((sum, entry) => sum + entry.changes.length, 0);
  const next: MonitorState = {
    ...emptyState(),
    generation: previous.generation,
    runId: options.runId,
    services: nextServices,
    outbox,
  };
  const summary: RunSummary = {
    runId: options.runId,
    baseline,
    services: services.length,
    connections,
    changes: changeCount,
    alerts: newAlerts.length,
    published: 0,
    failedServices: failedServices.sort(),
    undelivered: outbox.length,
    generation: previous.generation,
  };

  const notifications = notificationsFor(outbox, config, options.runId);
  if (options.dryRun) {
    return { ...summary, wouldPublish: notifications };
  }
  const mustSave = baseline || changeCount > 0 || outbox.length > 0 || servicesDiffer(previous, next);
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
    if (changeCount > 0) {
      // The trail is written first: if this fails nothing else is saved, and the next run sees
      // the same changes again, so no change goes unrecorded.
      const alertedIds = new Set(newAlerts.map((alert) => alert.id));
      const records = serviceChanges.flatMap(({ service, changes }) => auditRecords(service, changes, { at: startedAt, runId: options.runId, alertedIds }));
      summary.auditKey = auditKey(config.obsPrefix, new Date(startedAt), options.runId);
      await objects.put(summary.auditKey, toJsonLines(records), 'application/x-ndjson');
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
    for (const notification of notifications) {
      try {
        const receipt = await deps.publisher.publish(notification.message);
        summary.published += 1;
        for (const id of notification.eventIds) delivered.add(id);
        logger.info({ messageId: receipt.messageId, requestId: receipt.requestId, events: notification.eventIds.length }, 'notification published');
        await checkpoint(deps, 'published');
      } catch (error) {
        if (error instanceof SimulatedCrash) throw error;
        publishError = error;
        logger.error({ err: error, events: notification.eventIds.length }, `publishing to ${config.smnTopicUrn} failed: ${(error as Error).message}; the alerts stay in the outbox and the next run sends them again`);
        break; // SMN is failing: later parts would fail too, and they keep their place in the outbox
      }
    }
    if (delivered.size > 0) {
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

  function finish(result: RunSummary, publishError?: unknown): RunSummary {
    if (failedServices.length === 0 && publishError === undefined) return result;
    const parts: string[] = [];
    if (failedServices.length > 0) parts.push(`could not read service(s) ${result.failedServices.join(', ')}`);
    if (publishError !== undefined) parts.push(`${result.undelivered} alert(s) not delivered (${(publishError as Error).message})`);
    throw new RunIncompleteError(`monitoring pass incomplete: ${parts.join('; ')}. State saved; the next run retries.`, result, { cause: publishError });
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
