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
import { RunIncompleteError, StateFormatError } from './errors.js';
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
  /** Time left for network work; the handler derives it from FunctionGraph's remaining time. */
  budget: Budget;
}

export interface RunOptions {
  runId: string;
  /** Read and diff, but publish nothing and write nothing. */
  dryRun?: boolean;
  /** Requests in flight at once across all services. */
  concurrency?: number;
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
}

/** Concurrent list requests: enough to overlap network waits, few enough for a 128 MB function's CPU share. */
const DEFAULT_CONCURRENCY = 4;
/** A service scan is not started with less time left than this; it keeps its snapshot for next run. */
const MIN_SCAN_MS = 3_000;

export function stateKey(config: Pick<Config, 'obsPrefix'>): string {
  return `${config.obsPrefix}state.json`;
}

export async function runMonitor(config: Config, deps: MonitorDeps, options: RunOptions): Promise<RunSummary> {
  const { logger, objects } = deps;
  const startedAt = deps.now().toISOString();
  const key = stateKey(config);

  const { state: previous, baseline, quarantined } = await loadState(config, deps, key, options);

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

  if (changeCount > 0) {
    // The trail is written first: if this fails nothing else is saved, and the next run sees the
    // same changes again, so no change goes unrecorded.
    const alertedIds = new Set(newAlerts.map((alert) => alert.id));
    const records = serviceChanges.flatMap(({ service, changes }) => auditRecords(service, changes, { at: startedAt, runId: options.runId, alertedIds }));
    summary.auditKey = auditKey(config.obsPrefix, new Date(startedAt), options.runId);
    await objects.put(summary.auditKey, toJsonLines(records), 'application/x-ndjson');
  }

  const mustSave = baseline || changeCount > 0 || outbox.length > 0 || servicesDiffer(previous, next);
  if (mustSave) {
    // The outbox is on disk before anything is published: a crash from here on cannot lose an alert.
    await save(objects, key, next, deps.now);
  }

  let publishError: unknown;
  const delivered = new Set<string>();
  for (const notification of notifications) {
    try {
      const receipt = await deps.publisher.publish(notification.message);
      summary.published += 1;
      for (const id of notification.eventIds) delivered.add(id);
      logger.info({ messageId: receipt.messageId, requestId: receipt.requestId, events: notification.eventIds.length }, 'notification published');
    } catch (error) {
      publishError = error;
      logger.error({ err: error, events: notification.eventIds.length }, `publishing to ${config.smnTopicUrn} failed: ${(error as Error).message}; the alerts stay in the outbox and the next run sends them again`);
      break; // SMN is failing: later parts would fail too, and they keep their place in the outbox
    }
  }
  if (delivered.size > 0) {
    next.outbox = next.outbox.filter((event) => !delivered.has(event.id));
    await save(objects, key, next, deps.now);
  }
  summary.undelivered = next.outbox.length;
  summary.generation = next.generation;

  if (failedServices.length > 0 || publishError !== undefined) {
    const parts: string[] = [];
    if (failedServices.length > 0) parts.push(`could not read service(s) ${summary.failedServices.join(', ')}`);
    if (publishError !== undefined) parts.push(`${summary.undelivered} alert(s) not delivered (${(publishError as Error).message})`);
    const error = new RunIncompleteError(`monitoring pass incomplete: ${parts.join('; ')}. State saved; the next run retries.`, summary.failedServices, summary.undelivered, { cause: publishError });
    (error as RunIncompleteError & { summary: RunSummary }).summary = summary;
    throw error;
  }
  return summary;
}

async function loadState(
  config: Config,
  deps: MonitorDeps,
  key: string,
  options: RunOptions,
): Promise<{ state: MonitorState; baseline: boolean; quarantined: boolean }> {
  const stored = await deps.objects.get(key);
  if (!stored) return { state: emptyState(), baseline: true, quarantined: false };
  try {
    return { state: parseState(stored.body), baseline: false, quarantined: false };
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
    return { state: emptyState(), baseline: true, quarantined: true };
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

async function save(objects: ObjectStore, key: string, state: MonitorState, now: () => Date): Promise<void> {
  state.generation += 1;
  state.savedAt = now().toISOString();
  await objects.put(key, serializeState(state));
}
