/**
 * Splitting a list into as few consecutive batches as fit a size limit, for the services that cap
 * a request by bytes (SMN's publish body, Cloud Eye's metric-data body). Order is kept, so a reader
 * of the batches in turn reads the list in order; an item larger than the limit on its own still
 * goes, alone, and the service is left to refuse it.
 */

/** The items in order, cut into batches whose summed `cost` stays within `room`. */
export function inBatches<T>(items: readonly T[], cost: (item: T, index: number) => number, room: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let used = 0;
  items.forEach((item, index) => {
    const size = cost(item, index);
    if (current.length > 0 && used + size > room) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += size;
  });
  if (current.length > 0) batches.push(current);
  return batches;
}
