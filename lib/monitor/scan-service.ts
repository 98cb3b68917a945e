/**
 * Reading every connection of one endpoint service, completely and consistently, or not at all.
 * Each page is turned into its compact form as it arrives and its objects are dropped: a page equal
 * to the snapshot's chunk at the same position costs a comparison and nothing else, and only the
 * connections worth their details (`keep`) stay whole.
 */
import { ScanError, ScanPostponedError } from './errors.js';
import type { Limiter } from './limiter.js';
import { type Budget, callFailure, CONNECTIONS_PAGE_SIZE, type Connection, type ConnectionPage, type VpcepApi } from './ports.js';
import { chunkMatches, encodeChunk, type RecordChunks, recordIds } from './records.js';

export interface ScanOptions {
  limiter: Limiter;
  budget: Budget;
  /**
   * The service's snapshot. It may still be arriving (the state is read while the first pages are):
   * pages are compared with it when it is in.
   */
  previous?: RecordChunks | Promise<RecordChunks | undefined>;
  /** Which connections to keep whole (alerting, reminders and the approval policy need them). */
  keep: (connection: Connection) => boolean;
  /** Whole re-reads allowed when the list moved while paging. */
  rereads?: number;
  /** Aborted when the run has failed: no further page is asked for. */
  signal?: AbortSignal;
}

export interface ServiceScan {
  /** The list as read, in chunks; `previous` itself when nothing in it changed. */
  chunks: RecordChunks;
  total: number;
  kept: Connection[];
  byStatus: Map<string, number>;
}

/** A service is not started with less time left than this; it keeps its snapshot for next run. */
const MIN_SCAN_MS = 1_000;
/** Reading a list that moved takes about as long again; do not start one with less time than this. */
const MIN_REREAD_MS = 5_000;

/**
 * Pages through the service's connections at the API's maximum page size: ceil(n/1000) calls for n
 * connections (one call when there are none). The first page gives `total_count`; the remaining
 * pages are then fetched concurrently through the shared limiter.
 *
 * Offset paging over a list that changes can skip or repeat items, so the result is checked: every
 * page must report the same `total_count` and the pages together must hold exactly that many
 * distinct connections. A list that moved is read again while the budget allows; otherwise the
 * scan fails and the service keeps its previous snapshot.
 */
export async function scanService(vpcep: VpcepApi, serviceId: string, options: ScanOptions): Promise<ServiceScan> {
  const rereads = options.rereads ?? 1;
  let problem = '';
  for (let attempt = 0; attempt <= rereads; attempt++) {
    if (attempt > 0 && options.budget.remainingMs() < MIN_REREAD_MS) break;
    const result = await readOnce(vpcep, serviceId, options);
    if (!('problem' in result)) return result;
    problem = result.problem;
  }
  throw new ScanError(serviceId, `the connection list moved while paging (${problem}); keeping the previous snapshot`);
}

/** One page in its compact form: whether it equals the snapshot's chunk, and what it kept. */
interface PageDigest {
  chunk: string;
  same: boolean;
  totalCount: number;
  count: number;
  kept: Connection[];
  byStatus: Map<string, number>;
}

type PageOutcome = PageDigest | { offset: number; error: unknown };

async function readOnce(vpcep: VpcepApi, serviceId: string, options: ScanOptions): Promise<ServiceScan | { problem: string }> {
  const { keep, signal } = options;
  const snapshot = Promise.resolve(options.previous);
  // If the state fails to load, the run fails on it elsewhere; here it must not go unhandled.
  snapshot.catch(() => undefined);
  const fetch = (offset: number): Promise<ConnectionPage> => {
    if (signal?.aborted) return Promise.reject(new ScanPostponedError(serviceId, 'not read: the run has stopped'));
    return vpcep.listConnections(serviceId, offset, CONNECTIONS_PAGE_SIZE);
  };
  const compare = async (page: ConnectionPage, offset: number): Promise<PageDigest> => digest(page, (await snapshot)?.[offset / CONNECTIONS_PAGE_SIZE], keep);
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
    const offsets: number[] = [];
    for (let offset = CONNECTIONS_PAGE_SIZE; offset < page.totalCount; offset += CONNECTIONS_PAGE_SIZE) offsets.push(offset);
    const others = Promise.all(offsets.map(read));
    return { first: await compare(page, 0), rest: others };
  });
  const pages = await rest;
  const previous = await snapshot;
  const total = first.totalCount;

  // VPCEP refuses an offset that is not less than the total (400 EndPoint.0010). A later page can
  // ask for one when the list shrank after the first page: that is the list moving, not a failure.
  const shortest = Math.min(total, ...pages.flatMap((result) => ('totalCount' in result ? [result.totalCount] : [])));
  for (const result of pages) {
    if ('totalCount' in result) continue;
    const { status, code } = callFailure(result.error);
    if (status === 400 && (code === 'EndPoint.0010' || result.offset >= shortest)) return { problem: `offset ${result.offset} is past the end of a list that shrank (${code ?? 'HTTP 400'})` };
    throw failed(result.offset, result.error);
  }

  const all = [first, ...(pages as PageDigest[])];
  let count = 0;
  for (const page of all) {
    if (page.totalCount !== total) return { problem: `total_count went from ${total} to ${page.totalCount}` };
    count += page.count;
  }
  const unchanged = previous !== undefined && previous.length === all.length && all.every((page) => page.same);
  const chunks = unchanged ? previous : total === 0 ? [] : all.map((page) => page.chunk);
  // The snapshot's ids are distinct, so a list equal to it is too; any other is counted.
  const distinct = unchanged ? count : new Set(recordIds(chunks)).size;
  if (count !== total || distinct !== total) return { problem: `${distinct} distinct connections read, total_count says ${total}` };
  return { chunks, total, kept: all.flatMap((page) => page.kept), byStatus: mergeCounts(all) };
}

/** Runs as each page arrives, so its objects can go as soon as it is done. */
function digest(page: ConnectionPage, previousChunk: string | undefined, keep: (connection: Connection) => boolean): PageDigest {
  const { connections } = page;
  const same = previousChunk !== undefined && chunkMatches(previousChunk, connections);
  const kept: Connection[] = [];
  const byStatus = new Map<string, number>();
  for (const connection of connections) {
    byStatus.set(connection.status, (byStatus.get(connection.status) ?? 0) + 1);
    if (keep(connection)) kept.push(connection);
  }
  return { chunk: same ? previousChunk : encodeChunk(connections), same, totalCount: page.totalCount, count: connections.length, kept, byStatus };
}

function mergeCounts(pages: readonly PageDigest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const page of pages) for (const [status, n] of page.byStatus) counts.set(status, (counts.get(status) ?? 0) + n);
  return counts;
}
