/**
 * The state kept in OBS between runs: the last consistent snapshot of every service and the outbox
 * of alerts not yet accepted by SMN. Compact on purpose (a connection is three strings), because a
 * project with 100,000 connections must load it inside FunctionGraph's smallest memory size.
 */
import type { AlertEvent } from './alerts.js';
import type { ConnectionRecord } from './diff.js';
import { StateFormatError } from './errors.js';
import type { PendingBook, PendingRecord } from './reminders.js';

export const STATE_SCHEMA_VERSION = 1;

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

// On disk a connection is [status, updated_at, domain_id]: a third of the size of named fields.
type StoredConnection = [string, string, string];
interface StoredState {
  schemaVersion: number;
  generation: number;
  savedAt: string;
  runId: string;
  services: Record<string, { name: string; scannedAt: string; connections: Record<string, StoredConnection> }>;
  outbox: AlertEvent[];
  /** serviceId → connectionId → [since, notifiedAt]. */
  pending?: Record<string, Record<string, [string, string]>>;
}

export function emptyState(): MonitorState {
  return { schemaVersion: STATE_SCHEMA_VERSION, generation: 0, savedAt: '', runId: '', services: new Map(), outbox: [], pending: new Map() };
}

export function serializeState(state: MonitorState): string {
  const services: StoredState['services'] = {};
  for (const [id, snapshot] of state.services) {
    const connections: Record<string, StoredConnection> = {};
    for (const [connectionId, record] of snapshot.connections) {
      connections[connectionId] = [record.status, record.updatedAt, record.domainId];
    }
    services[id] = { name: snapshot.name, scannedAt: snapshot.scannedAt, connections };
  }
  const stored: StoredState = {
    schemaVersion: state.schemaVersion,
    generation: state.generation,
    savedAt: state.savedAt,
    runId: state.runId,
    services,
    outbox: state.outbox,
    pending: Object.fromEntries(
      [...state.pending].map(([serviceId, records]) => [serviceId, Object.fromEntries([...records].map(([id, r]) => [id, [r.since, r.notifiedAt]]))]),
    ),
  };
  return JSON.stringify(stored);
}

/**
 * Reads a stored state, checking every field it relies on. Anything else (truncated JSON, an
 * unknown schema version, a wrong shape) is a StateFormatError: the caller quarantines the object
 * rather than guess.
 */
export function parseState(text: string): MonitorState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StateFormatError(`state is not valid JSON (${(error as Error).message})`);
  }
  const stored = migrate(raw);
  const services = new Map<string, ServiceSnapshot>();
  for (const [id, snapshot] of Object.entries(stored.services)) {
    if (!isObject(snapshot) || typeof snapshot.name !== 'string' || typeof snapshot.scannedAt !== 'string' || !isObject(snapshot.connections)) {
      throw new StateFormatError(`state has a malformed snapshot for service ${JSON.stringify(id.slice(0, 64))}`);
    }
    const connections = new Map<string, ConnectionRecord>();
    for (const [connectionId, value] of Object.entries(snapshot.connections)) {
      if (!Array.isArray(value) || value.length !== 3 || !value.every((part) => typeof part === 'string')) {
        throw new StateFormatError(`state has a malformed connection ${JSON.stringify(connectionId.slice(0, 64))}`);
      }
      connections.set(connectionId, { status: value[0], updatedAt: value[1], domainId: value[2] });
    }
    services.set(id, { name: snapshot.name, scannedAt: snapshot.scannedAt, connections });
  }
  if (!stored.outbox.every(isAlertEvent)) throw new StateFormatError('state has a malformed outbox entry');
  const pending: PendingBook = new Map();
  for (const [serviceId, records] of Object.entries(stored.pending ?? {})) {
    if (!isObject(records)) throw new StateFormatError('state has a malformed pending entry');
    const book = new Map<string, PendingRecord>();
    for (const [connectionId, value] of Object.entries(records)) {
      if (!Array.isArray(value) || value.length !== 2 || !value.every((part) => typeof part === 'string')) {
        throw new StateFormatError(`state has a malformed pending connection ${JSON.stringify(connectionId.slice(0, 64))}`);
      }
      book.set(connectionId, { since: value[0], notifiedAt: value[1] });
    }
    pending.set(serviceId, book);
  }
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    generation: stored.generation,
    savedAt: stored.savedAt,
    runId: stored.runId,
    services,
    outbox: stored.outbox,
    pending,
  };
}

/**
 * Brings an older stored state up to the current schema. Version 1 is the first; a future version 2
 * adds a step here (`if (version === 1) raw = v1ToV2(raw)`) so old buckets keep working.
 */
function migrate(raw: unknown): StoredState {
  if (!isObject(raw)) throw new StateFormatError('state is not a JSON object');
  const version = raw.schemaVersion;
  if (version !== STATE_SCHEMA_VERSION) {
    throw new StateFormatError(`state has schema version ${JSON.stringify(version)}; this monitor reads version ${STATE_SCHEMA_VERSION}`);
  }
  if (typeof raw.generation !== 'number' || !Number.isSafeInteger(raw.generation) || raw.generation < 0) {
    throw new StateFormatError('state has no valid generation');
  }
  if (typeof raw.savedAt !== 'string' || typeof raw.runId !== 'string' || !isObject(raw.services) || !Array.isArray(raw.outbox)) {
    throw new StateFormatError('state is missing savedAt, runId, services or outbox');
  }
  if (raw.pending !== undefined && !isObject(raw.pending)) throw new StateFormatError('state has a malformed pending book');
  return raw as unknown as StoredState;
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
