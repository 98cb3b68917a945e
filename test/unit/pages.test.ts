import { describe, expect, it } from 'vitest';
import { IdHashes } from '../../lib/monitor/distinct-ids.js';
import { diffAlignedPage, StretchDiff, type Change } from '../../lib/monitor/diff.js';
import { pageKey } from '../../lib/monitor/keys.js';
import { isPageName, PageMissingError, pageDigest, pageName, readPage, sweepPages, writePage } from '../../lib/monitor/pages.js';
import { encodeChunk, type ConnectionRecord } from '../../lib/monitor/records.js';
import { FakeObjects } from '../fakes.js';

const PREFIX = 'vpcep-monitor/';
const SVC = '4c1a0000-0000-4000-8000-0000000000e2';
const record = (id: string, status = 'accepted'): ConnectionRecord => ({ id, status, updatedAt: '2026-11-01T00:00:00Z', domainId: 'd1' });
const chunk = (...ids: string[]) => encodeChunk(ids.map((id) => record(id)));

describe('snapshot pages', () => {
  it('names a page by generation and digest, and reads back only what its name says', async () => {
    const objects = new FakeObjects();
    const text = chunk('a', 'b');
    const name = pageName(7, pageDigest(text));
    expect(isPageName(name)).toBe(true);
    for (const bad of [7, `x-${pageDigest(text)}`, `7-${pageDigest(text)}0`, pageDigest(text)]) expect(isPageName(bad), String(bad)).toBe(false);
    await writePage(objects, PREFIX, SVC, 3, name, text);
    expect([...objects.objects.keys()]).toEqual([`${PREFIX}snapshots/${SVC}/00003-${name}.txt`]);
    expect(await readPage(objects, PREFIX, SVC, 3, name)).toBe(text);
    await expect(readPage(objects, PREFIX, SVC, 4, name)).rejects.toThrow(PageMissingError);
    objects.objects.set(pageKey(PREFIX, SVC, 3, name), chunk('a', 'c'));
    await expect(readPage(objects, PREFIX, SVC, 3, name)).rejects.toThrow(/does not hold the records its name says/);
  });

  it('keeps a service id that is not a plain id inside its own folder', () => {
    expect(pageKey(PREFIX, '../../etc', 0, '1-0123456789abcdef0123456789abcdef')).toMatch(/^vpcep-monitor\/snapshots\/x[0-9a-f]{32}\/00000-1-0123456789abcdef0123456789abcdef\.txt$/);
  });

  it('sweeps the pages a save no longer names, of its generation or older, and never a newer one or another service\'s', async () => {
    const objects = new FakeObjects();
    const named = pageName(5, pageDigest(chunk('a')));
    const replaced = pageName(4, pageDigest(chunk('b')));
    const orphan = pageName(5, pageDigest(chunk('c')));
    const newer = pageName(6, pageDigest(chunk('d')));
    const other = '9f7b0000-0000-4000-8000-000000000001';
    for (const [service, index, name] of [[SVC, 0, named], [SVC, 0, replaced], [SVC, 1, orphan], [SVC, 1, newer], [other, 0, replaced]] as const) {
      objects.objects.set(pageKey(PREFIX, service, index, name), 'x');
    }
    objects.objects.set(`${PREFIX}snapshots/${SVC}/notes.txt`, 'not a page');
    expect(await sweepPages(objects, PREFIX, SVC, [named], 5)).toBe(2);
    expect([...objects.objects.keys()].sort()).toEqual([
      pageKey(PREFIX, other, 0, replaced),
      pageKey(PREFIX, SVC, 0, named),
      pageKey(PREFIX, SVC, 1, newer),
      `${PREFIX}snapshots/${SVC}/notes.txt`,
    ].sort());
    // A service that left the state: all its pages of that generation or older go.
    expect(await sweepPages(objects, PREFIX, SVC, [], 6)).toBe(2);
  });
});

describe('IdHashes', () => {
  it('counts distinct ids wherever the repeats are, and counts an overflow as one more than expected', () => {
    const ids = new IdHashes(6);
    ids.add(['a', 'b', 'c']);
    ids.add(['d', 'a', 'e']);
    expect(ids.distinct()).toBe(5);
    const full = new IdHashes(2);
    full.add(['a', 'b', 'c']);
    expect(full.distinct()).toBe(3);
    expect(new IdHashes(0).distinct()).toBe(0);
    const stored = new IdHashes(3);
    stored.addStored(chunk('x', 'y', 'x'));
    expect(stored.distinct()).toBe(2);
    // Ids that differ only past their first characters, or by one character, are different.
    const near = new IdHashes(3);
    near.add(['abc', 'abd', 'ab']);
    expect(near.distinct()).toBe(3);
  });
});

describe('diffing pages', () => {
  it('diffs aligned pages by position, and refuses pages that do not line up', () => {
    expect(diffAlignedPage(chunk('a', 'b'), encodeChunk([record('a'), record('b', 'failed')]))).toEqual([{ kind: 'status', from: 'accepted', record: record('b', 'failed') }]);
    expect(diffAlignedPage(chunk('a', 'b'), chunk('a', 'c'))).toBeUndefined();
    expect(diffAlignedPage(chunk('a', 'b'), chunk('a'))).toBeUndefined();
    expect(diffAlignedPage('', '')).toEqual([]);
  });

  it('matches a stretch a page at a time, whichever side a connection is seen on first', () => {
    const changes: Change[] = [];
    const stretch = new StretchDiff(changes);
    // c moved back a page (a removal before it) and changed status; d moved forward.
    stretch.before(chunk('a', 'b'));
    stretch.after(encodeChunk([record('b'), record('c', 'failed')]));
    stretch.before(chunk('c', 'd'));
    stretch.after(encodeChunk([record('e', 'pendingAcceptance')]));
    stretch.before('');
    stretch.after(encodeChunk([record('d', 'rejected')]));
    stretch.finish();
    expect(changes).toEqual([
      { kind: 'status', from: 'accepted', record: record('c', 'failed') },
      { kind: 'status', from: 'accepted', record: record('d', 'rejected') },
      { kind: 'added', record: record('e', 'pendingAcceptance') },
      { kind: 'removed', record: record('a') },
    ]);
  });
});
