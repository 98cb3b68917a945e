/**
 * Which changes alert, and the alert events they become. Pure: the detection time is passed in.
 */
import { createHash } from 'node:crypto';
import type { Change } from './diff.js';
import type { Connection, ConnectionError, EndpointService } from './ports.js';

/** What the approval policy did (or, in dry-run, would do) about a pending connection. */
export interface PolicyAction {
  /** VPCEP's words: `receive` accepts. */
  type: 'receive' | 'reject';
  mode: 'enforce' | 'dry-run';
  outcome: 'done' | 'failed' | 'planned';
  /** Which list matched, in words. */
  reason: string;
  error?: string;
}

/** What a door event says happened (`door.ts`). `accepted-without-review` is a connection's, the others the service's. */
export type DoorKind = 'approval-off' | 'approval-on' | 'open-to-all' | 'whitelist-changed' | 'accepted-without-review';

export interface DoorChange {
  kind: DoorKind;
  /** Accounts that joined or left the whitelist (`*` is every account). */
  added?: string[];
  removed?: string[];
}

/**
 * Who made a change (`attribution.ts`): a person or agency named by a CTS trace, our own approval
 * policy, or nobody known. Every text in it is data from the cloud, cleaned before anyone reads it.
 */
export interface Attribution {
  source: 'trace' | 'policy' | 'pending' | 'unknown';
  /** The user (or agency) name; absent unless `source` is `trace` or `policy`. */
  user?: string;
  userType?: string;
  accountName?: string;
  accountId?: string;
  sourceIp?: string;
  traceId?: string;
}

export interface AlertEvent {
  /** Stable across runs and repeats: subscribers drop an id they have seen. */
  id: string;
  serviceId: string;
  serviceName: string;
  connectionId: string;
  domainId: string;
  /** `null` for a connection that first appeared in `to`. */
  from: string | null;
  to: string;
  /** The connection's own `updated_at`: when the change happened, as far as VPCEP says. */
  at: string;
  /** When this monitor noticed it. */
  detectedAt: string;
  description: string;
  errors: ConnectionError[];
  /** Found by the first run, which has no earlier snapshot to compare with. */
  baseline?: true;
  /** Set on events that report an approval policy action rather than a status change. */
  action?: PolicyAction;
  /** Set on events about a service's door (`door.ts`); a service's own have no connection (`connectionId` ''). */
  door?: DoorChange;
  /** Who made the change, on an accepted or rejected transition whose trace was found (`attribution.ts`). */
  attribution?: Attribution;
}

/**
 * The same transition of the same connection always gets the same id, so a repeat delivered after
 * a crash or an overlapping run is recognisable; a later transition of the same kind (the
 * connection left `failed` and failed again) has a new `updated_at` and so a new id.
 */
export function eventId(serviceId: string, connectionId: string, from: string | null, to: string, updatedAt: string): string {
  return createHash('sha256')
    .update([serviceId, connectionId, from ?? '', to, updatedAt].join('\n'))
    .digest('hex')
    .slice(0, 24);
}

/**
 * A connection alerts when it enters one of `alertStatuses`: a status change into one, or a new
 * connection that first appears in one. Removals and moves out of those states do not alert. The
 * words of an alert (description, errors) come from the connection as read, kept whole by the scan.
 */
export function alertsFor(
  service: EndpointService,
  changes: Iterable<Change>,
  kept: ReadonlyMap<string, Connection>,
  alertStatuses: ReadonlySet<string>,
  detectedAt: string,
  baseline = false,
): AlertEvent[] {
  const alerts: AlertEvent[] = [];
  for (const change of changes) {
    if (change.kind === 'removed' || !alertStatuses.has(change.record.status)) continue;
    const { record } = change;
    const connection = kept.get(record.id);
    const from = change.kind === 'status' ? change.from : null;
    alerts.push({
      id: eventId(service.id, record.id, from, record.status, record.updatedAt),
      serviceId: service.id,
      serviceName: service.name,
      connectionId: record.id,
      domainId: connection?.domainId ?? record.domainId,
      from,
      to: record.status,
      at: record.updatedAt,
      detectedAt,
      description: connection?.description ?? '',
      errors: connection ? [...connection.errors] : [],
      ...(baseline ? { baseline: true as const } : {}),
    });
  }
  return alerts;
}
