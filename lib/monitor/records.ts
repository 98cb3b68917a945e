/**
 * A service's connections as the snapshot keeps them: compact text, not objects. Each connection is
 * one record, `id,status,updated_at,domain_id`, records are joined by `;` into chunks of at most
 * one VPCEP page (1000), and chunks follow VPCEP's listing order. 100,000 connections are then ~100
 * strings of ~110 KB instead of 100,000 objects and 400,000 strings: a 128 MB function holds them
 * with room to spare, and the garbage collector has next to nothing to trace.
 *
 * A page read in a quiet pass is compared with the chunk at the same position character by
 * character, without building anything; records are only decoded into objects where something
 * changed.
 */
import { CONNECTIONS_PAGE_SIZE } from './ports.js';

/** What the snapshot keeps of a connection: what the diff, the trail and the report need. */
export interface ConnectionRecord {
  id: string;
  status: string;
  updatedAt: string;
  domainId: string;
}

export const RECORD_SEPARATOR = ';';
export const FIELD_SEPARATOR = ',';
const RECORD_CODE = 59; // ';'
const FIELD_CODE = 44; // ','
// Ids, statuses, timestamps and domain ids never hold these; a value that did would corrupt the
// record, so they are dropped when writing. Such a page then never matches its chunk in place
// (the raw value has the separator) and is encoded again each run; the diff, which compares the
// written forms, sees no change: slower, never wrong.
const SEPARATORS = /[;,]/g;

/** The chunks of one service, in listing order. */
export type RecordChunks = readonly string[];

export function encodeRecord(record: ConnectionRecord): string {
  return `${clean(record.id)},${clean(record.status)},${clean(record.updatedAt)},${clean(record.domainId)}`;
}

/** One page of connections as one chunk. */
export function encodeChunk(connections: readonly ConnectionRecord[]): string {
  return connections.map(encodeRecord).join(RECORD_SEPARATOR);
}

/**
 * Whether `chunk` holds exactly these connections, in this order, with the same status, time and
 * domain: compared in place, allocating nothing. This is the whole cost of an unchanged page.
 */
export function chunkMatches(chunk: string, connections: readonly ConnectionRecord[]): boolean {
  let at = 0;
  for (let i = 0; i < connections.length; i++) {
    const { id, status, updatedAt, domainId } = connections[i]!;
    if (i > 0) {
      if (chunk.charCodeAt(at) !== RECORD_CODE) return false;
      at += 1;
    }
    at = field(chunk, at, id, FIELD_CODE);
    if (at < 0) return false;
    at = field(chunk, at, status, FIELD_CODE);
    if (at < 0) return false;
    at = field(chunk, at, updatedAt, FIELD_CODE);
    if (at < 0) return false;
    at = field(chunk, at, domainId, -1);
    if (at < 0) return false;
  }
  return at === chunk.length;
}

/** `value` at `at`, then `next` (or the record's end): the position after it, or -1. */
function field(chunk: string, at: number, value: string, next: number): number {
  if (!chunk.startsWith(value, at)) return -1;
  const end = at + value.length;
  if (next >= 0) return chunk.charCodeAt(end) === next ? end + 1 : -1;
  return end === chunk.length || chunk.charCodeAt(end) === RECORD_CODE ? end : -1;
}

/** Records in a chunk list. */
export function countRecords(chunks: RecordChunks): number {
  let count = 0;
  for (const chunk of chunks) {
    if (chunk === '') continue;
    count += 1;
    for (let at = chunk.indexOf(RECORD_SEPARATOR); at !== -1; at = chunk.indexOf(RECORD_SEPARATOR, at + 1)) count += 1;
  }
  return count;
}

/** Every record, decoded, in order. Each is a fresh object: for changed services and the CLI. */
export function* decodeRecords(chunks: RecordChunks): Generator<ConnectionRecord> {
  for (const chunk of chunks) {
    if (chunk === '') continue;
    for (const text of chunk.split(RECORD_SEPARATOR)) yield decodeRecord(text);
  }
}

/** Throws a RangeError naming the record when it is not four fields with an id. */
export function decodeRecord(text: string): ConnectionRecord {
  const fields = text.split(FIELD_SEPARATOR);
  if (fields.length !== 4 || fields[0] === '') throw new RangeError(`malformed connection record ${JSON.stringify(text.slice(0, 80))}`);
  return { id: fields[0]!, status: fields[1]!, updatedAt: fields[2]!, domainId: fields[3]! };
}

/**
 * A copy of `record` that shares no memory with the page it was decoded from. V8 keeps a string cut
 * from a longer one as a view of it, so a change kept past its page would keep the whole page
 * (110 KB) alive: a run with a change on each of a thousand pages would hold them all.
 */
export function detachedRecord(record: ConnectionRecord): ConnectionRecord {
  return JSON.parse(JSON.stringify(record)) as ConnectionRecord;
}

/** The id of each record, as a fresh string each: what the distinct-id check and the diff index need. */
export function* recordIds(chunks: RecordChunks): Generator<string> {
  for (const chunk of chunks) {
    if (chunk === '') continue;
    let start = 0;
    for (;;) {
      const comma = chunk.indexOf(FIELD_SEPARATOR, start);
      yield chunk.slice(start, comma);
      const next = chunk.indexOf(RECORD_SEPARATOR, comma);
      if (next === -1) break;
      start = next + 1;
    }
  }
}

/** Splits one long record string (schema 2 kept a service as one) into chunks of `size` records. */
export function chunkRecords(text: string, size: number): string[] {
  if (text === '') return [];
  const chunks: string[] = [];
  let start = 0;
  let count = 0;
  for (let at = text.indexOf(RECORD_SEPARATOR); at !== -1; at = text.indexOf(RECORD_SEPARATOR, at + 1)) {
    count += 1;
    if (count === size) {
      chunks.push(text.slice(start, at));
      start = at + 1;
      count = 0;
    }
  }
  chunks.push(text.slice(start));
  return chunks;
}

function clean(value: string): string {
  return value.replace(SEPARATORS, '');
}

/** Records as chunks of one page each, the way a scan stores them. */
export function chunksOf(records: readonly ConnectionRecord[], size = CONNECTIONS_PAGE_SIZE): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < records.length; i += size) chunks.push(encodeChunk(records.slice(i, i + size)));
  return chunks;
}
