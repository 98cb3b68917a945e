import { describe, expect, it } from 'vitest';
import { StateFormatError } from '../../lib/monitor/errors.js';
import { decodeRecords } from '../../lib/monitor/records.js';
import { legacyServices } from '../../lib/monitor/state-legacy.js';

const refused = (run: () => unknown, why: string) => {
  expect(run).toThrow(StateFormatError);
  expect(run).toThrow(why);
};

describe('legacyServices', () => {
  it('reads both schemas into the same snapshots', () => {
    const v1 = legacyServices(1, { svc: { name: 'n', scannedAt: 't', connections: { c1: ['accepted', 'u', 'd'] } } });
    const v2 = legacyServices(2, { svc: { name: 'n', scannedAt: 't', connections: 'c1,accepted,u,d' } });
    expect(v1).toEqual(v2);
    expect(v1[0]).toMatchObject({ id: 'svc', name: 'n', scannedAt: 't' });
    expect([...decodeRecords(v1[0]!.chunks)]).toEqual([{ id: 'c1', status: 'accepted', updatedAt: 'u', domainId: 'd' }]);
  });

  it('refuses a document without services, naming what is missing', () => {
    refused(() => legacyServices(1, undefined), 'state is missing its services');
    refused(() => legacyServices(2, []), 'state is missing its services');
  });

  it('refuses a malformed snapshot, naming its service (bounded)', () => {
    refused(() => legacyServices(1, { svc: null }), 'state has a malformed snapshot for service "svc"');
    refused(() => legacyServices(1, { svc: { name: 1, scannedAt: 't', connections: {} } }), 'malformed snapshot for service "svc"');
    refused(() => legacyServices(2, { svc: { name: 'n', scannedAt: 2, connections: '' } }), 'malformed snapshot for service "svc"');
    refused(() => legacyServices(2, { [`s${'x'.repeat(100)}`]: null }), `service "s${'x'.repeat(63)}"`);
  });

  it('refuses schema 2 connections that are not a string, or not records', () => {
    refused(() => legacyServices(2, { svc: { name: 'n', scannedAt: 't', connections: {} } }), 'state has a service whose connections are not a string');
    refused(() => legacyServices(2, { svc: { name: 'n', scannedAt: 't', connections: 'c1,accepted' } }), 'malformed connection record "c1,accepted"');
  });

  it('refuses schema 1 connections that are not an object, or a connection that is not three strings', () => {
    refused(() => legacyServices(1, { svc: { name: 'n', scannedAt: 't', connections: 'c1,accepted,u,d' } }), 'state has a service whose connections are not an object');
    refused(() => legacyServices(1, { svc: { name: 'n', scannedAt: 't', connections: [] } }), 'connections are not an object');
    for (const record of ['accepted', ['accepted', 'u'], ['accepted', 'u', 'd', 'e'], ['accepted', 'u', 3]]) {
      refused(() => legacyServices(1, { svc: { name: 'n', scannedAt: 't', connections: { c1: record } } }), 'state has a malformed connection "c1"');
    }
    refused(() => legacyServices(1, { svc: { name: 'n', scannedAt: 't', connections: { [`c${'x'.repeat(100)}`]: [] } } }), `connection "c${'x'.repeat(63)}"`);
  });
});
