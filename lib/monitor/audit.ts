/**
 * The audit trail: every change the monitor sees, as JSON Lines, one new object per run that saw
 * changes under `{prefix}audit/YYYY/MM/DD/`. Objects are only ever created, never rewritten or
 * deleted by the monitor; how long they live is the bucket's lifecycle rule's business.
 */
import { type AlertEvent, eventId, type PolicyAction } from './alerts.js';
import type { Change } from './diff.js';
import { auditKey, auditPartKey } from './keys.js';
import type { Connection, ConnectionError, EndpointService, ObjectStore } from './ports.js';

export type AuditChange = 'added' | 'removed' | 'status' | 'action' | 'delivered' | 'undeliverable';

/** One line of the trail. docs/audit-and-report.md documents these fields; keep them in step. */
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
  /**
   * On change and `action` records: whether the change raised an alert, i.e. put it in the outbox.
   * Raised is not delivered: only a `delivered` record (written after SMN accepted the publish)
   * says an alert reached the topic, and an `undeliverable` one that it was set aside.
   */
  raised?: boolean;
  /**
   * The same, as trails written before `raised` and `delivered` records existed named it. It never
   * meant that SMN accepted the alert; readers take it as `raised` (see `alertRaised`).
   */
  alerted?: boolean;
  /** On `delivered` records: SMN's id of the message that carried the event, and its request id. */
  messageId?: string;
  requestId?: string;
  /**
   * On added and status records of connections that need someone (pending, failed, rejected, or
   * with errors), from this version on: the consumer's words (untrusted) and VPCEP's errors.
   */
  description?: string;
  errors?: ConnectionError[];
  /** Only on `action` records: what the approval policy did, why, and how it went. */
  action?: PolicyAction['type'];
  mode?: PolicyAction['mode'];
  outcome?: PolicyAction['outcome'];
  reason?: string;
  /** On `action` records, why an action failed; on `undeliverable` records, SMN's answer. */
  error?: string;
}

/** Whether a record says its change raised an alert, in this trail's words or an older one's. */
export function alertRaised(record: AuditRecord): boolean {
  return record.raised ?? record.alerted ?? false;
}

/**
 * What a record says of an alert event that something befell (an approval action, delivery, a
 * refusal by SMN): the event's own fields, under the same names as every other line of the trail.
 */
export function eventRecord(event: AlertEvent, runId: string, at: string, change: 'action' | 'delivered' | 'undeliverable'): AuditRecord {
  return {
    at,
    runId,
    serviceId: event.serviceId,
    serviceName: event.serviceName,
    connectionId: event.connectionId,
    domainId: event.domainId,
    change,
    from: event.from,
    to: event.to,
    eventId: event.id,
  };
}

/** The record written once SMN accepted the publish that carried `event`: the only claim of delivery. */
export function deliveredRecord(event: AlertEvent, runId: string, at: string, receipt: { messageId: string; requestId: string | undefined }): AuditRecord {
  return { ...eventRecord(event, runId, at, 'delivered'), messageId: receipt.messageId, ...(receipt.requestId ? { requestId: receipt.requestId } : {}) };
}

/** The record of an approval policy action: `to` is the status the action asks for. */
export function actionRecord(event: AlertEvent, runId: string): AuditRecord {
  const { action } = event;
  if (!action) throw new TypeError(`event ${event.id} reports no approval policy action`);
  return {
    ...eventRecord(event, runId, event.detectedAt, 'action'),
    raised: true,
    action: action.type,
    mode: action.mode,
    outcome: action.outcome,
    reason: action.reason,
    ...(action.error ? { error: action.error } : {}),
  };
}

export async function* auditRecords(
  service: EndpointService,
  changes: Iterable<Change> | AsyncIterable<Change>,
  kept: ReadonlyMap<string, Connection>,
  context: { at: string; runId: string; raisedIds: ReadonlySet<string> },
): AsyncGenerator<AuditRecord> {
  for await (const change of changes) {
    const { record } = change;
    const from = change.kind === 'added' ? null : change.kind === 'removed' ? record.status : change.from;
    const to = change.kind === 'removed' ? null : record.status;
    const id = eventId(service.id, record.id, from, to ?? 'removed', record.updatedAt);
    yield {
      at: context.at,
      runId: context.runId,
      serviceId: service.id,
      serviceName: service.name,
      connectionId: record.id,
      domainId: record.domainId,
      change: change.kind,
      from,
      to,
      eventId: id,
      raised: context.raisedIds.has(id),
      ...(change.kind === 'removed' ? {} : details(kept.get(record.id))),
    };
  }
}

// The trail keeps what the consumer wrote and what VPCEP said went wrong for connections that need
// someone (the scan keeps those whole), so the report can show them without the messages. Only for
// these: a baseline of 100,000 accepted connections would otherwise carry every description.
function details(connection: Connection | undefined): Pick<AuditRecord, 'description' | 'errors'> {
  if (connection === undefined) return {};
  return {
    ...(connection.description ? { description: connection.description } : {}),
    ...(connection.errors.length > 0 ? { errors: [...connection.errors] } : {}),
  };
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
  records: Iterable<AuditRecord> | AsyncIterable<AuditRecord>,
): Promise<{ key: string; parts: number } | undefined> {
  let part = 0;
  let lines: string[] = [];
  const flush = async (): Promise<void> => {
    part += 1;
    // The lines go as parts of the body, not joined: a part of 10,000 records is ~3 MB.
    await objects.put(auditPartKey(key, part), lines, 'application/x-ndjson');
    lines = [];
  };
  for await (const record of records) {
    lines.push(`${JSON.stringify(record)}\n`);
    if (lines.length === AUDIT_PART_RECORDS) await flush();
  }
  if (lines.length > 0) await flush();
  return part === 0 ? undefined : { key, parts: part };
}

/**
 * The "record" step: the run's changes and approval actions, written before the state, so that if
 * this fails nothing else is saved and the next run sees the same changes again — no change goes
 * unrecorded. Returns the first key written, or `undefined` when there was nothing to record.
 */
export async function recordRun(
  objects: ObjectStore,
  obsPrefix: string,
  changed: readonly { service: EndpointService; changes: () => Iterable<Change> | AsyncIterable<Change>; kept: ReadonlyMap<string, Connection> }[],
  actions: readonly AlertEvent[],
  context: { at: string; runId: string; raisedIds: ReadonlySet<string> },
): Promise<string | undefined> {
  const records = async function* (): AsyncGenerator<AuditRecord> {
    for (const { service, changes, kept } of changed) yield* auditRecords(service, changes(), kept, context);
    for (const action of actions) yield actionRecord(action, context.runId);
  };
  const written = await writeAudit(objects, auditKey(obsPrefix, new Date(context.at), context.runId), records());
  return written?.key;
}
