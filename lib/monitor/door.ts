/**
 * The door of each endpoint service: whether VPCEP asks the owner before it lets a consumer in
 * (`approval_enabled`) and who may knock at all (the whitelist). Pure: what changed, which events
 * it raises, and when a whitelist is due to be read again. The run reads and saves (`posture.ts`).
 *
 * The most dangerous change to a service is not a connection but its door opening: with approval
 * off, every whitelisted account is accepted without a `pendingAcceptance` anyone could see; with
 * `*` on the whitelist, every account of the cloud may connect.
 */
import { createHash } from 'node:crypto';
import type { AlertEvent, DoorChange } from './alerts.js';
import type { Change } from './diff.js';

/** What the state keeps of one service's door. */
export interface DoorState {
  /** VPCEP's `approval_enabled` as last listed; absent while the listing has never said. */
  approvalEnabled?: boolean;
  /** The accounts on the whitelist (`*` for every account), sorted; absent until first read. */
  whitelist?: string[];
  /** When the whitelist was last read, or, before its first read, when the service was first seen. */
  checkedAt: string;
}

export type DoorBook = Map<string, DoorState>;

/** `*` on a whitelist: any account may connect. */
export const EVERY_ACCOUNT = '*';
const PERMISSION_PREFIX = 'iam:domain::';
// Statuses a connection reaches without anyone's review when approval is off.
const UNREVIEWED = new Set(['accepted', 'creating']);

/** VPCEP's `iam:domain::<id>` entries as account ids, sorted and each once; other shapes are kept whole. */
export function whitelistAccounts(permissions: readonly string[]): string[] {
  return [...new Set(permissions.map((entry) => (entry.startsWith(PERMISSION_PREFIX) ? entry.slice(PERMISSION_PREFIX.length) : entry)))].sort();
}

/**
 * Whether a service's whitelist is read in this run. Each service has its own phase within the
 * interval (from its id), and is read in the first run after each of its slot boundaries: once per
 * interval, and services spread across the interval, so no run reads them all (a door first seen
 * is read at its first boundary, within one interval). `undefined` interval: never.
 */
export function whitelistDue(serviceId: string, door: DoorState | undefined, now: Date, intervalMs: number | undefined): boolean {
  if (intervalMs === undefined || door === undefined) return false;
  const checked = Date.parse(door.checkedAt);
  if (Number.isNaN(checked)) return true;
  const phase = phaseOf(serviceId, intervalMs);
  const slot = (time: number): number => Math.floor((time - phase) / intervalMs);
  return slot(now.getTime()) > slot(checked);
}

/** The service's offset within the interval, the same in every run. */
export function phaseOf(serviceId: string, intervalMs: number): number {
  return createHash('sha256').update(serviceId).digest().readUInt32BE(0) % intervalMs;
}

/** What one run saw of a service's door. */
export interface DoorObservation {
  service: { id: string; name: string };
  /** From the listing; `undefined` when it did not say. */
  approvalEnabled?: boolean;
  /** The whitelist's accounts when it was read in this run (see `whitelistAccounts`). */
  whitelist?: string[];
}

/**
 * The next door book and the events its changes raise. A door seen for the first time, and a
 * whitelist read for the first time, are the baseline: recorded, silent. Services tracked but not
 * observed in this run (`carried`) keep their door as it was.
 */
export function planDoors(
  previous: ReadonlyMap<string, DoorState> | undefined,
  observed: readonly DoorObservation[],
  carried: Iterable<string>,
  context: { detectedAt: string; generation: number },
): { doors: DoorBook; events: AlertEvent[] } {
  const doors: DoorBook = new Map();
  const events: AlertEvent[] = [];
  for (const { service, approvalEnabled, whitelist } of observed) {
    const before = previous?.get(service.id);
    const door: DoorState = { ...(before ?? {}), checkedAt: before?.checkedAt ?? context.detectedAt };
    if (approvalEnabled !== undefined) door.approvalEnabled = approvalEnabled;
    if (whitelist !== undefined) {
      door.whitelist = [...whitelist];
      door.checkedAt = context.detectedAt;
    }
    doors.set(service.id, door);
    if (before === undefined) continue;
    const event = (change: DoorChange): void => {
      events.push(doorEvent(service, change, context));
    };
    if (before.approvalEnabled !== undefined && approvalEnabled !== undefined && before.approvalEnabled !== approvalEnabled) {
      event({ kind: approvalEnabled ? 'approval-on' : 'approval-off' });
    }
    if (before.whitelist !== undefined && whitelist !== undefined) {
      const added = whitelist.filter((account) => !before.whitelist!.includes(account));
      const removed = before.whitelist.filter((account) => !whitelist.includes(account));
      if (added.includes(EVERY_ACCOUNT)) event({ kind: 'open-to-all' });
      const accounts = added.filter((account) => account !== EVERY_ACCOUNT);
      if (accounts.length > 0 || removed.length > 0) event({ kind: 'whitelist-changed', ...(accounts.length > 0 ? { added: accounts } : {}), ...(removed.length > 0 ? { removed } : {}) });
    }
  }
  for (const id of carried) {
    const before = previous?.get(id);
    if (before && !doors.has(id)) doors.set(id, before);
  }
  return { doors, events };
}

/**
 * A door event's id: stable across repeats of the same run (a crash, an overlapping run load the
 * same generation), new for a later change of the same kind (a later run loads a newer one).
 */
function doorEvent(service: { id: string; name: string }, change: DoorChange, context: { detectedAt: string; generation: number }): AlertEvent {
  const id = createHash('sha256')
    .update(['door', service.id, change.kind, (change.added ?? []).join(','), (change.removed ?? []).join(','), String(context.generation)].join('\n'))
    .digest('hex')
    .slice(0, 24);
  return {
    id,
    serviceId: service.id,
    serviceName: service.name,
    connectionId: '',
    domainId: '',
    from: null,
    to: change.kind,
    at: context.detectedAt,
    detectedAt: context.detectedAt,
    description: '',
    errors: [],
    door: change,
  };
}

/**
 * Connections that first appeared already `accepted` (or `creating`) on a service whose approval is
 * off: nobody reviewed them. Only for a service seen before (a new service's whole list is its baseline).
 */
export function acceptedWithoutReview(service: { id: string; name: string }, changes: Iterable<Change>, detectedAt: string): AlertEvent[] {
  const events: AlertEvent[] = [];
  for (const change of changes) {
    if (change.kind !== 'added' || !UNREVIEWED.has(change.record.status)) continue;
    const { record } = change;
    events.push({
      id: createHash('sha256').update(['door', service.id, record.id, 'accepted-without-review', record.updatedAt].join('\n')).digest('hex').slice(0, 24),
      serviceId: service.id,
      serviceName: service.name,
      connectionId: record.id,
      domainId: record.domainId,
      from: null,
      to: record.status,
      at: record.updatedAt,
      detectedAt,
      description: '',
      errors: [],
      door: { kind: 'accepted-without-review' },
    });
  }
  return events;
}

/**
 * Door figures for Cloud Eye: services with approval off, and services open to every account. A
 * figure nothing is known of (no door listed with approval, no whitelist read yet) is absent, not 0.
 */
export function doorCounts(doors: ReadonlyMap<string, DoorState> | undefined): { withoutApproval?: number; openToAll?: number } {
  let withoutApproval: number | undefined;
  let openToAll: number | undefined;
  for (const door of doors?.values() ?? []) {
    if (door.approvalEnabled !== undefined) withoutApproval = (withoutApproval ?? 0) + (door.approvalEnabled ? 0 : 1);
    if (door.whitelist !== undefined) openToAll = (openToAll ?? 0) + (door.whitelist.includes(EVERY_ACCOUNT) ? 1 : 0);
  }
  return { ...(withoutApproval === undefined ? {} : { withoutApproval }), ...(openToAll === undefined ? {} : { openToAll }) };
}

/** Whether two door books say the same, whatever their order. */
export function sameDoors(a: ReadonlyMap<string, DoorState> | undefined, b: ReadonlyMap<string, DoorState> | undefined): boolean {
  const left = a ?? new Map<string, DoorState>();
  const right = b ?? new Map<string, DoorState>();
  if (left.size !== right.size) return false;
  for (const [id, door] of left) {
    const other = right.get(id);
    if (!other || other.checkedAt !== door.checkedAt || other.approvalEnabled !== door.approvalEnabled || (other.whitelist ?? []).join('\n') !== (door.whitelist ?? []).join('\n') || (other.whitelist === undefined) !== (door.whitelist === undefined)) return false;
  }
  return true;
}
