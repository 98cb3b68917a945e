/**
 * The state kept in OBS between runs: the last consistent snapshot of every service, the outbox
 * of alerts not yet accepted by SMN, and the book of requests waiting for acceptance.
 *
 * Compact on purpose, because a project with 100,000 connections must load and save it inside
 * FunctionGraph's smallest memory size. Schema 3 stores each service's connections as the record
 * chunks the monitor holds in memory (`records.ts`): JSON.parse yields ~100 strings for 100,000
 * connections, not a tree of objects, and writing hands those same strings to OBS without joining
 * them into one. Schemas 1 and 2 are read through their migrations.
 */
import type { AlertEvent } from './alerts.js';
import { StateFormatError } from './errors.js';
import { CONNECTIONS_PAGE_SIZE } from './ports.js';
import { chunkRecords, encodeRecord, type RecordChunks } from './records.js';
import type { PendingBook, PendingRecord } from './reminders.js';

export const STATE_SCHEMA_VERSION = 3;

export interface ServiceSnapshot {
  name: string;
  /** When the list this snapshot holds was read. */
  scannedAt: string;
  /** The connections in listing order, one chunk per VPCEP page. */
  chunks: RecordChunks;
}

export interface MonitorState {
  schemaVersion: typeof STATE_SCHEMA_VERSION;
  /** Grows by one with every save: a reader can tell a newer state from an older one. */
  generation: number;
  savedAt: string;
  runId: string;
  services: Map<string, ServiceSnapshot>;
  /** Alerts detected but not yet accepted by SMN, oldest first. */
  outbox: AlertEvent[];
  /** Connections waiting in pendingAcceptance: since when, and when someone was last told. */
  pending: PendingBook;
}

export function emptyState(): MonitorState {
  return { schemaVersion: STATE_SCHEMA_VERSION, generation: 0, savedAt: '', runId: '', services: new Map(), outbox: [], pending: new Map() };
}

// Record text never needs escaping in JSON unless a value held a quote, a backslash or a control
// character; such a chunk is escaped, every other is written as it is held, without a copy.
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/**
 * The state as JSON, in parts whose concatenation is the document. The record chunks are parts of
 * their own, the very strings the snapshot holds: saving 100,000 connections builds no second
 * copy of them.
 */
export function serializeState(state: MonitorState): string[] {
  const parts: string[] = [`{"schemaVersion":${STATE_SCHEMA_VERSION},"generation":${state.generation},"savedAt":${JSON.stringify(state.savedAt)},"runId":${JSON.stringify(state.runId)},"services":{`];
  let firstService = true;
  for (const [id, snapshot] of state.services) {
    parts.push(`${firstService ? '' : ','}${JSON.stringify(id)}:{"name":${JSON.stringify(snapshot.name)},"scannedAt":${JSON.stringify(snapshot.scannedAt)},"connections":[`);
    firstService = false;
    snapshot.chunks.forEach((chunk, index) => {
      const comma = index === 0 ? '' : ',';
      if (NEEDS_ESCAPE.test(chunk)) parts.push(`${comma}${JSON.stringify(chunk)}`);
      else parts.push(`${comma}"`, chunk, '"');
    });
    parts.push(']}');
  }
  const pending = Object.fromEntries(
    [...state.pending].map(([serviceId, records]) => [serviceId, Object.fromEntries([...records].map(([id, r]) => [id, [r.since, r.notifiedAt]]))]),
  );
  parts.push(`},"outbox":${JSON.stringify(state.outbox)},"pending":${JSON.stringify(pending)}}`);
  return parts;
}

/**
 * Reads a stored state, checking every field it relies on. Anything else (truncated JSON, an
 * unknown schema version, a wrong shape) is a StateFormatError: the caller quarantines the object
 * rather than guess. Older schemas are read through their migrations.
 */
export function parseState(text: string): MonitorState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StateFormatError(`state is not valid JSON (${(error as Error).message})`);
  }
  const stored = checkEnvelope(raw);
  const services = new Map<string, ServiceSnapshot>();
  for (const [id, snapshot] of Object.entries(stored.services)) {
    if (!isObject(snapshot) || typeof snapshot.name !== 'string' || typeof snapshot.scannedAt !== 'string') {
      throw new StateFormatError(`state has a malformed snapshot for service ${JSON.stringify(id.slice(0, 64))}`);
    }
    const chunks = stored.schemaVersion === 1 ? migrateV1Connections(snapshot.connections)
      : stored.schemaVersion === 2 ? migrateV2Connections(snapshot.connections)
        : readChunks(snapshot.connections);
    services.set(id, { name: snapshot.name, scannedAt: snapshot.scannedAt, chunks });
  }
  if (!stored.outbox.every(isAlertEvent)) throw new StateFormatError('state has a malformed outbox entry');
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    generation: stored.generation,
    savedAt: stored.savedAt,
    runId: stored.runId,
    services,
    outbox: stored.outbox,
    pending: readPending(stored.pending),
  };
}

interface Envelope {
  schemaVersion: 1 | 2 | 3;
  generation: number;
  savedAt: string;
  runId: string;
  services: Record<string, unknown>;
  outbox: unknown[];
  pending?: unknown;
}

function checkEnvelope(raw: unknown): Envelope {
  if (!isObject(raw)) throw new StateFormatError('state is not a JSON object');
  const version = raw.schemaVersion;
  if (version !== 1 && version !== 2 && version !== STATE_SCHEMA_VERSION) {
    throw new StateFormatError(`state has schema version ${JSON.stringify(version)}; this monitor reads versions 1 to ${STATE_SCHEMA_VERSION}`);
  }
  if (typeof raw.generation !== 'number' || !Number.isSafeInteger(raw.generation) || raw.generation < 0) {
    throw new StateFormatError('state has no valid generation');
  }
  if (typeof raw.savedAt !== 'string' || typeof raw.runId !== 'string' || !isObject(raw.services) || !Array.isArray(raw.outbox)) {
    throw new StateFormatError('state is missing savedAt, runId, services or outbox');
  }
  if (raw.pending !== undefined && !isObject(raw.pending)) throw new StateFormatError('state has a malformed pending book');
  return raw as unknown as Envelope;
}

/**
 * Schema 3: an array of chunks. Each record is checked for its four fields as it would be decoded,
 * by counting separators in place, so a corrupt state is refused at load, not mid-run.
 */
function readChunks(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((chunk): chunk is string => typeof chunk === 'string')) {
    throw new StateFormatError('state has a service whose connections are not a list of record chunks');
  }
  for (const chunk of value) checkChunk(chunk);
  return value;
}

function checkChunk(chunk: string): void {
  for (let start = 0; start <= chunk.length; ) {
    const semicolon = chunk.indexOf(';', start);
    const end = semicolon === -1 ? chunk.length : semicolon;
    // Four fields: three commas inside the record, none at its start (an id is never empty).
    let commas = 0;
    for (let at = chunk.indexOf(',', start); at !== -1 && at < end; at = chunk.indexOf(',', at + 1)) commas += 1;
    if (commas !== 3 || chunk.charCodeAt(start) === 44 || start === end) {
      throw new StateFormatError(`state has a malformed connection record ${JSON.stringify(chunk.slice(start, Math.min(end, start + 80)))}`);
    }
    start = end + 1;
  }
}

/** Schema 2 kept each service's records as one string: the same records, cut into page chunks. */
function migrateV2Connections(value: unknown): string[] {
  if (typeof value !== 'string') throw new StateFormatError('state has a service whose connections are not a string');
  const chunks = chunkRecords(value, CONNECTIONS_PAGE_SIZE);
  for (const chunk of chunks) checkChunk(chunk);
  return chunks;
}

/** Schema 1 kept each connection as `id: [status, updated_at, domain_id]`. */
function migrateV1Connections(value: unknown): string[] {
  if (!isObject(value)) throw new StateFormatError('state has a service whose connections are not an object');
  const records: string[] = [];
  for (const [id, record] of Object.entries(value)) {
    if (!Array.isArray(record) || record.length !== 3 || !record.every((part) => typeof part === 'string')) {
      throw new StateFormatError(`state has a malformed connection ${JSON.stringify(id.slice(0, 64))}`);
    }
    const [status, updatedAt, domainId] = record as [string, string, string];
    records.push(encodeRecord({ id, status, updatedAt, domainId }));
  }
  const chunks: string[] = [];
  for (let i = 0; i < records.length; i += CONNECTIONS_PAGE_SIZE) chunks.push(records.slice(i, i + CONNECTIONS_PAGE_SIZE).join(';'));
  return chunks;
}

function readPending(value: unknown): PendingBook {
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAlertEvent(value: unknown): value is AlertEvent {
  if (!isObject(value)) return false;
  const strings = ['id', 'serviceId', 'serviceName', 'connectionId', 'domainId', 'to', 'at', 'detectedAt', 'description'];
  return strings.every((key) => typeof value[key] === 'string')
    && (value.from === null || typeof value.from === 'string')
    && Array.isArray(value.errors);
}

