/**
 * A service's connections as the snapshot keeps them: compact text, not objects. Each connection is
 * one record, `id,status,updated_at,domain_id`, records are joined by `;` into chunks of at most
 * one VPCEP page (1000), and chunks follow VPCEP's listing order. A chunk is one snapshot page in
 * OBS (`pages.ts`), ~110 KB for 1,000 connections; records are only decoded into objects where a
 * page changed.
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
// Ids, statuses, timestamps and domain ids never hold these; a value that did would corrupt the
// record, so they are dropped when writing. The page's digest and the diff both see the written
// forms, so such a value is stable from run to run, never read as another connection.
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
