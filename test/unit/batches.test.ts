import { describe, expect, it } from 'vitest';
import { inBatches } from '../../lib/batches.js';

const length = (item: string) => item.length;

describe('inBatches', () => {
  it('fills each batch up to the room, in order, and starts the next with what does not fit', () => {
    expect(inBatches(['aa', 'bb', 'c', 'dddd', 'e'], length, 5)).toEqual([['aa', 'bb', 'c'], ['dddd', 'e']]);
    expect(inBatches(['aa', 'bbb', 'cc'], length, 5)).toEqual([['aa', 'bbb'], ['cc']]);
  });

  it('keeps everything in one batch when it fits, and gives no batch for no items', () => {
    expect(inBatches(['a', 'b', 'c'], length, 3)).toEqual([['a', 'b', 'c']]);
    expect(inBatches([], length, 3)).toEqual([]);
  });

  it('sends an item larger than the room alone rather than dropping it', () => {
    expect(inBatches(['a', 'toolarge', 'b'], length, 3)).toEqual([['a'], ['toolarge'], ['b']]);
  });

  it('passes each item’s index, so costs can be measured once beforehand', () => {
    const costs = [4, 1, 1, 4];
    expect(inBatches(['w', 'x', 'y', 'z'], (_, index) => costs[index]!, 5)).toEqual([['w', 'x'], ['y', 'z']]);
  });

  it('never puts more than the room in a batch of several items', () => {
    const items = Array.from({ length: 200 }, (_, i) => 'x'.repeat((i * 7919) % 13 + 1));
    const batches = inBatches(items, length, 20);
    expect(batches.flat()).toEqual(items);
    for (const batch of batches) if (batch.length > 1) expect(batch.join('').length).toBeLessThanOrEqual(20);
    // As few as fit: no batch could have taken the first item of the next.
    for (let i = 0; i + 1 < batches.length; i++) expect(batches[i]!.join('').length + batches[i + 1]![0]!.length).toBeGreaterThan(20);
  });
});
