import { describe, expect, it } from 'vitest';
import { StateFormatError } from '../../lib/monitor/errors.js';
import { emptyState, parseState, serializeState } from '../../lib/monitor/state.js';

describe('state', () => {
  it('round-trips snapshots and the outbox', () => {
    const state = emptyState();
    state.generation = 7;
    state.runId = 'r';
    state.savedAt = '2026-11-01T00:00:00.000Z';
    state.services.set('svc', { name: 'n', scannedAt: 't', connections: new Map([['c1', { status: 'accepted', updatedAt: 'u', domainId: 'd' }]]) });
    state.outbox.push({ id: 'e', serviceId: 'svc', serviceName: 'n', connectionId: 'c1', domainId: 'd', from: null, to: 'failed', at: 'u', detectedAt: 't', description: '', errors: [] });
    expect(parseState(serializeState(state))).toEqual(state);
  });

  it('rejects what it cannot read with a StateFormatError saying why', () => {
    const good = serializeState(emptyState());
    expect(() => parseState(good.slice(0, good.length / 2))).toThrow(StateFormatError);
    expect(() => parseState('{"schemaVersion":99}')).toThrow(/schema version 99/);
    expect(() => parseState('[]')).toThrow(/not a JSON object/);
    const badConnection = JSON.parse(good);
    badConnection.services = { svc: { name: 'n', scannedAt: 't', connections: { c: ['accepted'] } } };
    expect(() => parseState(JSON.stringify(badConnection))).toThrow(/malformed connection/);
  });

  it('is not fooled by keys that look like object internals', () => {
    const state = parseState(JSON.stringify({ schemaVersion: 1, generation: 1, savedAt: '', runId: '', services: { svc: { name: 'n', scannedAt: 't', connections: { constructor: ['accepted', 'u', 'd'] } } }, outbox: [] }));
    expect(state.services.get('svc')!.connections.get('constructor')).toEqual({ status: 'accepted', updatedAt: 'u', domainId: 'd' });
    expect(state.services.get('svc')!.connections.get('toString')).toBeUndefined();
  });
});
