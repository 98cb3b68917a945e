import { describe, expect, it } from 'vitest';
import { StateFormatError } from '../../lib/monitor/errors.js';
import { decodeRecords, encodeChunk } from '../../lib/monitor/records.js';
import { emptyState, parseState, serializeState, StateReader } from '../../lib/monitor/state.js';

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

  it('records its owner in the header, reads it back, and shows it before any service is read', () => {
    const state = sample();
    state.owner = { projectId: 'p1', region: 'eu-west-101', services: ['a', 'b'], prefix: 'x/' };
    const stored = text(serializeState(state));
    expect(JSON.parse(stored.split('\n')[0]!)).toMatchObject({ owner: { projectId: 'p1', region: 'eu-west-101', services: ['a', 'b'], prefix: 'x/' } });
    expect(parseState(stored)).toEqual(state);
    const seen: unknown[] = [];
    const reader = new StateReader((header) => seen.push(header.owner, header.services.size));
    reader.line(stored.split('\n')[0]!);
    expect(seen).toEqual([state.owner, 0]);
    // A state without an owner (written before owners were) reads as one without.
    expect(parseState(text(serializeState(sample()))).owner).toBeUndefined();
    for (const bad of ['"p1"', '{"projectId":"p1","region":"r","services":"all","prefix":"x/"}', '{"projectId":1,"region":"r","services":"*","prefix":"x/"}']) {
      expect(() => parseState(stored.replace(/"owner":\{[^}]*\}/, `"owner":${bad}`)), bad).toThrow(/malformed owner/);
    }
  });

  it('stores JSON Lines: a header, then each service and its record chunks, the same strings it holds', () => {
    const state = sample();
    const parts = serializeState(state);
    const chunk = state.services.get('svc')!.chunks[0]!;
    expect(parts).toContain(chunk);
    const lines = text(parts).split('\n');
    expect(lines.at(-1)).toBe('');
    const [header, ...rest] = lines.slice(0, -1).map((line) => JSON.parse(line) as unknown);
    expect(header).toMatchObject({ schemaVersion: 3, generation: 7, services: 2 });
    expect(rest).toEqual([
      { service: 'svc', name: 'n', scannedAt: 't', chunks: 2 },
      'c1,accepted,2026-11-01T00:00:00Z,d1',
      'c2,pendingAcceptance,2026-11-02T00:00:00Z,d2',
      { service: 'empty', name: 'e', scannedAt: 't', chunks: 0 },
    ]);
  });

  it('reads a line at a time, and refuses a state cut short at any line', () => {
    const good = text(serializeState(sample()));
    const lines = good.split('\n').slice(0, -1);
    const reader = new StateReader();
    for (const line of lines) reader.line(line);
    expect(reader.finish()).toEqual(sample());
    for (let keep = 0; keep < lines.length; keep++) {
      expect(() => parseState(`${lines.slice(0, keep).join('\n')}\n`), `${keep} lines`).toThrow(StateFormatError);
    }
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
    expect(() => parseState('')).toThrow(/empty/);
    const lines = good.split('\n');
    const replace = (index: number, line: string) => lines.map((l, i) => (i === index ? line : l)).join('\n');
    expect(() => parseState(replace(2, '"c1,accepted,u"'))).toThrow(/malformed connection record "c1,accepted,u"/);
    expect(() => parseState(replace(2, '["c1,accepted,u,d"]'))).toThrow(/record chunk that is not a string/);
    expect(() => parseState(replace(2, '"c1,accepted,u,d;"'))).toThrow(StateFormatError);
    expect(() => parseState(replace(1, '{"service":"svc","name":"n","scannedAt":"t"}'))).toThrow(/how many chunks/);
    expect(() => parseState(`${good}"extra"\n`)).toThrow(StateFormatError);
  });

  it('names what is wrong with a header, a service line or where the state ends', () => {
    const header = (fields: Record<string, unknown>) => JSON.stringify({ schemaVersion: 3, generation: 1, savedAt: 's', runId: 'r', outbox: [], services: 0, ...fields });
    const refused = (lines: string[], why: string) => {
      expect(() => parseState(lines.join('\n'))).toThrow(StateFormatError);
      expect(() => parseState(lines.join('\n'))).toThrow(why);
    };
    for (const generation of [-1, 1.5, '1', undefined]) refused([header({ generation })], 'state has no valid generation');
    expect(parseState(header({ generation: 0 })).generation).toBe(0);
    refused([header({ savedAt: undefined })], 'state is missing savedAt or runId');
    refused([header({ runId: 7 })], 'state is missing savedAt or runId');
    for (const services of [-1, 0.5, '1', undefined]) refused([header({ services })], 'state does not say how many services it holds');
    refused([header({ services: 1 }), '{"service":"svc","name":"n","scannedAt":"t","chunks":-1}'], 'state does not say how many chunks service "svc" has');
    refused([header({ services: 1 }), '{"service":"svc","name":"n","chunks":0}'], 'state has a malformed service line');
    refused([header({ services: 2 }), '{"service":"svc","name":"n","scannedAt":"t","chunks":0}', '{"service":"svc","name":"n","scannedAt":"t","chunks":0}'], 'state holds service "svc" twice');
    refused([header({ services: 1 }), '{"service":"svc","name":"n","scannedAt":"t","chunks":2}', '"c1,accepted,u,d"'], 'state ends inside service "svc"');
    refused([header({ services: 2 }), '{"service":"svc","name":"n","scannedAt":"t","chunks":0}'], 'state ends after 1 of its 2 services');
    for (const line of ['5', '{"service":7,"name":"n","scannedAt":"t","chunks":0}', '{"service":"svc","scannedAt":"t","chunks":0}']) refused([header({ services: 1 }), line], 'state has a malformed service line');
    for (const chunks of [1.5, '1']) refused([header({ services: 1 }), JSON.stringify({ service: 'svc', name: 'n', scannedAt: 't', chunks })], 'state does not say how many chunks service "svc" has');
    // A service id in a message is cut at 64 characters: the state is not the place to dump from.
    const long = 's'.repeat(100);
    const named = JSON.stringify(long.slice(0, 64));
    const line = (chunks: unknown) => JSON.stringify({ service: long, name: 'n', scannedAt: 't', chunks });
    refused([header({ services: 1 }), line(-1)], `state does not say how many chunks service ${named} has`);
    refused([header({ services: 2 }), line(0), line(0)], `state holds service ${named} twice`);
    refused([header({ services: 1 }), line(1)], `state ends inside service ${named}`);
    refused([header({ services: 1 }), line(1), '"c1,'], `state is not valid JSON in a record chunk of service ${named} (`);
    refused(['{"schemaVersion":'], 'state is not valid JSON in its first line (');
    refused([header({ services: 1 }), '{"service":'], 'state is not valid JSON in a service line (');
    const v1 = JSON.stringify({ schemaVersion: 1, generation: 1, savedAt: 's', runId: 'r', outbox: [], services: {} });
    refused([v1, '{"service":"svc","name":"n","scannedAt":"t","chunks":0}'], 'state has lines after a schema 1 or 2 document');
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

describe('emptyState', () => {
  it('is a state never saved: generation 0, no time, no run, nothing held', () => {
    expect(emptyState()).toEqual({ schemaVersion: 3, generation: 0, savedAt: '', runId: '', services: new Map(), outbox: [], pending: new Map() });
  });
});
