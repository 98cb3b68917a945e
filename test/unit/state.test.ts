import { describe, expect, it } from 'vitest';
import { StateFormatError } from '../../lib/monitor/errors.js';
import { decodeRecords, encodeChunk } from '../../lib/monitor/records.js';
import { emptyState, parseState, serializeState } from '../../lib/monitor/state.js';

const c1 = { id: 'c1', status: 'accepted', updatedAt: '2026-11-01T00:00:00Z', domainId: 'd1' };
const c2 = { id: 'c2', status: 'pendingAcceptance', updatedAt: '2026-11-02T00:00:00Z', domainId: 'd2' };
const sample = () => {
  const state = emptyState();
  state.generation = 7;
  state.runId = 'r';
  state.savedAt = '2026-11-01T00:00:00.000Z';
  state.services.set('svc', { name: 'n', scannedAt: 't', chunks: [encodeChunk([c1]), encodeChunk([c2])] });
  state.services.set('empty', { name: 'e', scannedAt: 't', chunks: [] });
  state.outbox.push({ id: 'e', serviceId: 'svc', serviceName: 'n', connectionId: 'c1', domainId: 'd', from: null, to: 'failed', at: 'u', detectedAt: 't', description: 'a "quoted", ; description', errors: [] });
  state.pending.set('svc', new Map([['c2', { since: 's', notifiedAt: 'n' }]]));
  return state;
};
const text = (parts: readonly string[]) => parts.join('');

describe('state', () => {
  it('round-trips snapshots, the outbox and the pending book', () => {
    const state = sample();
    expect(parseState(text(serializeState(state)))).toEqual(state);
  });

  it('stores a service as its record chunks, the same strings it holds, not a tree of JSON', () => {
    const state = sample();
    const parts = serializeState(state);
    const chunk = state.services.get('svc')!.chunks[0]!;
    expect(parts).toContain(chunk);
    const stored = JSON.parse(text(parts)) as { schemaVersion: number; services: Record<string, { connections: string[] }> };
    expect(stored.schemaVersion).toBe(3);
    expect(stored.services.svc!.connections).toEqual(['c1,accepted,2026-11-01T00:00:00Z,d1', 'c2,pendingAcceptance,2026-11-02T00:00:00Z,d2']);
  });

  it('reads schema 2 through its migration, cut into page chunks', () => {
    const records = Array.from({ length: 2500 }, (_, i) => `c${i},accepted,u,d`);
    const v2 = JSON.stringify({ schemaVersion: 2, generation: 4, savedAt: 's', runId: 'r', outbox: [], services: { svc: { name: 'n', scannedAt: 't', connections: records.join(';') } } });
    const chunks = parseState(v2).services.get('svc')!.chunks;
    expect(chunks.map((chunk) => chunk.split(';').length)).toEqual([1000, 1000, 500]);
    expect([...decodeRecords(chunks)].map((r) => r.id)).toEqual(records.map((r) => r.split(',')[0]));
  });

  it('reads schema 1 through its migration', () => {
    const v1 = JSON.stringify({
      schemaVersion: 1, generation: 3, savedAt: 's', runId: 'r', outbox: [],
      services: { svc: { name: 'n', scannedAt: 't', connections: { c1: ['accepted', 'u', 'd'], constructor: ['failed', 'u2', 'd2'] } } },
    });
    const state = parseState(v1);
    expect(state.schemaVersion).toBe(3);
    expect(state.generation).toBe(3);
    expect([...decodeRecords(state.services.get('svc')!.chunks)]).toEqual([{ id: 'c1', status: 'accepted', updatedAt: 'u', domainId: 'd' }, { id: 'constructor', status: 'failed', updatedAt: 'u2', domainId: 'd2' }]);
    expect(state.pending.size).toBe(0);
  });

  it('rejects what it cannot read with a StateFormatError saying why', () => {
    const good = text(serializeState(sample()));
    expect(() => parseState(good.slice(0, good.length / 2))).toThrow(StateFormatError);
    expect(() => parseState('{"schemaVersion":99}')).toThrow(/schema version 99/);
    expect(() => parseState('[]')).toThrow(/not a JSON object/);
    const bad = JSON.parse(good);
    bad.services.svc.connections = ['c1,accepted,u;c2,failed,u,d'];
    expect(() => parseState(JSON.stringify(bad))).toThrow(/malformed connection record "c1,accepted,u"/);
    bad.services.svc.connections = 'c1,accepted,u,d';
    expect(() => parseState(JSON.stringify(bad))).toThrow(/not a list of record chunks/);
    bad.services.svc.connections = ['c1,accepted,u,d;'];
    expect(() => parseState(JSON.stringify(bad))).toThrow(StateFormatError);
  });

  it('never lets a value with a separator corrupt its neighbours', () => {
    const state = emptyState();
    state.services.set('svc', { name: 'n', scannedAt: 't', chunks: [encodeChunk([{ id: 'c;1', status: 'acc,epted', updatedAt: 'u', domainId: 'd' }, { id: 'c2', status: 'failed', updatedAt: 'u', domainId: 'd' }])] });
    const read = [...decodeRecords(parseState(text(serializeState(state))).services.get('svc')!.chunks)];
    expect(read.map((r) => r.id)).toEqual(['c1', 'c2']);
    expect(read[1]!.status).toBe('failed');
  });

  it('escapes a chunk that holds a quote rather than writing broken JSON', () => {
    const state = emptyState();
    state.services.set('svc', { name: 'n', scannedAt: 't', chunks: [encodeChunk([{ id: 'c"1', status: 'accepted', updatedAt: 'u', domainId: 'd\\' }])] });
    expect([...decodeRecords(parseState(text(serializeState(state))).services.get('svc')!.chunks)]).toEqual([{ id: 'c"1', status: 'accepted', updatedAt: 'u', domainId: 'd\\' }]);
  });
});
