/**
 * What changed between two looks at one endpoint service's connections. Pure: no I/O, no clock.
 * Both looks are record chunks (`records.ts`); changes come out as small records, lazily, so a
 * baseline of 100,000 connections is never 100,000 change objects at once.
 */
import { type ConnectionRecord, decodeRecord, decodeRecords, detachedRecord, RECORD_SEPARATOR, type RecordChunks } from './records.js';

export type { ConnectionRecord } from './records.js';

export type Change =
  | { kind: 'added'; record: ConnectionRecord }
  | { kind: 'removed'; record: ConnectionRecord }
  | { kind: 'status'; from: string; record: ConnectionRecord };

/**
 * Every change from `previous` to `current`: a connection whose status is unchanged yields nothing,
 * whatever else moved (a description edit is not an event). Added and status changes come in the
 * current listing order, then removals in the previous order. `previous` and `current` being the
 * same list (a quiet pass keeps the snapshot it loaded) is no change at all.
 */
export function* diffRecords(previous: RecordChunks, current: RecordChunks): Generator<Change> {
  if (previous === current) return;
  // The previous statuses by id: the one index a changed service costs, only while it is walked.
  const before = new Map<string, string>();
  for (const { id, status } of decodeRecords(previous)) before.set(id, status);
  for (const record of decodeRecords(current)) {
    const status = before.get(record.id);
    if (status === undefined) {
      yield { kind: 'added', record };
      continue;
    }
    before.delete(record.id);
    if (status !== record.status) yield { kind: 'status', from: status, record };
  }
  if (before.size === 0) return;
  for (const record of decodeRecords(previous)) {
    if (before.has(record.id)) yield { kind: 'removed', record };
  }
}

/**
 * The changes between one stored page and the page read at the same position, when both hold the
 * same connections in the same order (the usual change: a status moved); `undefined` when they do
 * not (a connection came or went before or on this page), and the caller diffs that stretch whole.
 */
export function diffAlignedPage(previous: string, current: string): Change[] | undefined {
  const before = previous === '' ? [] : previous.split(RECORD_SEPARATOR);
  const after = current === '' ? [] : current.split(RECORD_SEPARATOR);
  if (before.length !== after.length) return undefined;
  const changes: Change[] = [];
  for (let i = 0; i < after.length; i++) {
    if (before[i] === after[i]) continue;
    const was = decodeRecord(before[i]!);
    const record = decodeRecord(after[i]!);
    if (was.id !== record.id) return undefined;
    // Kept past this page: copies that keep none of the page's text alive (`detachedRecord`).
    if (was.status !== record.status) changes.push({ kind: 'status', from: detachedRecord(was).status, record: detachedRecord(record) });
  }
  return changes;
}


/**
 * Matches the records of two stretches fed a page at a time: a record is held only until its
 * match on the other side arrives, so a stretch moved by k places holds about k records. What is
 * left unmatched at the end came (`added`) or went (`removed`).
 */
export class StretchDiff {
  private readonly previous = new Map<string, ConnectionRecord>();
  private readonly current = new Map<string, ConnectionRecord>();

  constructor(private readonly changes: Change[]) {}

  before(chunk: string): void {
    for (const record of decodeRecords([chunk])) {
      const now = this.current.get(record.id);
      if (now === undefined) this.previous.set(record.id, detachedRecord(record));
      else {
        this.current.delete(record.id);
        if (now.status !== record.status) this.changes.push({ kind: 'status', from: detachedRecord(record).status, record: now });
      }
    }
  }

  after(chunk: string): void {
    for (const record of decodeRecords([chunk])) {
      const was = this.previous.get(record.id);
      if (was === undefined) this.current.set(record.id, detachedRecord(record));
      else {
        this.previous.delete(record.id);
        if (was.status !== record.status) this.changes.push({ kind: 'status', from: was.status, record: detachedRecord(record) });
      }
    }
  }

  finish(): void {
    for (const record of this.current.values()) this.changes.push({ kind: 'added', record });
    for (const record of this.previous.values()) this.changes.push({ kind: 'removed', record });
  }
}
