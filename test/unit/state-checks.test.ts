import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../lib/monitor/alerts.js';
import { StateFormatError } from '../../lib/monitor/errors.js';
import { checkChunk, isObject, readOutbox, readPending } from '../../lib/monitor/state-checks.js';

const refused = (run: () => unknown, why: RegExp) => {
  expect(run).toThrow(StateFormatError);
  expect(run).toThrow(why);
};

describe('checkChunk', () => {
  it('accepts records of four fields', () => {
    expect(() => checkChunk('c1,accepted,u,d')).not.toThrow();
    expect(() => checkChunk('c1,accepted,u,d;c2,failed,u,')).not.toThrow();
  });

  it('refuses a record with too few or too many fields, an empty id or an empty record, quoting it', () => {
    refused(() => checkChunk('c1,accepted,u'), /malformed connection record "c1,accepted,u"/);
    refused(() => checkChunk('c1,accepted,u,d,e'), /malformed connection record "c1,accepted,u,d,e"/);
    refused(() => checkChunk('c1,accepted,u,d;c2,failed,u'), /malformed connection record "c2,failed,u"/);
    refused(() => checkChunk(',accepted,u,d'), /malformed connection record ",accepted,u,d"/);
    refused(() => checkChunk('c1,accepted,u,d;'), /malformed connection record ""/);
    refused(() => checkChunk('c1,accepted,u,d;;c2,failed,u,d'), /malformed connection record ""/);
    refused(() => checkChunk(''), /malformed connection record ""/);
  });

  it('quotes at most 80 characters of a bad record', () => {
    const long = `c1,${'x'.repeat(200)}`;
    refused(() => checkChunk(long), new RegExp(`"c1,${'x'.repeat(77)}"$`));
  });
});

describe('readPending', () => {
  it('reads the book of each service, and none when absent', () => {
    const book = readPending({ svc: { c1: ['2026-11-25T00:00:00Z', ''] } });
    expect([...book.keys()]).toEqual(['svc']);
    expect(book.get('svc')!.get('c1')).toEqual({ since: '2026-11-25T00:00:00Z', notifiedAt: '' });
    expect(readPending(undefined).size).toBe(0);
  });

  it('refuses a book, an entry or a record of the wrong shape', () => {
    refused(() => readPending([]), /malformed pending book/);
    refused(() => readPending('book'), /malformed pending book/);
    refused(() => readPending(null), /malformed pending book/);
    refused(() => readPending({ svc: [] }), /malformed pending entry/);
    refused(() => readPending({ svc: null }), /malformed pending entry/);
    refused(() => readPending({ svc: { c1: 'since' } }), /malformed pending connection "c1"/);
    refused(() => readPending({ svc: { c1: ['since'] } }), /malformed pending connection "c1"/);
    refused(() => readPending({ svc: { c1: ['since', 'told', 'more'] } }), /malformed pending connection "c1"/);
    refused(() => readPending({ svc: { c1: ['since', 7] } }), /malformed pending connection "c1"/);
    refused(() => readPending({ svc: { [`c${'x'.repeat(100)}`]: [] } }), new RegExp(`"c${'x'.repeat(63)}"$`));
  });
});

describe('readOutbox', () => {
  const event: AlertEvent = { id: 'e1', serviceId: 's', serviceName: 'n', connectionId: 'c', domainId: 'd', from: null, to: 'failed', at: 'a', detectedAt: 'b', description: '', errors: [] };

  it('reads a list of alert events', () => {
    expect(readOutbox([])).toEqual([]);
    expect(readOutbox([event, { ...event, from: 'accepted' }])).toEqual([event, { ...event, from: 'accepted' }]);
  });

  it('refuses a missing outbox, and any entry that is not a whole alert event', () => {
    refused(() => readOutbox(undefined), /missing its outbox/);
    refused(() => readOutbox({}), /missing its outbox/);
    refused(() => readOutbox([event, 'e2']), /malformed outbox entry/);
    refused(() => readOutbox([null]), /malformed outbox entry/);
    for (const key of ['id', 'serviceId', 'serviceName', 'connectionId', 'domainId', 'to', 'at', 'detectedAt', 'description']) {
      refused(() => readOutbox([{ ...event, [key]: 7 }]), /malformed outbox entry/);
    }
    refused(() => readOutbox([{ ...event, from: undefined }]), /malformed outbox entry/);
    refused(() => readOutbox([{ ...event, from: 1 }]), /malformed outbox entry/);
    refused(() => readOutbox([{ ...event, errors: 'none' }]), /malformed outbox entry/);
  });
});

describe('isObject', () => {
  it('is true of a plain object only', () => {
    expect(isObject({})).toBe(true);
    expect(isObject(null)).toBe(false);
    expect(isObject([])).toBe(false);
    expect(isObject('x')).toBe(false);
  });
});

describe('the door and attribution header keys', () => {
  it('round-trip through the header, and are absent when empty', async () => {
    const { emptyState, parseState, serializeState } = await import('../../lib/monitor/state.js');
    const empty = serializeState(emptyState())[0]!;
    expect(empty).not.toMatch(/doors|attribution/);
    const transition = { eventId: 'e', serviceId: 's', serviceName: 'n', connectionId: 'c', domainId: 'd', from: 'pendingAcceptance', to: 'rejected', updatedAt: 'u', since: 'x', detectedAt: 'y' };
    const state = {
      ...emptyState(),
      doors: new Map([['s', { approvalEnabled: false, whitelist: ['*'], checkedAt: 't' }], ['r', { checkedAt: 't2' }]]),
      attribution: { waiting: [transition], acted: [{ serviceId: 's', connectionId: 'c2', to: 'accepted' as const, at: 'a' }] },
    };
    const read = parseState(serializeState(state).join(''));
    expect(read.doors).toEqual(state.doors);
    expect(read.attribution).toEqual(state.attribution);
  });

  it('refuse a malformed door, transition or policy action, naming it', async () => {
    const { readAttributionBook, readDoors } = await import('../../lib/monitor/state-checks.js');
    expect(readDoors(undefined)).toEqual({});
    expect(() => readDoors([])).toThrow('malformed doors entry');
    expect(() => readDoors({ s: { approvalEnabled: 'no', checkedAt: 't' } })).toThrow('malformed door of service "s"');
    expect(() => readDoors({ s: { whitelist: [1], checkedAt: 't' } })).toThrow('malformed door');
    expect(() => readDoors({ s: {} })).toThrow('malformed door');
    expect(readAttributionBook(undefined)).toEqual({});
    expect(() => readAttributionBook({ waiting: [] })).toThrow('malformed attribution entry');
    expect(() => readAttributionBook({ waiting: [{ eventId: 'e' }], acted: [] })).toThrow('transition waiting for attribution');
    expect(() => readAttributionBook({ waiting: [], acted: [{ serviceId: 's', connectionId: 'c', at: 'a', to: 'failed' }] })).toThrow('approval policy action');
  });

  it('refuse an outbox event whose door or attribution is malformed', async () => {
    const { readOutbox } = await import('../../lib/monitor/state-checks.js');
    const event = { id: 'i', serviceId: 's', serviceName: 'n', connectionId: '', domainId: '', from: null, to: 'approval-off', at: 'a', detectedAt: 'd', description: '', errors: [] };
    expect(readOutbox([{ ...event, door: { kind: 'approval-off' }, attribution: { source: 'trace', user: 'alice' } }])).toHaveLength(1);
    expect(() => readOutbox([{ ...event, door: { kind: 'whitelist-changed', added: [3] } }])).toThrow('malformed outbox entry');
    expect(() => readOutbox([{ ...event, door: 'open' }])).toThrow('malformed outbox entry');
    expect(() => readOutbox([{ ...event, attribution: { user: { name: 'x' } } }])).toThrow('malformed outbox entry');
  });
});
