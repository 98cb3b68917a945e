import { describe, expect, it } from 'vitest';
import { StateFormatError } from '../../lib/monitor/errors.js';
import { emptyState, parseState, serializeState } from '../../lib/monitor/state.js';

const sample = () => {
  const state = emptyState();
  state.generation = 7;
  state.runId = 'r';
  state.savedAt = '2026-11-01T00:00:00.000Z';
  state.services.set('svc', {
    name: 'n',
    scannedAt: 't',
    connections: new Map([
      ['c1', { status: 'accepted', updatedAt: '2026-11-01T00:00:00Z', domainId: 'd1' }],
      ['c2', { status: 'pendingAcceptance', updatedAt: '2026-11-02T00:00:00Z', domainId: 'd2' }],
    ]),
  });
  state.services.set('empty', { name: 'e', scannedAt: 't', connections: new Map() });
  state.outbox.push({ id: 'e', serviceId: 'svc', serviceName: 'n', connectionId: 'c1', domainId: 'd', from: null, to: 'failed', at: 'u', detectedAt: 't', description: 'a "quoted", ; description', errors: [] });
  state.pending.set('svc', new Map([['c2', { since: 's', notifiedAt: 'n' }]]));
  return state;
};

describe('state', () => {
  it('round-trips snapshots, the outbox and the pending book', () => {
    const state = sample();
    expect(parseState(serializeState(state))).toEqual(state);
  });

  it('stores a connection as one short record, not a tree of JSON', () => {
    const stored = JSON.parse(serializeState(sample())) as { schemaVersion: number; services: Record<string, { connections: string }> };
    expect(stored.schemaVersion).toBe(2);
    expect(stored.services.svc!.connections).toBe('c1,accepted,2026-11-01T00:00:00Z,d1;c2,pendingAcceptance,2026-11-02T00:00:00Z,d2');
  });

  it('reads schema 1 through its migration', () => {
    const v1 = JSON.stringify({
      schemaVersion: 1, generation: 3, savedAt: 's', runId: 'r', outbox: [],
      services: { svc: { name: 'n', scannedAt: 't', connections: { c1: ['accepted', 'u', 'd'], constructor: ['failed', 'u2', 'd2'] } } },
    });
    const state = parseState(v1);
    expect(state.schemaVersion).toBe(2);
    expect(state.generation).toBe(3);
    expect(state.services.get('svc')!.connections).toEqual(new Map([['c1', { status: 'accepted', updatedAt: 'u', domainId: 'd' }], ['constructor', { status: 'failed', updatedAt: 'u2', domainId: 'd2' }]]));
    expect(state.pending.size).toBe(0);
  });

  it('rejects what it cannot read with a StateFormatError saying why', () => {
    const good = serializeState(sample());
    expect(() => parseState(good.slice(0, good.length / 2))).toThrow(StateFormatError);
    expect(() => parseState('{"schemaVersion":99}')).toThrow(/schema version 99/);
    expect(() => parseState('[]')).toThrow(/not a JSON object/);
    const bad = JSON.parse(good);
    bad.services.svc.connections = 'c1,accepted,u';
    expect(() => parseState(JSON.stringify(bad))).toThrow(/malformed connection record "c1,accepted,u"/);
  });

  it('never lets a value with a separator corrupt its neighbours', () => {
    const state = emptyState();
    state.services.set('svc', { name: 'n', scannedAt: 't', connections: new Map([['c;1', { status: 'acc,epted', updatedAt: 'u', domainId: 'd' }], ['c2', { status: 'failed', updatedAt: 'u', domainId: 'd' }]]) });
    const read = parseState(serializeState(state)).services.get('svc')!.connections;
    expect([...read.keys()]).toEqual(['c1', 'c2']);
    expect(read.get('c2')!.status).toBe('failed');
  });
});
