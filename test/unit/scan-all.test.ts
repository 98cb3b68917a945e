import { describe, expect, it } from 'vitest';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { loadConfig } from '../../lib/config.js';
import { encodeChunk, type RecordChunks } from '../../lib/monitor/records.js';
import type { Connection, MonitorDeps } from '../../lib/monitor/ports.js';
import type { PendingRecord } from '../../lib/monitor/reminders.js';
import { scanAll, type ScanResult } from '../../lib/monitor/scan-all.js';
import { emptyState, type MonitorState } from '../../lib/monitor/state.js';
import { connection, FakeObjects, FakePublisher, FakeVpcep, memoryLogger } from '../fakes.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const X = '4c1a0000-0000-4000-8000-0000000000e2';
const STARTED = '2026-11-25T12:00:00.000Z';
const configOf = (settings: Record<string, string> = {}) =>
  loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT, ...settings })[name]);

/** A snapshot of `list` as the scan stores it: one chunk per page of 1000. */
const snapshotOf = (list: readonly Connection[]): RecordChunks => {
  const chunks: string[] = [];
  for (let i = 0; i < list.length; i += 1000) chunks.push(encodeChunk(list.slice(i, i + 1000)));
  return chunks;
};
const many = (prefix: string, n: number, status = 'accepted') => Array.from({ length: n }, (_, i) => connection(`${prefix}${i}`, status));

function world(settings: Record<string, string> = {}) {
  const vpcep = new FakeVpcep();
  const { logger, lines } = memoryLogger();
  const deps: MonitorDeps = { vpcep, objects: new FakeObjects(), publisher: new FakePublisher(), logger, now: () => new Date(STARTED), budget: UNLIMITED };
  const state: MonitorState = emptyState();
  const logs = () => lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  /** A service VPCEP has, with its connections. */
  const service = (id: string, list: Connection[], name = `name-${id}`) => {
    vpcep.services.push({ id, name });
    vpcep.connections.set(id, list);
  };
  /** A service the snapshot holds. */
  const remember = (id: string, list: readonly Connection[], name = `name-${id}`) => {
    const chunks = snapshotOf(list);
    state.services.set(id, { name, scannedAt: '2026-11-25T11:00:00.000Z', chunks });
    return chunks;
  };
  const scan = async (options: { signal?: AbortSignal } = {}): Promise<ScanResult> =>
    scanAll(configOf(settings), deps, state, await vpcep.listServices(), { startedAt: STARTED, ...options });
  return { vpcep, deps, state, logs, service, remember, scan };
}

const read = (result: ScanResult, id: string) => result.read.find((entry) => entry.service.id === id)!;

describe('scanAll: what it keeps whole', () => {
  it('keeps connections that need someone, in an alert status, or with errors, and no others', async () => {
    const w = world({ ALERT_STATUSES: 'creating' });
    w.service('s', [
      connection('ok', 'accepted'),
      connection('pending', 'pendingAcceptance'),
      connection('failed', 'failed'),
      connection('creating', 'creating'),
      connection('erring', 'accepted', { errors: [{ code: 'E1', message: 'boom' }] }),
    ]);
    const result = await w.scan();
    expect([...read(result, 's').kept.keys()].sort()).toEqual(['creating', 'erring', 'failed', 'pending']);
    expect(read(result, 's').pending.map((c) => c.id)).toEqual(['pending']);
  });
});

describe('scanAll: changes', () => {
  it('reports a service whose connections did not change as read but not changed, and keeps its snapshot object', async () => {
    const w = world();
    const list = many('c', 3);
    w.service('s', list);
    const chunks = w.remember('s', list);
    const result = await w.scan();
    expect(result.read.map((entry) => entry.service.id)).toEqual(['s']);
    expect(read(result, 's').count).toBe(0);
    expect([...read(result, 's').changes()]).toEqual([]);
    expect(result.changed).toEqual([]);
    expect(result.services.get('s')!.chunks).toBe(chunks);
  });

  it('hands out a small run of changes again, without a separate list of the kept ones', async () => {
    const w = world();
    const list = many('c', 3);
    w.remember('s', list);
    w.service('s', [list[0]!, connection('c1', 'failed'), list[2]!]);
    const result = await w.scan();
    const entry = read(result, 's');
    expect(entry.count).toBe(1);
    expect([...entry.changes()]).toEqual([expect.objectContaining({ kind: 'status', from: 'accepted', record: expect.objectContaining({ id: 'c1', status: 'failed' }) })]);
    expect(entry.keptChanges).toBeUndefined();
    expect(result.changed.map((changed) => changed.service.id)).toEqual(['s']);
  });

  it.each(['no snapshot', 'an empty snapshot'])('counts a baseline (%s) without keeping its changes or picking out those of the kept connections', async (from) => {
    const w = world();
    if (from === 'an empty snapshot') w.remember('s', []);
    w.service('s', [...many('c', 10_000), connection('p', 'pendingAcceptance')]);
    const entry = read(await w.scan(), 's');
    expect(entry.count).toBe(10_001);
    expect(entry.keptChanges).toBeUndefined();
    expect([...entry.changes()]).toHaveLength(10_001);
  });

  it('keeps exactly as many changes as there is room for', async () => {
    const w = world();
    const list = many('c', 10_000);
    w.remember('s', list);
    w.service('s', many('c', 10_000, 'rejected'));
    const entry = read(await w.scan(), 's');
    expect(entry.count).toBe(10_000);
    expect(entry.keptChanges).toBeUndefined();
    expect([...entry.changes()]).toHaveLength(10_000);
  });

  it('past the room, walks the changes again and picks out the added and changed ones of kept connections', async () => {
    const w = world();
    const list = many('c', 10_002);
    w.remember('s', list);
    // c0 removed, c1..c10000 moved to 'creating' (not kept), c10001 now pending, p added.
    w.service('s', [...many('c', 10_001, 'creating').slice(1), connection('c10001', 'pendingAcceptance'), connection('p', 'pendingAcceptance')]);
    const entry = read(await w.scan(), 's');
    expect(entry.count).toBe(10_003);
    expect(entry.keptChanges!.map((change) => [change.kind, change.record.id])).toEqual([['status', 'c10001'], ['added', 'p']]);
    expect([...entry.changes()]).toHaveLength(10_003);
  });

  it('shares the room between services: the one counted second no longer fits', async () => {
    const w = world();
    w.remember('a', many('a', 6000));
    w.remember('b', many('b', 5000));
    w.service('a', many('a', 6000, 'rejected'));
    w.service('b', many('b', 5000, 'rejected'));
    const result = await w.scan();
    expect(result.read.map((entry) => entry.keptChanges !== undefined).filter(Boolean)).toHaveLength(1);
    for (const entry of result.read) expect([...entry.changes()]).toHaveLength(entry.count);
  });
});

describe('scanAll: pending requests', () => {
  const pendingSince = (w: ReturnType<typeof world>, since: string) => {
    w.state.pending.set('s', new Map<string, PendingRecord>([['p', { since, notifiedAt: since }]]));
  };

  it('dates the oldest pending request by VPCEP when that is earlier than the book', async () => {
    const w = world();
    w.service('s', [connection('p', 'pendingAcceptance', { updatedAt: '2026-11-20T00:00:00.000Z' }), connection('q', 'pendingAcceptance', { updatedAt: '2026-11-22T00:00:00.000Z' })]);
    pendingSince(w, '2026-11-24T00:00:00.000Z');
    expect(read(await w.scan(), 's').counts.oldestPendingSince).toBe(Date.parse('2026-11-20T00:00:00.000Z'));
  });

  it('dates it by the book when the book is earlier than VPCEP', async () => {
    const w = world();
    w.service('s', [connection('p', 'pendingAcceptance', { updatedAt: '2026-11-24T00:00:00.000Z' })]);
    pendingSince(w, '2026-11-10T00:00:00.000Z');
    expect(read(await w.scan(), 's').counts.oldestPendingSince).toBe(Date.parse('2026-11-10T00:00:00.000Z'));
  });

  it('leaves the date out when nothing is pending', async () => {
    const w = world();
    w.service('s', many('c', 2));
    const { counts } = read(await w.scan(), 's');
    expect(counts).toStrictEqual({ serviceId: 's', total: 2, byStatus: new Map([['accepted', 2]]) });
  });
});

describe('scanAll: a service that cannot be read', () => {
  it('keeps its snapshot and its pending book, and logs why with the service id', async () => {
    const w = world();
    const list = [connection('p', 'pendingAcceptance')];
    w.service('s', list);
    const chunks = w.remember('s', list);
    const book = new Map<string, PendingRecord>([['p', { since: '2026-11-01T00:00:00.000Z', notifiedAt: '2026-11-01T00:00:00.000Z' }]]);
    w.state.pending.set('s', book);
    w.vpcep.failService.add('s');
    const result = await w.scan();
    expect(result.failedServices).toEqual(['s']);
    expect(result.services.get('s')!.chunks).toBe(chunks);
    expect(result.pending.get('s')).toBe(book);
    const errors = w.logs().filter((line) => line.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ serviceId: 's', err: expect.objectContaining({ message: expect.stringContaining('injected failure') }) });
  });

  it('fails a service quietly when the run has stopped', async () => {
    const w = world();
    w.service('s', many('c', 2));
    const controller = new AbortController();
    controller.abort();
    const result = await w.scan({ signal: controller.signal });
    expect(result.failedServices).toEqual(['s']);
    expect(result.read).toEqual([]);
    expect(w.logs()).toEqual([]);
  });
});

describe('scanAll: services missing from the listing', () => {
  it('reads one VPCEP still has, saying so', async () => {
    const w = world();
    w.service('s', many('c', 2));
    w.remember('s', many('c', 2));
    w.vpcep.unlisted.add('s');
    const result = await w.scan();
    expect(result.read.map((entry) => entry.service)).toEqual([{ id: 's', name: 'name-s' }]);
    const warnings = w.logs().filter((line) => line.level === 40);
    expect(warnings).toEqual([expect.objectContaining({ serviceId: 's', msg: 'service s was missing from the service listing but VPCEP still has it; read as usual' })]);
  });

  it('reads one VPCEP could not be asked about under its snapshot name, saying so', async () => {
    const w = world();
    w.service('s', many('c', 2), 'new-name');
    w.remember('s', many('c', 2), 'old-name');
    w.vpcep.unlisted.add('s');
    w.vpcep.getServiceFailure = new Error('HTTP 503');
    const result = await w.scan();
    expect(result.read.map((entry) => entry.service)).toEqual([{ id: 's', name: 'old-name' }]);
    const warnings = w.logs().filter((line) => line.level === 40);
    expect(warnings).toEqual([expect.objectContaining({
      serviceId: 's',
      err: expect.objectContaining({ message: 'HTTP 503' }),
      msg: 'service s was missing from the service listing and asking VPCEP about it failed (HTTP 503); not taken as deleted, read as usual',
    })]);
  });

  it('reads a configured one that is in no snapshot, nameless, when VPCEP could not be asked', async () => {
    const w = world({ VPCEP_SERVICE_IDS: X });
    w.service(X, many('c', 1));
    w.vpcep.unlisted.add(X);
    w.vpcep.getServiceFailure = new Error('HTTP 503');
    const result = await w.scan();
    expect(result.read.map((entry) => entry.service)).toEqual([{ id: X, name: '' }]);
  });

  it('reports the connections of deleted services as removed, in snapshot order, and drops those that had none', async () => {
    const w = world();
    w.remember('a', many('a', 2), 'A');
    w.remember('empty', [], 'E');
    w.remember('b', many('b', 1), 'B');
    // VPCEP answers about b before a.
    const getService = w.vpcep.getService.bind(w.vpcep);
    w.vpcep.getService = async (id) => {
      if (id === 'a') await new Promise((resolve) => setTimeout(resolve, 20));
      return getService(id);
    };
    const result = await w.scan();
    expect(result.changed.map((changed) => [changed.service, changed.count])).toEqual([[{ id: 'a', name: 'A' }, 2], [{ id: 'b', name: 'B' }, 1]]);
    expect([...result.changed[0]!.changes()].map((change) => [change.kind, change.record.id])).toEqual([['removed', 'a0'], ['removed', 'a1']]);
    expect(result.failedServices).toEqual([]);
    expect(result.services.size).toBe(0);
  });

  it('keeps a configured service VPCEP does not know, and logs it as an error', async () => {
    const w = world({ VPCEP_SERVICE_IDS: X });
    const chunks = w.remember(X, many('c', 1));
    const book = new Map<string, PendingRecord>();
    w.state.pending.set(X, book);
    const result = await w.scan();
    expect(result.failedServices).toEqual([X]);
    expect(result.changed).toEqual([]);
    expect(result.services.get(X)!.chunks).toBe(chunks);
    expect(result.pending.get(X)).toBe(book);
    expect(w.logs().filter((line) => line.level === 50)).toEqual([expect.objectContaining({
      serviceId: X,
      api: 'vpcep:epservices:get',
      msg: `service ${X} named in VPCEP_SERVICE_IDS was not found in project ${PROJECT}; next run will look again`,
    })]);
  });
});
