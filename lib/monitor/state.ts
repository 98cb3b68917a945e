/**
 * The state kept in OBS between runs: the outbox of alerts not yet accepted by SMN, the book of
 * requests waiting for acceptance, and the table of contents of every service's snapshot.
 *
 * Schema 4 keeps a service's connections out of the state object: each VPCEP page of a snapshot is
 * an object of its own, named by the digest of its records (`pages.ts`), and the state lists the
 * digests. The state object stays small (about 130 bytes per thousand connections), a pass that
 * changed nothing reads no page, and a change rewrites only the pages it touched. It is JSON Lines:
 *
 *   {"schemaVersion":4,"generation":…,"savedAt":…,"runId":…,"owner":{…},"services":N,"outbox":[…],"pending":{…}}
 *   {"service":"<id>","name":…,"scannedAt":…,"total":T,"pages":["<generation>-<digest>",…],"answersFor":…,"answers":[…]}
 *                                                                                 one line per service
 *
 * The header says how many services follow, so a state cut short is refused, not read as fewer
 * services. The state object is the commit point: pages are written before it, under names no other
 * content can have, so a run that dies half-way leaves pages nobody names and the previous state
 * whole. Schemas 1 to 3 held the records themselves; they are read (`state-legacy.ts`) and their
 * pages written out on the next save, once.
 */
import type { AlertEvent } from './alerts.js';
import type { AttributionBook } from './attribution.js';
import type { DoorBook } from './door.js';
import { StateFormatError } from './errors.js';
import { pageKey } from './keys.js';
import { isPageName, pageDigest, pageName } from './pages.js';
import { countRecords, type RecordChunks } from './records.js';
import type { PendingBook } from './reminders.js';
import { checkChunk, isObject, type PageAnswer, readAnswers, readAttributionBook, readDoors, readOutbox, readPending, serializeAttributionBook, serializeDoors } from './state-checks.js';
import { legacyServices } from './state-legacy.js';
import { readOwner, serializeOwner, type StateOwner } from './state-owner.js';

const STATE_SCHEMA_VERSION = 4;

export interface ServiceSnapshot {
  name: string;
  /** When the list this snapshot holds was read. */
  scannedAt: string;
  /** How many connections the service had. */
  total: number;
  /** The name (`{generation}-{digest}`) of each page of the list, in listing order (`keys.ts` pageKey). */
  pages: readonly string[];
  /**
   * Per page, what VPCEP's answer was when it was read (`null` where it is not kept): a page
   * answered byte for byte the same again is not parsed, its counts and connections are these.
   */
  answers?: readonly (PageAnswer | null)[];
  /** Which connections the answers keep whole (`scan-all.ts` keepSignature): answers kept for another choice are not used. */
  answersFor?: string;
}

export type { PageAnswer } from './state-checks.js';

/** A page known to the state but not yet in OBS (a state migrated from schema 3): written before the next save. */
export interface HeldPage {
  serviceId: string;
  index: number;
  name: string;
  chunk: string;
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
  /** Pages the snapshots name that are not yet stored; the save writes them before the state. */
  held: HeldPage[];
  /** The schema the stored state had when it was older than this one (it is migrated on the next save). */
  migratedFrom?: number;
}

export function emptyState(): MonitorState {
  return { schemaVersion: STATE_SCHEMA_VERSION, generation: 0, savedAt: '', runId: '', services: new Map(), outbox: [], pending: new Map(), held: [] };
}

/** A snapshot of `chunks` (one per page) written as `generation`, with its pages held until they are saved. */
export function snapshotOf(serviceId: string, name: string, scannedAt: string, chunks: RecordChunks, generation: number): { snapshot: ServiceSnapshot; held: HeldPage[] } {
  const held = chunks.map((chunk, index) => ({ serviceId, index, name: pageName(generation, pageDigest(chunk)), chunk }));
  return { snapshot: { name, scannedAt, total: countRecords(chunks), pages: held.map((page) => page.name) }, held };
}

/** The state as JSON Lines, in parts whose concatenation is the object. */
export function serializeState(state: MonitorState): string[] {
  const pending = Object.fromEntries(
    [...state.pending].map(([serviceId, records]) => [serviceId, Object.fromEntries([...records].map(([id, r]) => [id, [r.since, r.notifiedAt]]))]),
  );
  // The header is one line, but not one string: the outbox goes an event per part, so a storm's
  // outbox (20,000 alerts are ~9 MB) is streamed out in small pieces instead of being joined into
  // one string and encoded whole on top of the events it was made from.
  const parts = [
    `{"schemaVersion":${STATE_SCHEMA_VERSION},"generation":${state.generation},"savedAt":${JSON.stringify(state.savedAt)},"runId":${JSON.stringify(state.runId)},` +
      (state.owner === undefined ? '' : `"owner":${serializeOwner(state.owner)},`) +
      `"services":${state.services.size},"outbox":[`,
  ];
  for (const [index, event] of state.outbox.entries()) parts.push(`${index === 0 ? '' : ','}${JSON.stringify(event)}`);
  parts.push(`],"pending":${JSON.stringify(pending)}` + serializeDoors(state.doors) + serializeAttributionBook(state.attribution) + '}\n');
  for (const [id, snapshot] of state.services) {
    const answers = snapshot.answers === undefined || snapshot.answersFor === undefined ? '' : `,"answersFor":${JSON.stringify(snapshot.answersFor)},"answers":${JSON.stringify(snapshot.answers)}`;
    parts.push(
      `{"service":${JSON.stringify(id)},"name":${JSON.stringify(snapshot.name)},"scannedAt":${JSON.stringify(snapshot.scannedAt)},"total":${snapshot.total},"pages":${JSON.stringify(snapshot.pages)}${answers}}\n`,
    );
  }
  return parts;
}

/** A whole stored state object. */
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
  /** Schema 3: the service whose record chunks are being read, and how many are still to come. */
  private current: { id: string; name: string; scannedAt: string; left: number; chunks: string[] } | undefined;
  private version = STATE_SCHEMA_VERSION;

  line(text: string): void {
    if (this.state === undefined) {
      this.header(parse(text, 'its first line'));
      return;
    }
    if (this.version < 3) throw new StateFormatError('state has lines after a schema 1 or 2 document');
    if (this.version === 3) {
      this.schema3Line(text);
      return;
    }
    this.service(parse(text, 'a service line'));
  }

  finish(): MonitorState {
    if (this.state === undefined) throw new StateFormatError('state is empty');
    if (this.current !== undefined) throw new StateFormatError(`state ends inside service ${JSON.stringify(this.current.id.slice(0, 64))}`);
    if (this.version >= 3 && this.state.services.size !== this.expectedServices) {
      throw new StateFormatError(`state ends after ${this.state.services.size} of its ${this.expectedServices} services`);
    }
    return this.state;
  }

  private header(raw: unknown): void {
    if (!isObject(raw)) throw new StateFormatError('state is not a JSON object');
    const version = raw.schemaVersion;
    if (version !== 1 && version !== 2 && version !== 3 && version !== STATE_SCHEMA_VERSION) {
      throw new StateFormatError(`state has schema version ${JSON.stringify(version)}; this monitor reads versions 1 to ${STATE_SCHEMA_VERSION}`);
    }
    if (typeof raw.generation !== 'number' || !Number.isSafeInteger(raw.generation) || raw.generation < 0) {
      throw new StateFormatError('state has no valid generation');
    }
    if (typeof raw.savedAt !== 'string' || typeof raw.runId !== 'string') throw new StateFormatError('state is missing savedAt or runId');
    const owner = readOwner(raw.owner);
    const state: MonitorState = { ...emptyState(), generation: raw.generation, savedAt: raw.savedAt, runId: raw.runId, ...(owner ? { owner } : {}), outbox: readOutbox(raw.outbox), pending: readPending(raw.pending), ...readDoors(raw.doors), ...readAttributionBook(raw.attribution) };
    this.onHeader?.(state);
    this.version = version;
    this.state = state;
    if (version !== STATE_SCHEMA_VERSION) state.migratedFrom = version;
    if (version < 3) {
      for (const { id, name, scannedAt, chunks } of legacyServices(version as 1 | 2, raw.services)) this.add(id, name, scannedAt, chunks);
    } else if (typeof raw.services !== 'number' || !Number.isSafeInteger(raw.services) || raw.services < 0) {
      throw new StateFormatError('state does not say how many services it holds');
    } else {
      this.expectedServices = raw.services;
    }
  }

  private service(raw: unknown): void {
    if (!isObject(raw) || typeof raw.service !== 'string' || typeof raw.name !== 'string' || typeof raw.scannedAt !== 'string') {
      throw new StateFormatError('state has a malformed service line');
    }
    const id = JSON.stringify(raw.service.slice(0, 64));
    if (typeof raw.total !== 'number' || !Number.isSafeInteger(raw.total) || raw.total < 0) throw new StateFormatError(`state does not say how many connections service ${id} has`);
    if (!Array.isArray(raw.pages) || !raw.pages.every(isPageName)) throw new StateFormatError(`state has malformed pages for service ${id}`);
    if ((raw.total === 0) !== (raw.pages.length === 0)) throw new StateFormatError(`state gives service ${id} ${raw.total} connections in ${raw.pages.length} pages`);
    if (this.state!.services.has(raw.service)) throw new StateFormatError(`state holds service ${id} twice`);
    const answers = raw.answers === undefined ? undefined : readAnswers(raw.answers, raw.pages.length, id);
    if (answers !== undefined && typeof raw.answersFor !== 'string') throw new StateFormatError(`state has answers for service ${id} without saying what they keep`);
    this.state!.services.set(raw.service, { name: raw.name, scannedAt: raw.scannedAt, total: raw.total, pages: raw.pages, ...(answers ? { answers, answersFor: raw.answersFor as string } : {}) });
  }

  /** Schema 3: a service line announcing its chunks, then the chunks, one JSON string per line. */
  private schema3Line(text: string): void {
    if (this.current !== undefined && this.current.left > 0) {
      const chunk = parse(text, `a record chunk of service ${JSON.stringify(this.current.id.slice(0, 64))}`);
      if (typeof chunk !== 'string') throw new StateFormatError('state has a record chunk that is not a string');
      checkChunk(chunk);
      this.current.chunks.push(chunk);
      this.current.left -= 1;
      if (this.current.left === 0) this.close();
      return;
    }
    const raw = parse(text, 'a service line');
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
    this.current = undefined;
    this.add(id, name, scannedAt, chunks);
  }

  /** A service of an older schema, whose records were in the state: its pages are held until saved. */
  private add(id: string, name: string, scannedAt: string, chunks: readonly string[]): void {
    putSnapshot(this.state!, id, name, scannedAt, chunks);
  }
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StateFormatError(`state is not valid JSON in ${what} (${(error as Error).message})`);
  }
}

/** Adds a service's snapshot of `chunks` to `state`, its pages held until the state is saved. */
export function putSnapshot(state: MonitorState, serviceId: string, name: string, scannedAt: string, chunks: RecordChunks): void {
  const { snapshot, held } = snapshotOf(serviceId, name, scannedAt, chunks.filter((chunk) => chunk !== ''), state.generation + 1);
  state.services.set(serviceId, snapshot);
  state.held = [...state.held.filter((page) => page.serviceId !== serviceId), ...held];
}

/** The records of the pages `state` holds, per service, in page order. */
export function heldSnapshots(state: MonitorState): Map<string, string[]> {
  const snapshots = new Map<string, string[]>();
  for (const page of [...state.held].sort((a, b) => a.index - b.index)) {
    const chunks = snapshots.get(page.serviceId) ?? [];
    chunks.push(page.chunk);
    snapshots.set(page.serviceId, chunks);
  }
  return snapshots;
}

/** The objects `state` names but has not stored: its held pages, by key (fixtures write them beside the state). */
export function heldPageObjects(state: MonitorState, prefix: string): [key: string, body: string][] {
  return state.held.map((page) => [pageKey(prefix, page.serviceId, page.index, page.name), page.chunk]);
}
