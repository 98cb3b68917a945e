import { describe, expect, it } from 'vitest';
import { diffRecords } from '../../lib/monitor/diff.js';
import { encodeChunk, type ConnectionRecord } from '../../lib/monitor/records.js';

const record = (id: string, status: string, updatedAt = '2026-11-01T00:00:00Z'): ConnectionRecord => ({ id, status, updatedAt, domainId: 'd1' });
const chunks = (...records: ConnectionRecord[]) => (records.length === 0 ? [] : [encodeChunk(records)]);

describe('diffRecords', () => {
  it('finds added, removed and status changes, and nothing else', () => {
    const before = chunks(record('a', 'accepted'), record('b', 'pendingAcceptance'), record('c', 'accepted'));
    const after = chunks(record('a', 'accepted', '2026-11-02T00:00:00Z'), record('b', 'accepted'), record('d', 'failed'));
    expect([...diffRecords(before, after)]).toEqual([
      { kind: 'status', from: 'pendingAcceptance', record: record('b', 'accepted') },
      { kind: 'added', record: record('d', 'failed') },
      { kind: 'removed', record: record('c', 'accepted') },
    ]);
  });

  it('reports every connection as added against an empty snapshot, across chunks', () => {
    const after = [encodeChunk([record('a', 'accepted')]), encodeChunk([record('b', 'failed')])];
    expect([...diffRecords([], after)].map((change) => [change.kind, change.record.id])).toEqual([['added', 'a'], ['added', 'b']]);
  });

  it('reports every connection as removed when the list is gone', () => {
    expect([...diffRecords(chunks(record('a', 'accepted')), [])]).toEqual([{ kind: 'removed', record: record('a', 'accepted') }]);
  });

  it('carries unknown statuses through', () => {
    expect([...diffRecords(chunks(record('a', 'accepted')), chunks(record('a', 'migrating')))]).toEqual([
      { kind: 'status', from: 'accepted', record: record('a', 'migrating') },
    ]);
  });

  it('is empty when nothing changed, whether the lists are one or two equal ones', () => {
    const list = chunks(record('a', 'accepted'), record('b', 'rejected'));
    expect([...diffRecords(list, list)]).toEqual([]);
    expect([...diffRecords(list, [...list])]).toEqual([]);
  });

  it('can be walked again: the changes are not a list kept in memory', () => {
    const walk = () => diffRecords(chunks(record('a', 'accepted')), chunks(record('a', 'failed'), record('b', 'failed')));
    expect([...walk()]).toEqual([...walk()]);
  });
});
