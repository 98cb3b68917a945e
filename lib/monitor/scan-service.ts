/**
 * Reading every connection of one endpoint service, completely and consistently, or not at all.
 * Each page is turned into its compact form as it arrives and its objects are dropped. A page whose
 * digest is the one the snapshot lists costs a hash and nothing else; a page that differs is
 * written (as the new snapshot's page) and diffed against the stored page at its position, so a run
 * holds the pages in flight and the changes, never the snapshot.
 */
import { type Change, diffAlignedPage, StretchDiff } from './diff.js';
import type { ChangeRoom } from './change-room.js';
import { ScanError, ScanPostponedError } from './errors.js';
import type { Limiter } from './limiter.js';
import { digestOf, PageMissingError, pageDigest } from './pages.js';
import { type Budget, callFailure, CONNECTIONS_PAGE_SIZE, type Connection, type ConnectionPage, type SamePage, type VpcepApi } from './ports.js';
import { encodeChunk } from './records.js';
import { IdHashes } from './distinct-ids.js';
import type { PageAnswer, ServiceSnapshot } from './state.js';

/** The stored pages of this service: read where a page differs, written as the new snapshot's. */
export interface PageAccess {
  read(index: number, name: string): Promise<string>;
  /** Stores a page of the new snapshot and gives its name (a dry run stores nothing and only names it). */
  write(index: number, digest: string, chunk: string): Promise<string>;
  /** Whether `write` stores pages, so that `read` finds them again (not in a dry run). */
  stores: boolean;
}

export interface ScanOptions {
  limiter: Limiter;
  budget: Budget;
  /**
   * The service's snapshot. It may still be arriving (the state is read while the first pages are):
   * pages are compared with it when it is in.
   */
  previous?: ServiceSnapshot | Promise<ServiceSnapshot | undefined>;
  pages: PageAccess;
  /** Which connections to keep whole (alerting, reminders and the approval policy need them). */
  keep: (connection: Connection) => boolean;
  /** Names that choice: a snapshot's page answers kept under another are not used. */
  keepSignature?: string;
  /** Whole re-reads allowed when the list moved while paging. */
  rereads?: number;
  /** Aborted when the run has failed: no further page is asked for. */
  signal?: AbortSignal;
  /** The run's room for changes: a changed page past it keeps its stored page for the next run. */
  room?: ChangeRoom;
}

export interface ServiceScan {
  total: number;
  kept: Connection[];
  byStatus: Map<string, number>;
  /** The list's page names; the previous snapshot's own array when nothing in it changed. */
  pages: readonly string[];
  /**
   * What changed against the previous snapshot: the changes; `all-added` when there was none, the
   * service is new (every connection is new, and the pages written hold them); `unknown` when a stored page the diff
   * needed was missing or damaged, so the service was read afresh as a new baseline, never diffed.
   */
  changes: Change[] | 'all-added' | 'unknown';
  /** Why the changes are `unknown`. */
  repaired?: PageMissingError;
  /** Per page, VPCEP's answer as the next state keeps it; the previous snapshot's own array when no answer changed. */
  answers: readonly (PageAnswer | null)[];
}

const isWaiting = (connection: Connection): boolean => connection.status === 'pendingAcceptance';
/** A page's answer keeps at most this many waiting requests whole (all an unchanged page keeps); more: parsed every time. */
const MAX_KEPT_PER_ANSWER = 50;

/** A service is not started with less time left than this; it keeps its snapshot for next run. */
const MIN_SCAN_MS = 1_000;
/** Reading a list that moved takes about as long again; do not start one with less time than this. */
const MIN_REREAD_MS = 5_000;

/**
 * Pages through the service's connections at the API's maximum page size: ceil(n/1000) calls for n
 * connections (one when there are none); the first page gives `total_count`, the rest are then
 * fetched concurrently through the shared limiter. Offset paging over a list that changes can skip
 * or repeat items, so every page must report the same `total_count` and the pages together must
 * hold exactly that many distinct connections. A list that moved is read again while the budget
 * allows; otherwise the scan fails and the service keeps its previous snapshot.
 */
export async function scanService(vpcep: VpcepApi, serviceId: string, options: ScanOptions): Promise<ServiceScan> {
  const rereads = options.rereads ?? 1;
  let problem = '';
  for (let attempt = 0; attempt <= rereads; attempt++) {
    if (attempt > 0 && options.budget.remainingMs() < MIN_REREAD_MS) break;
    let result: ServiceScan | { problem: string };
    try {
      result = await readOnce(vpcep, serviceId, options);
    } catch (error) {
      if (!(error instanceof PageMissingError)) throw error;
      // The snapshot cannot be diffed against: read the service afresh, writing every page, and
      // record it as a new baseline of this service rather than guess at what changed.
      result = await readOnce(vpcep, serviceId, { ...options, previous: undefined });
      if (!('problem' in result)) return { ...result, changes: 'unknown', repaired: error };
    }
    if (!('problem' in result)) return result;
    problem = result.problem;
  }
  throw new ScanError(serviceId, `the connection list moved while paging (${problem}); keeping the previous snapshot`);
}

/** One page in its compact form: its name, whether the snapshot lists it, and what it kept. */
interface PageDigest {
  /** The page's name in the next state: the stored one when it is the same page. */
  name: string;
  same: boolean;
  totalCount: number;
  count: number;
  kept: Connection[];
  byStatus: Map<string, number>;
  /** The answer was parsed: its ids went into the service's `IdHashes`. */
  parsed: boolean;
  /** The answer as the next state keeps it. */
  answer: PageAnswer | null;
  /** A changed page holding the same connections as the stored one: its status changes. */
  changes?: Change[];
  /** A changed page not lining up (a connection came or went): diffed as a stretch, its stored page and
   *  itself read again then, in order; its records are held only when not stored (a dry run). */
  unaligned?: { before: string | undefined; after?: string };
}

type PageOutcome = PageDigest | { offset: number; error: unknown };

async function readOnce(vpcep: VpcepApi, serviceId: string, options: ScanOptions): Promise<ServiceScan | { problem: string }> {
  const { keep, signal, pages } = options;
  const snapshot = Promise.resolve(options.previous);
  // If the state fails to load, the run fails on it elsewhere; here it must not go unhandled.
  snapshot.catch(() => undefined);
  const answers = snapshot.then((previous) => (previous?.answersFor !== undefined && previous.answersFor === options.keepSignature ? previous.answers : undefined));
  answers.catch(() => undefined);
  const fetch = async (offset: number): Promise<ConnectionPage | SamePage> => {
    if (signal?.aborted) throw new ScanPostponedError(serviceId, 'not read: the run has stopped');
    const known = (await answers)?.[offset / CONNECTIONS_PAGE_SIZE]?.digest;
    return vpcep.listConnections(serviceId, offset, CONNECTIONS_PAGE_SIZE, known);
  };
  const room = (count: number, kind?: 'new'): boolean => options.room?.take(count, serviceId, kind) ?? true;
  // The service's ids, sized by the first page's total_count.
  let ids!: IdHashes;
  const compare = async (page: ConnectionPage | SamePage, offset: number): Promise<PageDigest> => {
    const index = offset / CONNECTIONS_PAGE_SIZE;
    const previous = await snapshot;
    if ('same' in page) return sameAnswer(previous!, index, (await answers)![index]!);
    return comparePage(page, index, { previous, answer: (await answers)?.[index] ?? null, room }, keep, pages, ids);
  };
  // A page is compared inside its slot of the limiter: while the snapshot is still arriving, at
  // most as many pages wait for it as there are requests in flight.
  const read = (offset: number): Promise<PageOutcome> =>
    options.limiter(async () => compare(await fetch(offset), offset)).catch((error: unknown) => ({ offset, error }));
  const failed = (offset: number, error: unknown): ScanError =>
    error instanceof ScanError ? error : new ScanError(serviceId, `reading connections at offset ${offset} failed: ${(error as Error).message}`, { cause: error });

  // The first page says how many there are: the others are queued before it is compared.
  const { first, rest } = await options.limiter(async () => {
    // Checked when the service's turn comes, not when it was queued behind a hundred others.
    if (options.budget.remainingMs() < MIN_SCAN_MS) throw new ScanPostponedError(serviceId, "not scanned: the run's time is nearly up; next run will scan it");
    const page = await fetch(0).catch((error: unknown) => {
      throw failed(0, error);
    });
    // An answer the same as last time holds the total it held then.
    const listed = 'same' in page ? (await snapshot)!.total : page.totalCount;
    ids = new IdHashes(listed);
    const offsets: number[] = [];
    for (let offset = CONNECTIONS_PAGE_SIZE; offset < listed; offset += CONNECTIONS_PAGE_SIZE) offsets.push(offset);
    const others = Promise.all(offsets.map(read));
    return { first: await compare(page, 0).catch((error: unknown) => {
      throw error instanceof PageMissingError ? error : failed(0, error);
    }), rest: others };
  });
  const outcomes = await rest;
  const previous = await snapshot;
  const total = first.totalCount;

  // VPCEP refuses an offset that is not less than the total (400 EndPoint.0010). A later page can
  // ask for one when the list shrank after the first page: that is the list moving, not a failure.
  const shortest = Math.min(total, ...outcomes.flatMap((result) => ('totalCount' in result ? [result.totalCount] : [])));
  for (const result of outcomes) {
    if ('totalCount' in result) continue;
    if (result.error instanceof PageMissingError) throw result.error;
    const { status, code } = callFailure(result.error);
    if (status === 400 && (code === 'EndPoint.0010' || result.offset >= shortest)) return { problem: `offset ${result.offset} is past the end of a list that shrank (${code ?? 'HTTP 400'})` };
    throw failed(result.offset, result.error);
  }

  const all = [first, ...(outcomes as PageDigest[])];
  let count = 0;
  for (const page of all) {
    if (page.totalCount !== total) return { problem: `total_count went from ${total} to ${page.totalCount}` };
    count += page.count;
  }
  const before = previous?.pages ?? [];
  const unchanged = previous !== undefined && before.length === all.length && all.every((page) => page.same);
  // The snapshot's ids are distinct, so a list equal to it is too; any other is counted.
  if (count !== total) return { problem: `${count} connections read, total_count says ${total}` };
  if (!unchanged) {
    // An answer not parsed is the stored page's: its ids are read from there.
    for (const [index, page] of all.entries()) if (!page.parsed) ids.addStored(await pages.read(index, page.name));
  }
  const distinct = unchanged ? count : ids.distinct();
  if (count !== total || distinct !== total) return { problem: `${distinct} distinct connections read, total_count says ${total}` };
  const kept = all.flatMap((page) => page.kept);
  const byStatus = mergeCounts(all);
  const answered = total === 0 ? [] : all.map((page) => page.answer);
  // Only answers kept under this choice of connections to keep stand again (`answers` is empty otherwise).
  const stood = await answers;
  const sameAnswers = stood !== undefined && stood.length === answered.length && answered.every((answer, i) => answer?.digest === stood[i]?.digest);
  const scanned = { total, kept, byStatus, answers: sameAnswers ? stood : answered };
  if (unchanged) return { ...scanned, pages: before, changes: [] };
  const listed = total === 0 ? [] : all.map((page) => page.name);
  if (previous === undefined) return { ...scanned, pages: listed, changes: 'all-added' };
  const changes = await changesOf(all, before, pages);
  options.room?.force(changes.length - all.reduce((sum, page) => sum + (page.changes?.length ?? 0), 0));
  return { ...scanned, pages: listed, changes };
}

/** A page VPCEP answered byte for byte as last time: what the snapshot kept of it stands for it. */
function sameAnswer(previous: ServiceSnapshot, index: number, answer: PageAnswer): PageDigest {
  const byStatus = new Map(answer.counts);
  let count = 0;
  for (const [, n] of answer.counts) count += n;
  return { name: previous.pages[index]!, same: true, totalCount: previous.total, count, kept: [...answer.kept], byStatus, parsed: false, answer };
}

/**
 * Runs as each page arrives, so its objects can go as soon as it is done. `answer`, the snapshot's
 * answer for the page, stays when the run has no `room` left for the page's changes.
 */
type Stored = { previous: ServiceSnapshot | undefined; answer: PageAnswer | null; room: (count: number, kind?: 'new') => boolean };
async function comparePage(page: ConnectionPage, index: number, { previous, answer: storedAnswer, room }: Stored, keep: (connection: Connection) => boolean, pages: PageAccess, ids: IdHashes): Promise<PageDigest> {
  const { connections } = page;
  const chunk = encodeChunk(connections);
  const digest = connections.length === 0 ? '' : pageDigest(chunk);
  const storedName = previous?.pages[index];
  // An empty page is the one of a service without connections, which lists no page.
  const same = storedName === undefined ? connections.length === 0 : digestOf(storedName) === digest;
  const kept: Connection[] = [];
  const byStatus = new Map<string, number>();
  for (const connection of connections) {
    byStatus.set(connection.status, (byStatus.get(connection.status) ?? 0) + 1);
    if (keep(connection)) kept.push(connection);
  }
  const waiting = kept.filter(isWaiting);
  const answer = page.answerDigest !== undefined && waiting.length <= MAX_KEPT_PER_ANSWER ? { digest: page.answerDigest, counts: [...byStatus], kept: waiting } : null;
  ids.add(connections.map((connection) => connection.id));
  // Whole connections serve changes (alerts, the trail) and waiting requests (reminders); a page holds
  // no others once compared: 100,000 rejected connections held whole took a run past 128 MB.
  const result: PageDigest = { name: same ? (storedName ?? '') : '', same, totalCount: page.totalCount, count: connections.length, kept: waiting, byStatus, parsed: true, answer };
  if (same) return result;
  const write = async (): Promise<void> => {
    if (connections.length > 0) result.name = await pages.write(index, digest, chunk);
  };
  // A service never seen: every connection is new, and its pages (written) hold them. Those needing
  // someone are its first alerts; past the run's room, only the waiting ones are held (`ChangeRoom`).
  if (previous === undefined) {
    await write();
    return room(kept.length - waiting.length, 'new') ? { ...result, kept } : result;
  }
  const before = storedName === undefined ? undefined : await pages.read(index, storedName);
  const aligned = before === undefined ? undefined : diffAlignedPage(before, chunk);
  if (aligned && !room(aligned.length)) {
    // No room left in this run: the page stays as stored, under its stored answer, so the next run
    // finds these changes again. Its counts and kept connections are VPCEP's present ones.
    return { ...result, name: storedName!, answer: storedAnswer };
  }
  await write();
  if (!aligned) return { ...result, kept, unaligned: { before: storedName, ...(pages.stores && connections.length > 0 ? {} : { after: chunk }) } };
  const changed = new Set(aligned.map((change) => change.record.id));
  return { ...result, changes: aligned, kept: kept.filter((connection) => isWaiting(connection) || changed.has(connection.id)) };
}

/**
 * The changes of a service that changed. Pages equal at the same position hold the same
 * connections on both sides, so only the pages that differ can hold a change: those that line up
 * gave their status changes as they came; the others (and stored pages past the new end) are
 * diffed as one stretch, a page of each side at a time, in order (`StretchDiff`): a connection
 * removed near the start of a million moves every later page, and the stretch never holds more
 * than the connections not yet matched.
 */
async function changesOf(all: readonly PageDigest[], before: readonly string[], pages: PageAccess): Promise<Change[]> {
  const changes: Change[] = [];
  const stretch = new StretchDiff(changes);
  for (const [index, page] of all.entries()) {
    if (page.changes) changes.push(...page.changes);
    if (!page.unaligned) continue;
    const { before: stored, after } = page.unaligned;
    stretch.before(stored === undefined ? '' : await pages.read(index, stored));
    stretch.after(after ?? await pages.read(index, page.name));
  }
  for (let index = all.length; index < before.length; index++) stretch.before(await pages.read(index, before[index]!));
  stretch.finish();
  return changes;
}

function mergeCounts(pages: readonly PageDigest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const page of pages) for (const [status, n] of page.byStatus) counts.set(status, (counts.get(status) ?? 0) + n);
  return counts;
}
