/**
 * Which changes alert, and the alert events they become. Pure: the detection time is passed in.
 */
import { createHash } from 'node:crypto';
import type { Change } from './diff.js';
import type { ConnectionError, EndpointService } from './ports.js';

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
 * connection that first appears in one. Removals and moves out of those states do not alert.
 */
export function alertsFor(
  service: EndpointService,
  changes: readonly Change[],
  alertStatuses: ReadonlySet<string>,
  detectedAt: string,
  baseline = false,
): AlertEvent[] {
  const alerts: AlertEvent[] = [];
  for (const change of changes) {
    if (change.kind === 'removed' || !alertStatuses.has(change.connection.status)) continue;
    const { connection } = change;
    const from = change.kind === 'status' ? change.from : null;
    alerts.push({
      id: eventId(service.id, connection.id, from, connection.status, connection.updatedAt),
      serviceId: service.id,
      serviceName: service.name,
      connectionId: connection.id,
      domainId: connection.domainId,
      from,
      to: connection.status,
      at: connection.updatedAt,
      detectedAt,
      description: connection.description,
      errors: [...connection.errors],
      ...(baseline ? { baseline: true as const } : {}),
    });
  }
  return alerts;
}
