/**
 * The checks every stored state passes before the monitor relies on it: each one throws a
 * StateFormatError saying what is wrong, and the caller quarantines the object rather than guess.
 */
import type { AlertEvent } from './alerts.js';
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
    && Array.isArray(value.errors);
}
