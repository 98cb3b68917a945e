/**
 * A service's snapshot is kept as one object per VPCEP page (`keys.ts` pageKey), named by the
 * digest of its records and the generation that wrote it; the state object lists the names. A pass
 * compares the digest of each page it reads with the one listed and reads the stored page only
 * where they differ: a quiet pass reads the small state object and no page at all, and a change
 * rewrites the pages it touched.
 *
 * A run writes its pages under the generation it will save as (the loaded one plus one), before
 * it saves: a run that dies leaves pages nobody names. After a save, the pages of that generation
 * or older that the saved state does not name are deleted (`sweepPages`); a run still working on
 * the newer generation writes above it, so its pages are never swept from under it.
 */
import { createHash } from 'node:crypto';
import { StateFormatError } from './errors.js';
import { pageKey, serviceSnapshotPrefix } from './keys.js';
import type { ObjectStore } from './ports.js';
import { checkChunk } from './state-checks.js';

/** 128 bits of SHA-256, in hex: the name of a page's content. */
export function pageDigest(chunk: string): string {
  return createHash('sha256').update(chunk).digest('hex').slice(0, 32);
}

/** A page's name in the state: `{generation}-{digest}`. */
const PAGE_NAME = /^(\d{1,15})-([0-9a-f]{32})$/;

export function isPageName(value: unknown): value is string {
  return typeof value === 'string' && PAGE_NAME.test(value);
}

export function pageName(generation: number, digest: string): string {
  return `${generation}-${digest}`;
}

/** The digest part of a page name: what a page read in a pass is compared with. */
export function digestOf(name: string): string {
  return name.slice(name.indexOf('-') + 1);
}

function generationOf(name: string): number | undefined {
  const match = PAGE_NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** A stored page is missing or is not what the state says it is: its service cannot be diffed against it. */
export class PageMissingError extends StateFormatError {
  constructor(readonly key: string, reason: string) {
    super(`snapshot page ${key} ${reason}`);
  }
}

/** Writes one page; its name holds its content's digest, so writing it twice is harmless. */
export async function writePage(objects: Pick<ObjectStore, 'put'>, prefix: string, serviceId: string, index: number, name: string, chunk: string): Promise<void> {
  await objects.put(pageKey(prefix, serviceId, index, name), chunk, 'text/plain; charset=utf-8');
}

/** Reads one page and checks it is the page the state names: its digest and its records' shape. */
export async function readPage(objects: Pick<ObjectStore, 'get'>, prefix: string, serviceId: string, index: number, name: string): Promise<string> {
  const key = pageKey(prefix, serviceId, index, name);
  const stored = await objects.get(key);
  if (stored === undefined) throw new PageMissingError(key, 'is missing');
  if (pageDigest(stored.body) !== digestOf(name)) throw new PageMissingError(key, 'does not hold the records its name says (changed or cut short)');
  checkChunk(stored.body);
  return stored.body;
}

/** Every page of a service, in order: what the CLI reads to show a service whole. */
export async function readPages(objects: Pick<ObjectStore, 'get'>, prefix: string, serviceId: string, names: readonly string[]): Promise<string[]> {
  const chunks: string[] = [];
  for (const [index, name] of names.entries()) chunks.push(await readPage(objects, prefix, serviceId, index, name));
  return chunks;
}

/**
 * Deletes a service's pages that generation `saved` (just saved) does not name and that were
 * written by it or an earlier one: pages it replaced, and pages of runs that died before saving.
 * `named` is the service's page names in the saved state (none for a service it dropped).
 */
export async function sweepPages(objects: Pick<ObjectStore, 'list' | 'delete'>, prefix: string, serviceId: string, named: readonly string[], saved: number): Promise<number> {
  const folder = serviceSnapshotPrefix(prefix, serviceId);
  const keep = new Set(named.map((name, index) => pageKey(prefix, serviceId, index, name)));
  const doomed: string[] = [];
  for await (const { key } of objects.list(folder)) {
    if (keep.has(key)) continue;
    const generation = generationOf(key.slice(folder.length).replace(/^\d+-/, '').replace(/\.txt$/, ''));
    if (generation !== undefined && generation <= saved) doomed.push(key);
  }
  for (const key of doomed) await objects.delete(key);
  return doomed.length;
}
