/**
 * The audit trail: every change the monitor sees, as JSON Lines, one new object per run that saw
 * changes under `{prefix}audit/YYYY/MM/DD/`. Objects are only ever created, never rewritten or
 * deleted by the monitor; how long they live is the bucket's lifecycle rule's business.
 */
import { type AlertEvent, eventId, type PolicyAction } from './alerts.js';
import type { Change } from './diff.js';
import type { ObjectStore } from '../huaweicloud/obs.js';
import type { EndpointService } from './types.js';

export type AuditChange = 'added' | 'removed' | 'status' | 'action';

/** One line of the trail. The README documents these fields; keep them in step. */
export interface AuditRecord {
  /** When the monitor detected the change (ISO 8601). */
  at: string;
  runId: string;
  serviceId: string;
  serviceName: string;
  connectionId: string;
  domainId: string;
  change: AuditChange;
  from: string | null;
  to: string | null;
  eventId: string;
  /** Whether this change raised an alert. */
  alerted: boolean;
  /** Only on `action` records: what the approval policy did, why, and how it went. */
  action?: PolicyAction['type'];
  mode?: PolicyAction['mode'];
  outcome?: PolicyAction['outcome'];
  reason?: string;
  error?: string;
  /**
   * Only on records whose `to` is an alert status, and only from the monitor version that started
   * writing them: the consumer's description and the errors VPCEP reported. Untrusted text.
   */
  description?: string;
  errors?: { code: string; message: string }[];
}

/** The record of an approval policy action: `to` is the status the action asks for. */
export function actionRecord(event: AlertEvent, runId: string): AuditRecord {
  const { action } = event;
  if (!action) throw new TypeError(`event ${event.id} reports no approval policy action`);
  return {
    at: event.detectedAt,
    runId,
    serviceId: event.serviceId,
    serviceName: event.serviceName,
    connectionId: event.connectionId,
    domainId: event.domainId,
    change: 'action',
    from: event.from,
    to: event.to,
    eventId: event.id,
    alerted: true,
    action: action.type,
    mode: action.mode,
    outcome: action.outcome,
    reason: action.reason,
    ...(action.error ? { error: action.error } : {}),
  };
}

export function* auditRecords(
  service: EndpointService,
  changes: readonly Change[],
  context: { at: string; runId: string; alertedIds: ReadonlySet<string> },
): Generator<AuditRecord> {
  for (const change of changes) {
    const connectionId = change.kind === 'removed' ? change.connectionId : change.connection.id;
    const domainId = change.kind === 'removed' ? change.previous.domainId : change.connection.domainId;
    const from = change.kind === 'added' ? null : change.kind === 'removed' ? change.previous.status : change.from;
    const to = change.kind === 'removed' ? null : change.connection.status;
    const updatedAt = change.kind === 'removed' ? change.previous.updatedAt : change.connection.updatedAt;
    const id = to === null ? eventId(service.id, connectionId, from, 'removed', updatedAt) : eventId(service.id, connectionId, from, to, updatedAt);
    yield {
      at: context.at,
      runId: context.runId,
      serviceId: service.id,
      serviceName: service.name,
      connectionId,
      domainId,
      change: change.kind,
      from,
      to,
      eventId: id,
      alerted: context.alertedIds.has(id),
    };
  }
}

/** `{prefix}audit/YYYY/MM/DD/` for the UTC day of `date`. */
export function auditDayPrefix(obsPrefix: string, date: Date): string {
  const iso = date.toISOString();
  return `${obsPrefix}audit/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/`;
}

/**
 * Keys sort by time within a day, and carry the run id so two runs in the same millisecond
 * (overlapping invocations) still write two objects rather than one over the other.
 */
export function auditKey(obsPrefix: string, at: Date, runId: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  const safeRun = runId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  return `${auditDayPrefix(obsPrefix, at)}${stamp}-${safeRun}.jsonl`;
}

/** Records per audit object: a baseline of 100,000 connections is written in parts of this many. */
export const AUDIT_PART_RECORDS = 10_000;

/**
 * Writes a run's records as JSON Lines: one object, or for a very large run (a baseline of a big
 * project) several parts, `{key}.jsonl`, `{key}~0002.jsonl`, … which sort in order after it, so
 * the run never holds more than one part's text in memory. Returns the first key and the count.
 */
export async function writeAudit(
  objects: ObjectStore,
  key: string,
  records: Iterable<AuditRecord>,
): Promise<{ key: string; parts: number } | undefined> {
  let part = 0;
  let lines: string[] = [];
  const flush = async (): Promise<void> => {
    part += 1;
    const partKey = part === 1 ? key : key.replace(/\.jsonl$/, `~${String(part).padStart(4, '0')}.jsonl`);
    await objects.put(partKey, `${lines.join('\n')}\n`, 'application/x-ndjson');
    lines = [];
  };
  for (const record of records) {
    lines.push(JSON.stringify(record));
    if (lines.length === AUDIT_PART_RECORDS) await flush();
  }
  if (lines.length > 0) await flush();
  return part === 0 ? undefined : { key, parts: part };
}
