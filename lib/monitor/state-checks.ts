/**
 * The checks every stored state passes before the monitor relies on it: each one throws a
 * StateFormatError saying what is wrong, and the caller quarantines the object rather than guess.
 */
import type { AlertEvent } from './alerts.js';
import type { AttributionBook, PolicyActed, Transition } from './attribution.js';
import type { DoorBook } from './door.js';
import { StateFormatError } from './errors.js';
import { FIELD_SEPARATOR, RECORD_SEPARATOR } from './records.js';
import type { Connection } from './ports.js';
import type { PendingBook, PendingRecord } from './reminders.js';

/** One page as VPCEP answered it (`state.ts`): a digest of the answer, its connections counted by status, and those kept whole. */
export interface PageAnswer {
  digest: string;
  counts: readonly (readonly [status: string, count: number])[];
  kept: readonly Connection[];
}

/**
 * Each record of a chunk has its four fields, as it will be decoded: separators are counted in
 * place, so a corrupt state is refused at load, not in the middle of a run.
 */
export function checkChunk(chunk: string): void {
  for (let start = 0; start <= chunk.length; ) {
    const semicolon = chunk.indexOf(RECORD_SEPARATOR, start);
    const end = semicolon === -1 ? chunk.length : semicolon;
    // Four fields: three commas inside the record, none at its start (an id is never empty).
    let commas = 0;
    for (let at = chunk.indexOf(FIELD_SEPARATOR, start); at !== -1 && at < end; at = chunk.indexOf(FIELD_SEPARATOR, at + 1)) commas += 1;
    if (commas !== 3 || chunk.startsWith(FIELD_SEPARATOR, start) || start === end) {
      throw new StateFormatError(`state has a malformed connection record ${JSON.stringify(chunk.slice(start, Math.min(end, start + 80)))}`);
    }
    start = end + 1;
  }
}

export function readPending(value: unknown): PendingBook {
  if (value !== undefined && !isObject(value)) throw new StateFormatError('state has a malformed pending book');
  const pending: PendingBook = new Map();
  for (const [serviceId, records] of Object.entries(value ?? {})) {
    if (!isObject(records)) throw new StateFormatError('state has a malformed pending entry');
    const book = new Map<string, PendingRecord>();
    for (const [connectionId, record] of Object.entries(records)) {
      if (!Array.isArray(record) || record.length !== 2 || !record.every((part) => typeof part === 'string')) {
        throw new StateFormatError(`state has a malformed pending connection ${JSON.stringify(connectionId.slice(0, 64))}`);
      }
      const [since, notifiedAt] = record as [string, string];
      book.set(connectionId, { since, notifiedAt });
    }
    pending.set(serviceId, book);
  }
  return pending;
}

export function readOutbox(value: unknown): AlertEvent[] {
  if (!Array.isArray(value)) throw new StateFormatError('state is missing its outbox');
  if (!value.every(isAlertEvent)) throw new StateFormatError('state has a malformed outbox entry');
  return value;
}

/** A service's page answers (`state.ts` PageAnswer), one per page or `null`. */
export function readAnswers(value: unknown, pages: number, service: string): (PageAnswer | null)[] {
  const malformed = () => new StateFormatError(`state has malformed page answers for service ${service}`);
  if (!Array.isArray(value) || value.length !== pages) throw malformed();
  return value.map((answer): PageAnswer | null => {
    if (answer === null) return null;
    if (!isObject(answer) || typeof answer.digest !== 'string' || !/^[0-9a-f]{32}$/.test(answer.digest) || !Array.isArray(answer.counts) || !Array.isArray(answer.kept)) throw malformed();
    const counts = answer.counts.map((entry: unknown) => {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !Number.isSafeInteger(entry[1]) || (entry[1] as number) < 0) throw malformed();
      return [entry[0], entry[1] as number] as const;
    });
    if (!answer.kept.every(isConnection)) throw malformed();
    return { digest: answer.digest, counts, kept: answer.kept as Connection[] };
  });
}

function isConnection(value: unknown): value is Connection {
  if (!isObject(value)) return false;
  return ['id', 'status', 'domainId', 'description', 'updatedAt'].every((key) => typeof value[key] === 'string')
    && Array.isArray(value.errors) && value.errors.every((error) => isObject(error) && typeof error.code === 'string' && typeof error.message === 'string');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAlertEvent(value: unknown): value is AlertEvent {
  if (!isObject(value)) return false;
  const strings = ['id', 'serviceId', 'serviceName', 'connectionId', 'domainId', 'to', 'at', 'detectedAt', 'description'];
  return strings.every((key) => typeof value[key] === 'string')
    && (value.from === null || typeof value.from === 'string')
    && Array.isArray(value.errors)
    && (value.door === undefined || isDoorChange(value.door))
    && (value.attribution === undefined || (isObject(value.attribution) && Object.values(value.attribution).every((field) => typeof field === 'string')));
}

const strings = (value: unknown): boolean => value === undefined || (Array.isArray(value) && value.every((entry) => typeof entry === 'string'));

function isDoorChange(value: unknown): boolean {
  return isObject(value) && typeof value.kind === 'string' && strings(value.added) && strings(value.removed);
}

/** The doors as the header's `doors` key (`,"doors":{…}`), or nothing when there are none. */
export function serializeDoors(doors: DoorBook | undefined): string {
  return doors === undefined || doors.size === 0 ? '' : `,"doors":${JSON.stringify(Object.fromEntries(doors))}`;
}

/** The header's `doors`: absent is none; each door's fields are checked as the run relies on them. */
export function readDoors(value: unknown): { doors?: DoorBook } {
  if (value === undefined) return {};
  if (!isObject(value)) throw new StateFormatError('state has a malformed doors entry');
  const doors: DoorBook = new Map();
  for (const [serviceId, door] of Object.entries(value)) {
    const fine = isObject(door) && typeof door.checkedAt === 'string'
      && (door.approvalEnabled === undefined || typeof door.approvalEnabled === 'boolean')
      && (door.whitelist === undefined || (Array.isArray(door.whitelist) && door.whitelist.every((entry) => typeof entry === 'string')));
    if (!fine) throw new StateFormatError(`state has a malformed door of service ${JSON.stringify(serviceId.slice(0, 64))}`);
    doors.set(serviceId, { ...(door.approvalEnabled === undefined ? {} : { approvalEnabled: door.approvalEnabled as boolean }), ...(door.whitelist === undefined ? {} : { whitelist: door.whitelist as string[] }), checkedAt: door.checkedAt as string });
  }
  return { doors };
}

/** The attribution book as the header's `attribution` key, or nothing when it is empty. */
export function serializeAttributionBook(book: AttributionBook | undefined): string {
  return book === undefined || (book.waiting.length === 0 && book.acted.length === 0) ? '' : `,"attribution":${JSON.stringify(book)}`;
}

const TRANSITION_FIELDS = ['eventId', 'serviceId', 'serviceName', 'connectionId', 'domainId', 'from', 'to', 'updatedAt', 'since', 'detectedAt'] as const;

/** The header's `attribution`: absent is empty. */
export function readAttributionBook(value: unknown): { attribution?: AttributionBook } {
  if (value === undefined) return {};
  if (!isObject(value) || !Array.isArray(value.waiting) || !Array.isArray(value.acted)) throw new StateFormatError('state has a malformed attribution entry');
  if (!value.waiting.every((entry) => isObject(entry) && TRANSITION_FIELDS.every((key) => typeof entry[key] === 'string'))) {
    throw new StateFormatError('state has a malformed transition waiting for attribution');
  }
  const acted = (entry: unknown): boolean => isObject(entry) && typeof entry.serviceId === 'string' && typeof entry.connectionId === 'string' && typeof entry.at === 'string' && (entry.to === 'accepted' || entry.to === 'rejected');
  if (!value.acted.every(acted)) throw new StateFormatError('state has a malformed approval policy action in its attribution entry');
  return { attribution: { waiting: value.waiting as Transition[], acted: value.acted as PolicyActed[] } };
}
