/**
 * Reminders for requests left waiting. Pure: the run passes in what it scanned and the time.
 *
 * The state remembers, for every connection that is pendingAcceptance, when the monitor first saw
 * it so and when it last told anyone about it (the alert, then each reminder). A connection still
 * pending one period after that is reminded, then again each period, until it leaves pending.
 */
import type { Reminder } from './reminder-message.js';
import type { Connection } from './ports.js';

export interface PendingRecord {
  since: string;
  notifiedAt: string;
}

/** Per service: connection id → record. */
export type PendingBook = Map<string, Map<string, PendingRecord>>;

/** The service's pending records after a complete scan: new ones start now, departed ones go. */
export function updatePending(
  before: ReadonlyMap<string, PendingRecord> | undefined,
  current: readonly Connection[],
  now: string,
): Map<string, PendingRecord> {
  const next = new Map<string, PendingRecord>();
  for (const connection of current) {
    if (connection.status !== 'pendingAcceptance') continue;
    next.set(connection.id, before?.get(connection.id) ?? { since: now, notifiedAt: now });
  }
  return next;
}

export interface DueReminder extends Reminder {
  key: { serviceId: string; connectionId: string };
}

export function dueReminders(
  book: PendingBook,
  details: ReadonlyMap<string, { serviceName: string; connections: ReadonlyMap<string, Connection> }>,
  periodMs: number,
  now: Date,
): DueReminder[] {
  const due: DueReminder[] = [];
  for (const [serviceId, records] of book) {
    // Only services read in this run: a service we could not read may have moved on.
    const service = details.get(serviceId);
    if (!service) continue;
    for (const [connectionId, record] of records) {
      if (now.getTime() - Date.parse(record.notifiedAt) < periodMs) continue;
      const connection = service.connections.get(connectionId);
      due.push({
        key: { serviceId, connectionId },
        serviceId,
        serviceName: service.serviceName,
        connectionId,
        domainId: connection?.domainId ?? '',
        description: connection?.description ?? '',
        since: record.since,
        waitingMs: now.getTime() - Date.parse(record.since),
      });
    }
  }
  return due;
}

/** Records that the due requests were just reminded about: the next reminder is one period away. */
export function markReminded(book: PendingBook, reminders: readonly DueReminder[], at: string): void {
  for (const { key } of reminders) {
    const record = book.get(key.serviceId)?.get(key.connectionId);
    if (record) record.notifiedAt = at;
  }
}
