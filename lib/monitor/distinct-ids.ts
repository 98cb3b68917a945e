/**
 * The distinct-id check of a service read that changed: offset paging over a list that moves can
 * repeat a connection and skip another, which counting alone does not see.
 */
import { recordIds } from './records.js';

/**
 * How many distinct ids the pages hold, by their 64-bit hashes: 8 bytes a connection instead of a
 * set of strings. Two ids sharing a hash would count as one and fail the check (the list is read
 * again, then the service keeps its snapshot); at a million connections that is a 1 in 30 million
 * chance.
 */
export async function distinctIds(pages: readonly { count: number; name: string; idHashes?: Uint32Array }[], access: { read(index: number, name: string): Promise<string> }): Promise<number> {
  const hashes = new BigUint64Array(pages.reduce((sum, page) => sum + page.count, 0));
  let at = 0;
  for (const [index, page] of pages.entries()) {
    // An answer not parsed is the stored page's: its ids are read from there.
    const h = page.idHashes ?? storedIdHashes(await access.read(index, page.name));
    for (let i = 0; i < h.length; i += 2) hashes[at++] = (BigInt(h[i]!) << 32n) | BigInt(h[i + 1]!);
  }
  hashes.sort();
  let distinct = hashes.length === 0 ? 0 : 1;
  for (let i = 1; i < hashes.length; i++) if (hashes[i] !== hashes[i - 1]) distinct += 1;
  return distinct;
}

function storedIdHashes(chunk: string): Uint32Array {
  const ids = [...recordIds([chunk])];
  const out = new Uint32Array(ids.length * 2);
  for (const [i, id] of ids.entries()) hashId(id, out, i * 2);
  return out;
}

/** FNV-1a and a differently seeded multiplicative hash of `id`, into `out` at `at` and `at + 1`. */
export function hashId(id: string, out: Uint32Array, at: number): void {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  out[at] = a >>> 0;
  out[at + 1] = (b ^ id.length) >>> 0;
}

