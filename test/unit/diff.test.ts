import { describe, expect, it } from 'vitest';
import { diffConnections, toRecords } from '../../lib/monitor/diff.js';
import type { Connection } from '../../lib/monitor/ports.js';

const connection = (id: string, status: string, updatedAt = '2026-11-01T00:00:00Z'): Connection => ({
  id, status, domainId: 'd1', description: '', updatedAt, errors: [],
});

describe('diffConnections', () => {
  it('finds added, removed and status changes, and nothing else', () => {
    const before = toRecords([connection('a', 'accepted'), connection('b', 'pendingAcceptance'), connection('c', 'accepted')]);
    const after = [connection('a', 'accepted', '2026-11-02T00:00:00Z'), connection('b', 'accepted'), connection('d', 'failed')];
    expect(diffConnections(before, after)).toEqual([
      { kind: 'status', from: 'pendingAcceptance', connection: after[1] },
      { kind: 'added', connection: after[2] },
      { kind: 'removed', connectionId: 'c', previous: { status: 'accepted', updatedAt: '2026-11-01T00:00:00Z', domainId: 'd1' } },
    ]);
  });

  it('reports every connection as added against an empty snapshot', () => {
    const after = [connection('a', 'accepted'), connection('b', 'failed')];
    expect(diffConnections(new Map(), after).map((change) => change.kind)).toEqual(['added', 'added']);
  });

  it('carries unknown statuses through', () => {
    const before = toRecords([connection('a', 'accepted')]);
    expect(diffConnections(before, [connection('a', 'migrating')])).toEqual([
      { kind: 'status', from: 'accepted', connection: connection('a', 'migrating') },
    ]);
  });

  it('is empty when nothing changed', () => {
    const list = [connection('a', 'accepted'), connection('b', 'rejected')];
    expect(diffConnections(toRecords(list), list)).toEqual([]);
  });
});

describe('toRecords', () => {
  it('returns the previous map itself when nothing in it changed, so a quiet pass keeps one copy', () => {
    const list = [connection('a', 'accepted'), connection('b', 'rejected')];
    const previous = toRecords(list);
    expect(toRecords(list.map((c) => ({ ...c })), previous)).toBe(previous);
    const changed = toRecords([connection('a', 'accepted'), connection('b', 'accepted')], previous);
    expect(changed).not.toBe(previous);
    expect(changed.get('b')!.status).toBe('accepted');
  });
});
