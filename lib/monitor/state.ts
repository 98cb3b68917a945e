/**
 * The state kept in OBS between runs: the last consistent snapshot of every service, the outbox
 * of alerts not yet accepted by SMN, and the book of requests waiting for acceptance.
 *
 * Compact on purpose, because a project with 100,000 connections must load and save it inside
 * FunctionGraph's smallest memory size. Schema 3 is JSON Lines, so it is read as it arrives and
 * never held whole (10 MB of text, its bytes and a parse of it would be 30 MB at once):
 *
 *   {"schemaVersion":3,"generation":…,"savedAt":…,"runId":…,"owner":{…},"services":N,"outbox":[…],"pending":{…}}
 *   {"service":"<id>","name":…,"scannedAt":…,"chunks":K}      then K lines, each one JSON string:
 *   "<id,status,updated_at,domain_id;…>"                      a page of records (`records.ts`)
 *
 * Each service is announced with its number of chunks and the header with the number of services,
 * so a state cut short is refused, not read as fewer connections. The owner (`state-owner.ts`) says
 * which monitor wrote it; a state written before owners were has none. Schemas 1 and 2 were one JSON
 * document on one line; they are read through `state-legacy.ts`.
 */
import type { AlertEvent } from './alerts.js';
import type { AttributionBook } from './attribution.js';
import type { DoorBook } from './door.js';
import { StateFormatError } from './errors.js';
import type { RecordChunks } from './records.js';
import type { PendingBook } from './reminders.js';
import { checkChunk, isObject, readAttributionBook, readDoors, readOutbox, readPending, serializeAttributionBook, serializeDoors } from './state-checks.js';
import { legacyServices } from './state-legacy.js';
import { readOwner, serializeOwner, type StateOwner } from './state-owner.js';

const STATE_SCHEMA_VERSION = 3;

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
  /** The monitor that wrote it; absent in a state written before owners were recorded. */
  owner?: StateOwner;
  services: Map<string, ServiceSnapshot>;
  /** Alerts detected but not yet accepted by SMN, oldest first. */
  outbox: AlertEvent[];
  /** Connections waiting in pendingAcceptance: since when, and when someone was last told. */
  pending: PendingBook;
  /** Each service's door (`door.ts`): header key `doors`, absent when empty. */
  doors?: DoorBook;
  /** Transitions to attribute once more, and our policy's own actions (`attribution.ts`): header key `attribution`. */
  attribution?: AttributionBook;
}

export function emptyState(): MonitorState {
  return { schemaVersion: STATE_SCHEMA_VERSION, generation: 0, savedAt: '', runId: '', services: new Map(), outbox: [], pending: new Map() };
}

// Record text never needs escaping in JSON unless a value held a quote, a backslash or a control
// character; such a chunk is escaped, every other is written as it is held, without a copy.
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/**
 * The state as JSON Lines, in parts whose concatenation is the object. The record chunks are parts
 * of their own, the very strings the snapshot holds: saving 100,000 connections builds no second
 * copy of them.
 */
export function serializeState(state: MonitorState): string[] {
  const pending = Object.fromEntries(
    [...state.pending].map(([serviceId, records]) => [serviceId, Object.fromEntries([...records].map(([id, r]) => [id, [r.since, r.notifiedAt]]))]),
  );
  const parts = [
    `{"schemaVersion":${STATE_SCHEMA_VERSION},"generation":${state.generation},"savedAt":${JSON.stringify(state.savedAt)},"runId":${JSON.stringify(state.runId)},` +
      (state.owner === undefined ? '' : `"owner":${serializeOwner(state.owner)},`) +
      `"services":${state.services.size},"outbox":${JSON.stringify(state.outbox)},"pending":${JSON.stringify(pending)}` +
      serializeDoors(state.doors) + serializeAttributionBook(state.attribution) + '}\n',
  ];
  for (const [id, snapshot] of state.services) {
    parts.push(`{"service":${JSON.stringify(id)},"name":${JSON.stringify(snapshot.name)},"scannedAt":${JSON.stringify(snapshot.scannedAt)},"chunks":${snapshot.chunks.length}}\n`);
    for (const chunk of snapshot.chunks) {
      if (NEEDS_ESCAPE.test(chunk)) parts.push(`${JSON.stringify(chunk)}\n`);
      else parts.push('"', chunk, '"\n');
    }
  }
  return parts;
}

/** A whole stored state (the CLI reads it so); the run streams it through `StateReader`. */
export function parseState(text: string): MonitorState {
  const reader = new StateReader();
  const lines = text.split('\n');
  // One newline ends every line, the last one included.
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) reader.line(line);
  return reader.finish();
}

/**
 * Reads the state a line at a time, checking every field it relies on. Anything else (truncated
 * text, an unknown schema version, a wrong shape) is a StateFormatError.
 */
export class StateReader {
  /** `onHeader` sees the header (owner, outbox, no services yet) before anything else is read; it may refuse it by throwing. */
  constructor(private readonly onHeader?: (header: MonitorState) => void) {}

  private state: MonitorState | undefined;
  private expectedServices = 0;
  private current: { id: string; name: string; scannedAt: string; left: number; chunks: string[] } | undefined;
  private legacy = false;

  line(text: string): void {
    if (this.state === undefined) {
      this.header(parse(text, 'its first line'));
      return;
    }
    if (this.legacy) throw new StateFormatError('state has lines after a schema 1 or 2 document');
    if (this.current !== undefined && this.current.left > 0) {
      const chunk = parse(text, `a record chunk of service ${JSON.stringify(this.current.id.slice(0, 64))}`);
      if (typeof chunk !== 'string') throw new StateFormatError('state has a record chunk that is not a string');
      checkChunk(chunk);
      this.current.chunks.push(chunk);
      this.current.left -= 1;
      if (this.current.left === 0) this.close();
      return;
    }
    this.open(parse(text, 'a service line'));
  }

  finish(): MonitorState {
    if (this.state === undefined) throw new StateFormatError('state is empty');
    if (this.current !== undefined) throw new StateFormatError(`state ends inside service ${JSON.stringify(this.current.id.slice(0, 64))}`);
    if (!this.legacy && this.state.services.size !== this.expectedServices) {
      throw new StateFormatError(`state ends after ${this.state.services.size} of its ${this.expectedServices} services`);
    }
    return this.state;
  }

  private header(raw: unknown): void {
    if (!isObject(raw)) throw new StateFormatError('state is not a JSON object');
    const version = raw.schemaVersion;
    if (version !== 1 && version !== 2 && version !== STATE_SCHEMA_VERSION) {
      throw new StateFormatError(`state has schema version ${JSON.stringify(version)}; this monitor reads versions 1 to ${STATE_SCHEMA_VERSION}`);
    }
    if (typeof raw.generation !== 'number' || !Number.isSafeInteger(raw.generation) || raw.generation < 0) {
      throw new StateFormatError('state has no valid generation');
    }
    if (typeof raw.savedAt !== 'string' || typeof raw.runId !== 'string') throw new StateFormatError('state is missing savedAt or runId');
    const owner = readOwner(raw.owner);
    const state: MonitorState = { ...emptyState(), generation: raw.generation, savedAt: raw.savedAt, runId: raw.runId, ...(owner ? { owner } : {}), outbox: readOutbox(raw.outbox), pending: readPending(raw.pending), ...readDoors(raw.doors), ...readAttributionBook(raw.attribution) };
    this.onHeader?.(state);
    if (version !== STATE_SCHEMA_VERSION) {
      this.legacy = true;
      for (const { id, ...snapshot } of legacyServices(version, raw.services)) state.services.set(id, snapshot);
    } else if (typeof raw.services !== 'number' || !Number.isSafeInteger(raw.services) || raw.services < 0) {
      throw new StateFormatError('state does not say how many services it holds');
    } else {
      this.expectedServices = raw.services;
    }
    this.state = state;
  }

  private open(raw: unknown): void {
    if (!isObject(raw) || typeof raw.service !== 'string' || typeof raw.name !== 'string' || typeof raw.scannedAt !== 'string') {
      throw new StateFormatError('state has a malformed service line');
    }
    if (typeof raw.chunks !== 'number' || !Number.isSafeInteger(raw.chunks) || raw.chunks < 0) {
      throw new StateFormatError(`state does not say how many chunks service ${JSON.stringify(raw.service.slice(0, 64))} has`);
    }
    if (this.state!.services.has(raw.service)) throw new StateFormatError(`state holds service ${JSON.stringify(raw.service.slice(0, 64))} twice`);
    this.current = { id: raw.service, name: raw.name, scannedAt: raw.scannedAt, left: raw.chunks, chunks: [] };
    if (raw.chunks === 0) this.close();
  }

  private close(): void {
    const { id, name, scannedAt, chunks } = this.current!;
    this.state!.services.set(id, { name, scannedAt, chunks });
    this.current = undefined;
  }
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StateFormatError(`state is not valid JSON in ${what} (${(error as Error).message})`);
  }
}
