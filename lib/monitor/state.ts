/**
 * The state kept in OBS between runs: the last consistent snapshot of every service, the outbox
 * of alerts not yet accepted by SMN, and the book of requests waiting for acceptance.
 *
 * Compact on purpose, because a project with 100,000 connections must load and save it inside
 * FunctionGraph's smallest memory size. Schema 2 stores each service's connections as one string,
 * `id,status,updated_at,domain_id` records joined by `;`: JSON.parse then yields one string per
 * service instead of a tree of 100,000 arrays, and the fields split out of it share its memory.
 */
import type { AlertEvent } from './alerts.js';
import type { ConnectionRecord } from './diff.js';
import { StateFormatError } from './errors.js';
import type { PendingBook, PendingRecord } from './reminders.js';

export const STATE_SCHEMA_VERSION = 2;

export interface ServiceSnapshot {
  name: string;
  /** When the list this snapshot holds was read. */
  scannedAt: string;
  connections: Map<string, ConnectionRecord>;
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

const RECORD_SEPARATOR = ';';
const FIELD_SEPARATOR = ',';
// Ids, statuses, timestamps and domain ids never hold these; a value that did would corrupt the
// record, so they are dropped when writing.
const SEPARATORS = /[;,]/g;

export function emptyState(): MonitorState {
  return { schemaVersion: STATE_SCHEMA_VERSION, generation: 0, savedAt: '', runId: '', services: new Map(), outbox: [], pending: new Map() };
}

/** Writes the state as JSON, piece by piece, without first building a second copy as objects. */
export function serializeState(state: MonitorState): string {
  const services: string[] = [];
  for (const [id, snapshot] of state.services) {
    const records: string[] = [];
    for (const [connectionId, { status, updatedAt, domainId }] of snapshot.connections) {
      records.push([connectionId, status, updatedAt, domainId].map((field) => field.replace(SEPARATORS, '')).join(FIELD_SEPARATOR));
    }
    services.push(
      `${JSON.stringify(id)}:{"name":${JSON.stringify(snapshot.name)},"scannedAt":${JSON.stringify(snapshot.scannedAt)},"connections":${JSON.stringify(records.join(RECORD_SEPARATOR))}}`,
    );
  }
  const pending = Object.fromEntries(
    [...state.pending].map(([serviceId, records]) => [serviceId, Object.fromEntries([...records].map(([id, r]) => [id, [r.since, r.notifiedAt]]))]),
  );
  return `{"schemaVersion":${STATE_SCHEMA_VERSION},"generation":${state.generation},"savedAt":${JSON.stringify(state.savedAt)},"runId":${JSON.stringify(state.runId)},"services":{${services.join(',')}},"outbox":${JSON.stringify(state.outbox)},"pending":${JSON.stringify(pending)}}`;
}

/**
 * Reads a stored state, checking every field it relies on. Anything else (truncated JSON, an
 * unknown schema version, a wrong shape) is a StateFormatError: the caller quarantines the object
 * rather than guess. Older schemas are read through `migrate`.
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
  const intern = new Map<string, string>();
  for (const [id, snapshot] of Object.entries(stored.services)) {
    if (!isObject(snapshot) || typeof snapshot.name !== 'string' || typeof snapshot.scannedAt !== 'string') {
      throw new StateFormatError(`state has a malformed snapshot for service ${JSON.stringify(id.slice(0, 64))}`);
    }
    const connections = stored.schemaVersion === 1 ? migrateV1Connections(snapshot.connections) : readConnections(snapshot.connections, intern);
    services.set(id, { name: snapshot.name, scannedAt: snapshot.scannedAt, connections });
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
  schemaVersion: 1 | 2;
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
  if (version !== 1 && version !== STATE_SCHEMA_VERSION) {
    throw new StateFormatError(`state has schema version ${JSON.stringify(version)}; this monitor reads versions 1 and ${STATE_SCHEMA_VERSION}`);
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

function readConnections(value: unknown, intern: Map<string, string>): Map<string, ConnectionRecord> {
  if (typeof value !== 'string') throw new StateFormatError('state has a service whose connections are not a string');
  const connections = new Map<string, ConnectionRecord>();
  if (value === '') return connections;
  for (const record of value.split(RECORD_SEPARATOR)) {
    const fields = record.split(FIELD_SEPARATOR);
    if (fields.length !== 4 || fields[0] === '') {
      throw new StateFormatError(`state has a malformed connection record ${JSON.stringify(record.slice(0, 80))}`);
    }
    // A handful of statuses repeat across every record: keep one copy of each.
    const status = intern.get(fields[1]!) ?? (intern.set(fields[1]!, fields[1]!), fields[1]!);
    connections.set(fields[0]!, { status, updatedAt: fields[2]!, domainId: fields[3]! });
  }
  return connections;
}

/** Schema 1 kept each connection as `id: [status, updated_at, domain_id]`. */
function migrateV1Connections(value: unknown): Map<string, ConnectionRecord> {
  if (!isObject(value)) throw new StateFormatError('state has a service whose connections are not an object');
  const connections = new Map<string, ConnectionRecord>();
  for (const [connectionId, record] of Object.entries(value)) {
    if (!Array.isArray(record) || record.length !== 3 || !record.every((part) => typeof part === 'string')) {
      throw new StateFormatError(`state has a malformed connection ${JSON.stringify(connectionId.slice(0, 64))}`);
    }
    const [status, updatedAt, domainId] = record as [string, string, string];
    connections.set(connectionId, { status, updatedAt, domainId });
  }
  return connections;
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
