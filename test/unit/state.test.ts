import { describe, expect, it } from 'vitest';
import { StateFormatError } from '../../lib/monitor/errors.js';
import { pageDigest, pageName } from '../../lib/monitor/pages.js';
import { decodeRecords, encodeChunk } from '../../lib/monitor/records.js';
import { emptyState, heldSnapshots, parseState, putSnapshot, serializeState, StateReader } from '../../lib/monitor/state.js';

const c1 = { id: 'c1', status: 'accepted', updatedAt: '2026-11-01T00:00:00Z', domainId: 'd1' };
const c2 = { id: 'c2', status: 'pendingAcceptance', updatedAt: '2026-11-02T00:00:00Z', domainId: 'd2' };
const PAGE_1 = pageName(3, pageDigest(encodeChunk([c1])));
const PAGE_2 = pageName(5, pageDigest(encodeChunk([c2])));
const sample = () => {
  const state = emptyState();
  state.generation = 7;
  state.runId = 'r';
  state.savedAt = '2026-11-01T00:00:00.000Z';
  state.services.set('svc', { name: 'n', scannedAt: 't', total: 2, pages: [PAGE_1, PAGE_2] });
  state.services.set('empty', { name: 'e', scannedAt: 't', total: 0, pages: [] });
  state.outbox.push({ id: 'e', serviceId: 'svc', serviceName: 'n', connectionId: 'c1', domainId: 'd', from: null, to: 'failed', at: 'u', detectedAt: 't', description: 'a "quoted", ; description', errors: [] });
  state.pending.set('svc', new Map([['c2', { since: 's', notifiedAt: 'n' }]]));
  return state;
};
const text = (parts: readonly string[]) => parts.join('');
/** A schema 3 state: the records themselves, a service line announcing its chunks, then the chunks. */
const schema3 = (services: Record<string, string[]>, generation = 4) => [
  JSON.stringify({ schemaVersion: 3, generation, savedAt: 's', runId: 'r', services: Object.keys(services).length, outbox: [], pending: {} }),
  ...Object.entries(services).flatMap(([id, chunks]) => [JSON.stringify({ service: id, name: `name-${id}`, scannedAt: 't', chunks: chunks.length }), ...chunks.map((chunk) => JSON.stringify(chunk))]),
].join('\n');

describe('state', () => {
  it('round-trips the snapshots\' pages, the outbox and the pending book', () => {
    const state = sample();
    expect(parseState(text(serializeState(state)))).toEqual(state);
  });

  it('hands a large outbox over an event per part, never joined, and reads it back whole', () => {
    const state = sample();
    const first = state.outbox[0]!;
    for (let i = 1; i < 1_000; i++) state.outbox.push({ ...first, id: `e${i}`, connectionId: `c${i}` });
    const parts = serializeState(state);
    // Nothing holds two events: the header's opening, an event each, the header's closing, services.
    expect(Math.max(...parts.map((part) => part.length))).toBeLessThan(2 * JSON.stringify(first).length);
    expect(parseState(text(parts))).toEqual(state);
    // An empty outbox is still an array.
    expect(JSON.parse(text(serializeState(sample())).split('\n')[0]!)).toMatchObject({ outbox: [first] });
    expect(JSON.parse(text(serializeState(emptyState())).split('\n')[0]!)).toMatchObject({ outbox: [] });
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
    expect(parseState(text(serializeState(sample()))).owner).toBeUndefined();
    for (const bad of ['"p1"', '{"projectId":"p1","region":"r","services":"all","prefix":"x/"}', '{"projectId":1,"region":"r","services":"*","prefix":"x/"}']) {
      expect(() => parseState(stored.replace(/"owner":\{[^}]*\}/, `"owner":${bad}`)), bad).toThrow(/malformed owner/);
    }
  });

  it('stores JSON Lines of schema 4: a header, then one line per service naming its pages, and no record', () => {
    const lines = text(serializeState(sample())).split('\n');
    expect(lines.at(-1)).toBe('');
    const [header, ...rest] = lines.slice(0, -1).map((line) => JSON.parse(line) as unknown);
    expect(header).toMatchObject({ schemaVersion: 4, generation: 7, services: 2 });
    expect(rest).toEqual([
      { service: 'svc', name: 'n', scannedAt: 't', total: 2, pages: [PAGE_1, PAGE_2] },
      { service: 'empty', name: 'e', scannedAt: 't', total: 0, pages: [] },
    ]);
    expect(text(serializeState(sample()))).not.toContain('c1,accepted');
  });

  it('reads a line at a time, and refuses a state cut short at any line', () => {
    const lines = text(serializeState(sample())).split('\n').slice(0, -1);
    const reader = new StateReader();
    for (const line of lines) reader.line(line);
    expect(reader.finish()).toEqual(sample());
    for (let keep = 0; keep < lines.length; keep++) {
      expect(() => parseState(`${lines.slice(0, keep).join('\n')}\n`), `${keep} lines`).toThrow(StateFormatError);
    }
  });

  it('reads schema 3, holding its records as pages of this generation + 1 until the next save writes them', () => {
    const state = parseState(schema3({ svc: [encodeChunk([c1]), encodeChunk([c2])], none: [] }, 4));
    expect(state.migratedFrom).toBe(3);
    expect(state.schemaVersion).toBe(4);
    expect(state.services.get('svc')).toEqual({ name: 'name-svc', scannedAt: 't', total: 2, pages: [pageName(5, pageDigest(encodeChunk([c1]))), pageName(5, pageDigest(encodeChunk([c2])))] });
    expect(state.services.get('none')).toEqual({ name: 'name-none', scannedAt: 't', total: 0, pages: [] });
    expect(state.held.map((page) => [page.serviceId, page.index])).toEqual([['svc', 0], ['svc', 1]]);
    expect([...decodeRecords(heldSnapshots(state).get('svc')!)]).toEqual([c1, c2]);
    // The records are checked as they were.
    expect(() => parseState(schema3({ svc: ['c1,accepted,u'] }))).toThrow(/malformed connection record "c1,accepted,u"/);
    expect(() => parseState(`${schema3({ svc: ['c1,accepted,u,d'] })}\n"extra"`)).toThrow(StateFormatError);
  });

  it('reads schema 2 through its migration, cut into pages', () => {
    const records = Array.from({ length: 2500 }, (_, i) => `c${i},accepted,u,d`);
    const v2 = JSON.stringify({ schemaVersion: 2, generation: 4, savedAt: 's', runId: 'r', outbox: [], services: { svc: { name: 'n', scannedAt: 't', connections: records.join(';') } } });
    const state = parseState(v2);
    const chunks = heldSnapshots(state).get('svc')!;
    expect(chunks.map((chunk) => chunk.split(';').length)).toEqual([1000, 1000, 500]);
    expect([...decodeRecords(chunks)].map((r) => r.id)).toEqual(records.map((r) => r.split(',')[0]));
    expect(state.services.get('svc')!.total).toBe(2500);
    expect(state.migratedFrom).toBe(2);
  });

  it('reads schema 1 through its migration', () => {
    const v1 = JSON.stringify({
      schemaVersion: 1, generation: 3, savedAt: 's', runId: 'r', outbox: [],
      services: { svc: { name: 'n', scannedAt: 't', connections: { c1: ['accepted', 'u', 'd'], constructor: ['failed', 'u2', 'd2'] } } },
    });
    const state = parseState(v1);
    expect(state.schemaVersion).toBe(4);
    expect(state.generation).toBe(3);
    expect([...decodeRecords(heldSnapshots(state).get('svc')!)]).toEqual([{ id: 'c1', status: 'accepted', updatedAt: 'u', domainId: 'd' }, { id: 'constructor', status: 'failed', updatedAt: 'u2', domainId: 'd2' }]);
    expect(state.pending.size).toBe(0);
  });

  it('rejects what it cannot read with a StateFormatError saying why', () => {
    const good = text(serializeState(sample()));
    expect(() => parseState(good.slice(0, good.length / 2))).toThrow(StateFormatError);
    expect(() => parseState('{"schemaVersion":99}')).toThrow(/schema version 99/);
    expect(() => parseState('[]')).toThrow(/not a JSON object/);
    expect(() => parseState('')).toThrow(/empty/);
    expect(() => parseState(`${good}{"service":"x","name":"n","scannedAt":"t","total":0,"pages":[]}\n`)).toThrow(/ends after 3 of its 2|StateFormatError/);
  });

  it('names what is wrong with a header, a service line or where the state ends', () => {
    const header = (fields: Record<string, unknown>) => JSON.stringify({ schemaVersion: 4, generation: 1, savedAt: 's', runId: 'r', outbox: [], services: 0, ...fields });
    const service = (fields: Record<string, unknown>) => JSON.stringify({ service: 'svc', name: 'n', scannedAt: 't', total: 1, pages: [PAGE_1], ...fields });
    const refused = (lines: string[], why: string) => {
      expect(() => parseState(lines.join('\n'))).toThrow(StateFormatError);
      expect(() => parseState(lines.join('\n'))).toThrow(why);
    };
    for (const generation of [-1, 1.5, '1', undefined]) refused([header({ generation })], 'state has no valid generation');
    expect(parseState(header({ generation: 0 })).generation).toBe(0);
    refused([header({ savedAt: undefined })], 'state is missing savedAt or runId');
    refused([header({ runId: 7 })], 'state is missing savedAt or runId');
    for (const services of [-1, 0.5, '1', undefined]) refused([header({ services })], 'state does not say how many services it holds');
    expect(parseState([header({ services: 1 }), service({})].join('\n')).services.get('svc')!.pages).toEqual([PAGE_1]);
    for (const total of [-1, 1.5, '1', undefined]) refused([header({ services: 1 }), service({ total })], 'state does not say how many connections service "svc" has');
    for (const pages of ['x', [7], ['abc'], [`${PAGE_1}x`], [PAGE_1.replace(/^\d+-/, '')]]) refused([header({ services: 1 }), service({ pages })], 'state has malformed pages for service "svc"');
    refused([header({ services: 1 }), service({ total: 0 })], 'state gives service "svc" 0 connections in 1 pages');
    refused([header({ services: 1 }), service({ pages: [] })], 'state gives service "svc" 1 connections in 0 pages');
    refused([header({ services: 2 }), service({}), service({})], 'state holds service "svc" twice');
    refused([header({ services: 2 }), service({})], 'state ends after 1 of its 2 services');
    for (const line of ['5', service({ service: 7 }), service({ name: undefined }), service({ scannedAt: 1 })]) refused([header({ services: 1 }), line], 'state has a malformed service line');
    const long = 's'.repeat(100);
    refused([header({ services: 2 }), service({ service: long }), service({ service: long })], `state holds service ${JSON.stringify(long.slice(0, 64))} twice`);
    refused(['{"schemaVersion":'], 'state is not valid JSON in its first line (');
    refused([header({ services: 1 }), '{"service":'], 'state is not valid JSON in a service line (');
    const v1 = JSON.stringify({ schemaVersion: 1, generation: 1, savedAt: 's', runId: 'r', outbox: [], services: {} });
    refused([v1, service({})], 'state has lines after a schema 1 or 2 document');
  });
});

describe('putSnapshot', () => {
  it('names each page by its generation-to-be and digest, and holds it until saved, replacing what it held for the service', () => {
    const state = emptyState();
    state.generation = 2;
    putSnapshot(state, 'svc', 'n', 't', [encodeChunk([c1])]);
    putSnapshot(state, 'svc', 'n', 't', [encodeChunk([c1]), encodeChunk([c2])]);
    expect(state.services.get('svc')).toEqual({ name: 'n', scannedAt: 't', total: 2, pages: [pageName(3, pageDigest(encodeChunk([c1]))), pageName(3, pageDigest(encodeChunk([c2])))] });
    expect(state.held).toHaveLength(2);
  });
});

describe('emptyState', () => {
  it('is a state never saved: generation 0, no time, no run, nothing held', () => {
    expect(emptyState()).toEqual({ schemaVersion: 4, generation: 0, savedAt: '', runId: '', services: new Map(), outbox: [], pending: new Map(), held: [] });
  });
});
