/**
 * The distinct-id check of a service read that changed: offset paging over a list that moves can
 * repeat a connection and skip another, which counting alone does not see.
 *
 * Ids are kept as 64-bit hashes in one array of the service's size, filled as pages arrive in any
 * order: 8 bytes a connection instead of a set of strings. Two ids sharing a hash would count as
 * one and fail the check (the list is read again, then the service keeps its snapshot); at a
 * million connections that is a 1 in 30 million chance.
 */
import { recordIds } from './records.js';

export class IdHashes {
  private table: BigUint64Array | undefined;
  private filled = 0;
  private overflow = false;

  /** `expected`: the service's total_count, the size of the table. */
  constructor(private readonly expected: number) {}

  add(ids: Iterable<string>): void {
    this.table ??= new BigUint64Array(this.expected);
    for (const id of ids) {
      if (this.filled === this.table.length) {
        this.overflow = true;
        return;
      }
      this.table[this.filled++] = hash64(id);
    }
  }

  /** Adds the ids of a stored page (one whose answer was not parsed). */
  addStored(chunk: string): void {
    this.add(recordIds([chunk]));
  }

  /** How many distinct ids were added; more than the table holds counts as one more than it. */
  distinct(): number {
    if (this.overflow) return this.expected + 1;
    const hashes = (this.table ?? new BigUint64Array(0)).subarray(0, this.filled).sort();
    let distinct = hashes.length === 0 ? 0 : 1;
    for (let i = 1; i < hashes.length; i++) if (hashes[i] !== hashes[i - 1]) distinct += 1;
    return distinct;
  }
}

/** FNV-1a and a differently seeded multiplicative hash of `id`, as one 64-bit number. */
function hash64(id: string): bigint {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (BigInt(a >>> 0) << 32n) | BigInt((b ^ id.length) >>> 0);
}
