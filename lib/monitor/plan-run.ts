/**
 * The decisions of a run, made purely from what was loaded and what was read: which alerts to
 * raise, which approval actions to take, which reminders are due, what the next state is, whether
 * anything is worth a write, and (given an outbox) the messages to publish. No I/O, no clock: the
 * run passes the times in.
 */
import type { Config } from '../config.js';
import { type AlertEvent, alertsFor } from './alerts.js';
import { type PlannedAction, planActions } from './approval.js';
import type { Change } from './diff.js';
import { acceptedWithoutReview, type DoorBook, planDoors, sameDoors } from './door.js';
import { buildNotifications, type Notification } from './notify.js';
import { buildReminder } from './reminder-message.js';
import type { Connection } from './ports.js';
import type { Posture } from './posture.js';
import { type DueReminder, dueReminders } from './reminders.js';
import type { ScanResult, ServiceRead } from './scan-all.js';
import { emptyState, type MonitorState } from './state.js';
import { serializeAttributionBook } from './state-checks.js';
import { ownerChanged, type StateOwner } from './state-owner.js';

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
  /** Alerts SMN refused for good in this run, set aside under `dead-letter/`. */
  deadLettered: number;
  generation: number;
  /** Approval policy actions taken, failed or (dry-run) planned. */
  actions: number;
  /** Pending requests reminded about. */
  reminders: number;
  /** The audit object this run wrote, when it saw changes. */
  auditKey?: string;
  /** Whether this run's figures reached Cloud Eye (`off` without METRICS_NAMESPACE). */
  metrics?: 'sent' | 'failed' | 'off';
  /** The messages a dry run would have published. */
  wouldPublish?: Notification[];
  /** Why this run wrote and published nothing although it found something to report. */
  skipped?: string;
  /** Changed pages this run left for the next, having held `MAX_CHANGES_PER_RUN` changes: the storm goes on next run. */
  deferredPages?: number;
  /** Connections in alert states first seen past the room (a first run over a large project): recorded, not alerted one by one. */
  unalerted?: number;
}

/** What was loaded: the previous state, and whether this run records a baseline. */
export interface LoadedState {
  state: MonitorState;
  baseline: boolean;
  /** The stored state was unreadable and was set aside: the new baseline stays silent. */
  quarantined: boolean;
  etag: string | undefined;
  /** Notices loading published (the quarantine notice): the run's summary counts every publish. */
  published: number;
  /** The owner the next save records: this monitor, keeping the stored deployment on a CLI run. */
  owner: StateOwner;
}

export interface RunPlan {
  summary: RunSummary;
  /** The state to save: fresh snapshots, the outbox with this run's alerts, the pending book. */
  next: MonitorState;
  alerts: AlertEvent[];
  actions: PlannedAction[];
  reminders: DueReminder[];
  /** A quiet pass writes nothing at all. */
  mustSave: boolean;
}

export function planRun(config: Config, loaded: LoadedState, scan: ScanResult, context: { runId: string; startedAt: string; now: Date; posture?: Posture }): RunPlan {
  const previous = loaded.state;
  // A first run reports what already needs attention, unless told not to; a re-baseline after
  // quarantined state never does (it would alert on everything).
  const alerting = !loaded.baseline || (config.alertOnBaseline && !loaded.quarantined);
  // Changes matter only to alerts and to a dry-run policy (which reports newly pending requests):
  // a silent baseline or an enforcing policy does not walk them.
  const wanted = alerting || config.approval.mode === 'dry-run';
  const attention = scan.read.map((entry) => ({ entry, changes: wanted ? entry.keptChanges : [] }));
  const door = doorAlerts(loaded, scan, context);
  const named = context.posture?.attribution.byEvent;
  const alerts = [
    ...(alerting ? attention.flatMap(({ entry, changes }) => alertsFor(entry.service, changes, entry.kept, config.alertStatuses, context.startedAt, loaded.baseline)) : [])
      .map((alert) => (named?.has(alert.id) ? { ...alert, attribution: named.get(alert.id)! } : alert)),
    ...door.events,
  ];
  const actions = attention.flatMap(({ entry, changes }) => planActions(entry.service, entry.pending, newlyPending(changes), config.approval));
  const reminders = config.remindPendingAfterMs === undefined ? [] : dueReminders(scan.pending, readDetails(scan.read), config.remindPendingAfterMs, context.now);
  const changeCount = scan.changed.reduce((sum, entry) => sum + entry.count, 0);
  const next: MonitorState = {
    ...emptyState(),
    generation: previous.generation,
    runId: context.runId,
    owner: loaded.owner,
    services: scan.services,
    outbox: mergeOutbox(previous.outbox, alerts),
    pending: scan.pending,
    doors: door.doors,
    ...(context.posture || previous.attribution ? { attribution: context.posture?.attribution.book ?? previous.attribution } : {}),
    // Pages of a migrated state that the next state still names: written before it.
    held: previous.held.filter((page) => scan.services.get(page.serviceId)?.pages[page.index] === page.name),
  };
  // A new owner record (a state adopted from before owners were, a reconfigured filter, the first
  // run to name its deployment) is saved even on a quiet pass, so it is judged once; so is a state
  // of an older schema, so it is migrated once.
  const mustSave = loaded.baseline || previous.migratedFrom !== undefined || ownerChanged(previous.owner, next.owner) || changeCount > 0 || next.outbox.length > 0 || actions.length > 0 || reminders.length > 0 || servicesDiffer(previous, next)
    || lookedAround(previous, next, context.posture);
  const summary: RunSummary = {
    runId: context.runId,
    baseline: loaded.baseline,
    services: scan.serviceCount,
    connections: scan.connections,
    changes: changeCount,
    alerts: alerts.length,
    published: loaded.published,
    failedServices: [...scan.failedServices].sort(),
    undelivered: 0,
    deadLettered: 0,
    generation: previous.generation,
    actions: actions.length,
    reminders: reminders.length,
    ...(scan.deferred ? { deferredPages: scan.deferred.pages } : {}),
    ...(scan.unalerted ? { unalerted: scan.unalerted } : {}),
  };
  return { summary, next, alerts, actions, reminders, mustSave };
}

/** The outbox with `fresh` appended, each event id once: a repeat of a waiting alert is not queued twice. */
export function mergeOutbox(waiting: readonly AlertEvent[], fresh: readonly AlertEvent[]): AlertEvent[] {
  const ids = new Set(waiting.map((event) => event.id));
  return [...waiting, ...fresh.filter((event) => !ids.has(event.id) && (ids.add(event.id), true))];
}

/** What to publish for an outbox (changes first, then baseline findings) and the due reminders. */
export function messagesFor(outbox: readonly AlertEvent[], reminders: readonly DueReminder[], config: Config, runId: string): Notification[] {
  const context = { projectId: config.projectId, region: config.region, runId };
  const messages = [
    ...buildNotifications(outbox.filter((event) => !event.baseline), { ...context, baseline: false }),
    ...buildNotifications(outbox.filter((event) => event.baseline), { ...context, baseline: true }),
  ];
  if (reminders.length > 0) messages.push(buildReminder(reminders, context, config.remindPendingAfterMs ?? 0));
  return messages;
}

/** Connections that became pendingAcceptance in this run. */
function newlyPending(changes: readonly Change[]): Set<string> {
  const ids = new Set<string>();
  for (const change of changes) {
    if (change.kind !== 'removed' && change.record.status === 'pendingAcceptance') ids.add(change.record.id);
  }
  return ids;
}

/** The services read in this run; `kept` holds every pending connection, the ones a reminder names. */
function readDetails(read: readonly ServiceRead[]): Map<string, { serviceName: string; connections: ReadonlyMap<string, Connection> }> {
  return new Map(read.map(({ service, kept }) => [service.id, { serviceName: service.name, connections: kept }]));
}

/**
 * The door events of a run (`door.ts`) and the next door book: changes of approval and whitelist,
 * and connections that arrived accepted on a service seen before whose approval is off.
 */
function doorAlerts(loaded: LoadedState, scan: ScanResult, context: { startedAt: string; posture?: Posture }): { doors: DoorBook; events: AlertEvent[] } {
  const previous = loaded.state;
  const planned = planDoors(previous.doors, context.posture?.doors ?? [], scan.services.keys(), { detectedAt: context.startedAt, generation: previous.generation });
  if (loaded.baseline) return planned;
  const unreviewed = scan.read
    .filter(({ service, count }) => count > 0 && planned.doors.get(service.id)?.approvalEnabled === false && previous.doors?.has(service.id))
    .flatMap(({ service, held }) => acceptedWithoutReview(service, held ?? [], context.startedAt));
  return { doors: planned.doors, events: [...planned.events, ...unreviewed] };
}

/** Whether the doors or the attribution book moved (a whitelist read, a late attribution to record): worth a save. */
function lookedAround(previous: MonitorState, next: MonitorState, posture: Posture | undefined): boolean {
  return (posture?.attribution.late.length ?? 0) > 0
    || !sameDoors(previous.doors, next.doors)
    || serializeAttributionBook(previous.attribution) !== serializeAttributionBook(next.attribution);
}

/**
 * Whether the set of tracked services, their names or their pages changed, which alone is worth a
 * save: a page rewritten for a change that moved no status (a new updated_at) is saved, or every
 * run would write it again.
 */
function servicesDiffer(previous: MonitorState, next: MonitorState): boolean {
  if (previous.services.size !== next.services.size) return true;
  for (const [id, snapshot] of next.services) {
    const before = previous.services.get(id);
    if (!before || before.name !== snapshot.name || !samePages(before.pages, snapshot.pages)) return true;
    // New answers (a description edited, or the first run to keep them) spare the next runs a parse.
    if (before.answers !== snapshot.answers && snapshot.answers !== undefined) return true;
  }
  return false;
}

function samePages(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((name, i) => name === b[i]));
}

