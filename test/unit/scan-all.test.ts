import { describe, expect, it } from 'vitest';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { loadConfig } from '../../lib/config.js';
import type { Change } from '../../lib/monitor/diff.js';
import { encodeChunk, type RecordChunks } from '../../lib/monitor/records.js';
import type { Connection, MonitorDeps } from '../../lib/monitor/ports.js';
import type { PendingRecord } from '../../lib/monitor/reminders.js';
import { scanAll, type ScanResult } from '../../lib/monitor/scan-all.js';
import { emptyState, heldPageObjects, type MonitorState, putSnapshot } from '../../lib/monitor/state.js';
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
  const objects = deps.objects as FakeObjects;
  /** A service the snapshot holds, its pages stored as a save would have. Gives its snapshot. */
  const remember = (id: string, list: readonly Connection[], name = `name-${id}`) => {
    putSnapshot(state, id, name, '2026-11-25T11:00:00.000Z', snapshotOf(list));
    for (const [key, body] of heldPageObjects(state, 'vpcep-monitor/')) objects.objects.set(key, body);
    state.held = [];
    return state.services.get(id)!;
  };
  const scan = async (options: { signal?: AbortSignal; dryRun?: boolean; maxChanges?: number } = {}): Promise<ScanResult> =>
    scanAll(configOf(settings), deps, state, await vpcep.listServices(), { startedAt: STARTED, ...options });
  return { vpcep, deps, objects, state, logs, service, remember, scan };
}

const all = async (changes: AsyncIterable<Change>): Promise<Change[]> => {
  const list: Change[] = [];
  for await (const change of changes) list.push(change);
  return list;
};
const pageKeys = (w: ReturnType<typeof world>) => [...w.objects.objects.keys()].filter((key) => key.includes('/snapshots/')).sort();

const read = (result: ScanResult, id: string) => result.read.find((entry) => entry.service.id === id)!;

/** The next scan of the same world, from the state this one would save. */
const rescan = async (w: ReturnType<typeof world>, result: ScanResult, options: { maxChanges?: number } = {}) => {
  for (const [id, snapshot] of result.services) w.state.services.set(id, snapshot);
  for (const [id, book] of result.pending) w.state.pending.set(id, book);
  w.state.generation += 1;
  return w.scan(options);
};

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
  it('reports a service whose connections did not change as read but not changed, keeps its snapshot object, and reads and writes no page', async () => {
    const w = world();
    const list = many('c', 3);
    w.service('s', list);
    const snapshot = w.remember('s', list);
    const before = new Map(w.objects.objects);
    const gets: string[] = [];
    const get = w.objects.get.bind(w.objects);
    w.objects.get = async (key) => (gets.push(key), get(key));
    const result = await w.scan();
    expect(result.read.map((entry) => entry.service.id)).toEqual(['s']);
    expect(read(result, 's').count).toBe(0);
    expect(await all(read(result, 's').changes())).toEqual([]);
    expect(result.changed).toEqual([]);
    expect(result.services.get('s')!.pages).toBe(snapshot.pages);
    expect(gets).toEqual([]);
    expect(w.objects.objects).toEqual(before);
  });

  it('diffs a page whose statuses moved against its stored page only, and writes that page alone', async () => {
    const w = world();
    const list = many('c', 2500);
    const snapshot = w.remember('s', list);
    const now = [...list];
    now[1500] = connection('c1500', 'failed');
    w.service('s', now);
    const gets: string[] = [];
    const get = w.objects.get.bind(w.objects);
    w.objects.get = async (key) => (gets.push(key), get(key));
    const result = await w.scan();
    const entry = read(result, 's');
    expect(entry.count).toBe(1);
    expect(await all(entry.changes())).toEqual([expect.objectContaining({ kind: 'status', from: 'accepted', record: expect.objectContaining({ id: 'c1500', status: 'failed' }) })]);
    expect(entry.keptChanges.map((change) => change.record.id)).toEqual(['c1500']);
    const pages = result.services.get('s')!.pages;
    expect([pages[0], pages[2]]).toEqual([snapshot.pages[0], snapshot.pages[2]]);
    expect(pages[1]).not.toBe(snapshot.pages[1]);
    expect(gets).toEqual([expect.stringMatching(/snapshots\/s\/00001-1-[0-9a-f]{32}\.txt$/)]);
    expect(pageKeys(w)).toHaveLength(4);
    expect(pageKeys(w)).toContain(`vpcep-monitor/snapshots/s/00001-${pages[1]}.txt`);
  });

  it('diffs the pages that no longer line up (a connection removed) as one stretch, and finds exactly the change', async () => {
    const w = world();
    const list = many('c', 2500);
    w.remember('s', list);
    const now = list.filter((c) => c.id !== 'c10');
    now[2000] = connection(now[2000]!.id, 'pendingAcceptance');
    w.service('s', [...now, connection('new', 'pendingAcceptance')]);
    const entry = read(await w.scan(), 's');
    const changes = (await all(entry.changes())).map((change) => [change.kind, change.record.id]);
    expect(changes.sort()).toEqual([['added', 'new'], ['removed', 'c10'], ['status', 'c2001']].sort());
    expect(entry.count).toBe(3);
    expect(entry.keptChanges.map((change) => change.record.id).sort()).toEqual(['c2001', 'new']);
  });

  it.each([false, true])('finds exactly what changed when a connection near the start went and every later page moved (dry run: %s)', async (dryRun) => {
    const w = world();
    const list = many('c', 5_000);
    w.remember('s', list);
    const now = list.filter((c) => c.id !== 'c3');
    now[2_500] = connection(now[2_500]!.id, 'failed');
    w.service('s', [...now, connection('late', 'pendingAcceptance')]);
    const entry = read(await w.scan({ dryRun }), 's');
    const changes = (await all(entry.changes())).map((change) => [change.kind, change.record.id, change.kind === 'status' ? change.from : null]);
    expect(changes.sort()).toEqual([['added', 'late', null], ['removed', 'c3', null], ['status', 'c2501', 'accepted']].sort());
    expect(entry.count).toBe(3);
  });

  it('on a page change that moved no status (a new updated_at), writes the page and reports no change', async () => {
    const w = world();
    const list = many('c', 3);
    const snapshot = w.remember('s', list);
    w.service('s', [list[0]!, connection('c1', 'accepted', { updatedAt: '2026-11-25T11:30:00Z' }), list[2]!]);
    const result = await w.scan();
    expect(read(result, 's').count).toBe(0);
    expect(result.services.get('s')!.pages).not.toEqual(snapshot.pages);
  });

  it.each(['no snapshot', 'an empty snapshot'])('counts a baseline (%s) and walks it back from the pages it wrote', async (from) => {
    const w = world();
    if (from === 'an empty snapshot') w.remember('s', []);
    w.service('s', [...many('c', 2500), connection('p', 'pendingAcceptance')]);
    const entry = read(await w.scan(), 's');
    expect(entry.count).toBe(2501);
    expect(entry.keptChanges.map((change) => [change.kind, change.record.id])).toEqual([['added', 'p']]);
    expect(pageKeys(w)).toHaveLength(3);
    const changes = await all(entry.changes());
    expect(changes).toHaveLength(2501);
    expect(changes.every((change) => change.kind === 'added')).toBe(true);
  });

  it('in a dry run diffs the changed pages but writes none', async () => {
    const w = world();
    const list = many('c', 3);
    w.remember('s', list);
    w.service('s', [list[0]!, connection('c1', 'failed'), list[2]!]);
    const before = pageKeys(w);
    const entry = read(await w.scan({ dryRun: true }), 's');
    expect(entry.keptChanges.map((change) => change.record.id)).toEqual(['c1']);
    expect(pageKeys(w)).toEqual(before);
  });

  it('never diffs against a stored page that is missing or damaged: reads the service afresh as its new baseline and says so', async () => {
    for (const damage of ['missing', 'changed'] as const) {
      const w = world();
      const list = many('c', 3);
      const snapshot = w.remember('s', list);
      const key = `vpcep-monitor/snapshots/s/00000-${snapshot.pages[0]}.txt`;
      if (damage === 'missing') w.objects.objects.delete(key);
      else w.objects.objects.set(key, encodeChunk(many('x', 3)));
      w.service('s', [list[0]!, connection('c1', 'failed'), list[2]!]);
      const result = await w.scan();
      const entry = read(result, 's');
      expect(entry.count, damage).toBe(0);
      expect(entry.keptChanges).toEqual([]);
      expect(result.services.get('s')!.total).toBe(3);
      expect(w.vpcep.calls.length, damage).toBe(2);
      expect(w.logs().filter((line) => line.level === 50).map((line) => line.msg), damage).toEqual([expect.stringContaining(`${key} ${damage === 'missing' ? 'is missing' : 'does not hold the records its name says'}`)]);
    }
  });
});

describe('scanAll: answers VPCEP gave before', () => {
  /** Scans once more against the snapshot the last scan made, as the next run would. */
  it('parses no page VPCEP answers byte for byte as last time, and reads the same counts and kept connections from the state', async () => {
    const w = world();
    w.vpcep.answerDigests = true;
    w.service('s', [...many('c', 2500), connection('p', 'pendingAcceptance', { description: 'team a' }), connection('f', 'failed', { errors: [{ code: 'E', message: 'm' }] })]);
    const first = await w.scan();
    expect(w.vpcep.parsedPages).toBe(3);
    const second = await rescan(w, first);
    expect(w.vpcep.parsedPages).toBe(3);
    expect(read(second, 's')).toMatchObject({ count: 0, counts: read(first, 's').counts });
    // Unchanged, the page keeps whole only the request waiting: the failed connection changed nothing.
    expect([...read(first, 's').kept.keys()]).toEqual(['p', 'f']);
    expect([...read(second, 's').kept.values()]).toEqual([read(first, 's').kept.get('p')]);
    expect(read(second, 's').pending.map((c) => [c.id, c.description])).toEqual([['p', 'team a']]);
    expect(second.services.get('s')!.answers).toBe(first.services.get('s')!.answers);
    expect(second.services.get('s')!.pages).toBe(first.services.get('s')!.pages);
  });

  it('parses no page of rejected connections twice either: an answer keeps whole only the requests waiting', async () => {
    const w = world();
    w.vpcep.answerDigests = true;
    w.service('s', [...many('r', 1500, 'rejected'), connection('p', 'pendingAcceptance')]);
    const first = await w.scan();
    expect(w.vpcep.parsedPages).toBe(2);
    expect(first.services.get('s')!.answers!.map((answer) => answer?.kept.map((c) => c.id))).toEqual([[], ['p']]);
    const second = await rescan(w, first);
    expect(w.vpcep.parsedPages).toBe(2);
    expect(read(second, 's').pending.map((c) => c.id)).toEqual(['p']);
  });

  it('parses a page whose answer changed though its records did not (a description), and keeps the new answer', async () => {
    const w = world();
    w.vpcep.answerDigests = true;
    w.service('s', [...many('c', 1500), connection('p', 'pendingAcceptance', { description: 'before' })]);
    const first = await w.scan();
    w.vpcep.connections.get('s')!.at(-1)!.description = 'after';
    const second = await rescan(w, first);
    expect(w.vpcep.parsedPages).toBe(3);
    expect(read(second, 's').count).toBe(0);
    expect(second.services.get('s')!.pages).toBe(first.services.get('s')!.pages);
    expect(second.services.get('s')!.answers).not.toBe(first.services.get('s')!.answers);
    expect(read(second, 's').pending[0]!.description).toBe('after');
  });

  it('still checks the ids of a page not parsed when another page changed', async () => {
    const w = world();
    w.vpcep.answerDigests = true;
    w.service('s', many('c', 2000));
    const first = await w.scan();
    // Page 2 now repeats c0 in place of c1999: the same count, one id twice.
    w.vpcep.connections.get('s')![1999] = connection('c0', 'accepted');
    const error = await rescan(w, first);
    expect(error.failedServices).toEqual(['s']);
    expect(w.logs().some((line) => String(line.msg).includes('1999 distinct connections read, total_count says 2000'))).toBe(true);
  });

  it('uses no answer kept for another choice of connections to keep (ALERT_STATUSES changed)', async () => {
    const w = world();
    w.vpcep.answerDigests = true;
    w.service('s', [connection('a', 'accepted'), connection('c', 'creating')]);
    const first = await w.scan();
    const later = world({ ALERT_STATUSES: 'creating' });
    later.vpcep.answerDigests = true;
    later.service('s', [connection('a', 'accepted'), connection('c', 'creating')]);
    for (const [id, snapshot] of first.services) later.state.services.set(id, snapshot);
    later.objects.objects = w.objects.objects;
    const second = await later.scan();
    expect(later.vpcep.parsedPages).toBe(1);
    expect(second.services.get('s')!.answers).not.toBe(first.services.get('s')!.answers);
    expect(second.services.get('s')!.answersFor).not.toBe(first.services.get('s')!.answersFor);
  });
});

describe('scanAll: what a run holds', () => {
  it('holds whole, of pages that did not change, only the requests waiting: not every rejected or failed connection', async () => {
    const w = world();
    const rejected = many('r', 3000).map((c) => ({ ...c, status: 'rejected', description: 'no' }));
    w.service('s', [...rejected, connection('p', 'pendingAcceptance'), connection('n', 'accepted'), connection('x', 'rejected')]);
    const first = await w.scan();
    expect(read(first, 's').kept.size).toBe(3002); // the baseline: every one of them is news
    w.vpcep.connections.get('s')!.find((c) => c.id === 'n')!.status = 'failed';
    const second = await rescan(w, first);
    // The last page changed: of it, the connection that changed and the one waiting are held whole,
    // not 'x', rejected before and after; the three pages before it keep only waiting ones (none).
    expect(read(second, 's').keptChanges.map((change) => change.record.id)).toEqual(['n']);
    expect([...read(second, 's').kept.keys()].sort()).toEqual(['n', 'p']);
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
    const snapshot = w.remember('s', list);
    const book = new Map<string, PendingRecord>([['p', { since: '2026-11-01T00:00:00.000Z', notifiedAt: '2026-11-01T00:00:00.000Z' }]]);
    w.state.pending.set('s', book);
    w.vpcep.failService.add('s');
    const result = await w.scan();
    expect(result.failedServices).toEqual(['s']);
    expect(result.services.get('s')).toBe(snapshot);
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
    expect((await all(result.changed[0]!.changes())).map((change) => [change.kind, change.record.id])).toEqual([['removed', 'a0'], ['removed', 'a1']]);
    expect(result.failedServices).toEqual([]);
    expect(result.services.size).toBe(0);
  });

  it('keeps a configured service VPCEP does not know, and logs it as an error', async () => {
    const w = world({ VPCEP_SERVICE_IDS: X });
    const snapshot = w.remember(X, many('c', 1));
    const book = new Map<string, PendingRecord>();
    w.state.pending.set(X, book);
    const result = await w.scan();
    expect(result.failedServices).toEqual([X]);
    expect(result.changed).toEqual([]);
    expect(result.services.get(X)).toBe(snapshot);
    expect(result.pending.get(X)).toBe(book);
    expect(w.logs().filter((line) => line.level === 50)).toEqual([expect.objectContaining({
      serviceId: X,
      api: 'vpcep:epservices:get',
      msg: `service ${X} named in VPCEP_SERVICE_IDS was not found in project ${PROJECT}; next run will look again`,
    })]);
  });
});

describe('scanAll: an alert storm', () => {
  it('holds at most its room of changes, leaves the other changed pages as stored, and the next runs find each change once', async () => {
    const w = world();
    // Answers known by their bytes: a page left for later must not be taken for one already seen.
    w.vpcep.answerDigests = true;
    w.service('s', many('c', 3500));
    w.service('t', many('d', 10));
    let result = await w.scan();
    // Statuses kept by no one on s (so its pages' answers are kept in the state), rejections on t.
    for (const c of w.vpcep.connections.get('s')!) c.status = 'creating';
    for (const c of w.vpcep.connections.get('t')!) c.status = 'rejected';
    const seen: string[] = [];
    const held: number[] = [];
    for (let run = 0; run < 5; run++) {
      result = await rescan(w, result, { maxChanges: 1500 });
      const changes = result.read.flatMap((entry) => [...(entry.held ?? [])]);
      held.push(changes.length);
      seen.push(...changes.map((change) => `${change.record.id}:${change.kind === 'status' ? change.from : ''}->${change.record.status}`));
      // The counts are VPCEP's as they are now, whatever the run held.
      expect(read(result, 's').counts.byStatus.get('creating')).toBe(3500);
    }
    // No run held more than its room (a page is 1,000 changes, so at most one page and the small one).
    for (const count of held) expect(count).toBeLessThanOrEqual(1500);
    expect(held.reduce((sum, count) => sum + count, 0)).toBe(3510);
    expect(held.at(-1)).toBe(0);
    // Every change found once, as the change it was: nothing lost, nothing twice.
    expect(new Set(seen).size).toBe(3510);
    expect(seen.filter((change) => change.endsWith(':accepted->creating'))).toHaveLength(3500);
    expect(seen.filter((change) => change.endsWith(':accepted->rejected'))).toHaveLength(10);
    // The first runs said they left pages for the next, and how many; the quiet last one did not.
    const storms = w.logs().filter((line) => String(line.msg).startsWith('alert storm'));
    expect(storms.length).toBeGreaterThanOrEqual(2);
    expect(storms[0]).toMatchObject({ maxChanges: 1500, serviceIds: ['s'] });
    expect(result.deferred).toBeUndefined();
  });

  it('always takes the first page of a run, however many changes it holds', async () => {
    const w = world();
    w.service('s', many('c', 2000));
    let result = await w.scan();
    for (const c of w.vpcep.connections.get('s')!) c.status = 'failed';
    result = await rescan(w, result, { maxChanges: 10 });
    expect(read(result, 's').held).toHaveLength(1000);
    expect(result.deferred).toEqual({ pages: 1, services: ['s'] });
    result = await rescan(w, result, { maxChanges: 10 });
    expect(read(result, 's').held).toHaveLength(1000);
    expect(result.deferred).toBeUndefined();
  });

  it('on first sight of a service, alerts what needs someone up to its room, records the rest, and keeps every waiting request', async () => {
    const w = world();
    const rejected = many('r', 3000).map((c) => ({ ...c, status: 'rejected' }));
    w.service('s', [...rejected, connection('p', 'pendingAcceptance')]);
    const first = await w.scan({ maxChanges: 1500 });
    const entry = read(first, 's');
    // A page of 1,000 fitted; the other two did not: 2,000 counted, not held. The waiting request is held.
    expect(first.unalerted).toBe(2000);
    expect(entry.keptChanges).toHaveLength(1001);
    expect(entry.keptChanges.some((change) => change.record.id === 'p')).toBe(true);
    expect([...entry.kept.keys()]).toContain('p');
    // Every connection is in the snapshot: the count, the pages, the trail's records.
    expect(entry.count).toBe(3001);
    expect(first.services.get('s')).toMatchObject({ total: 3001 });
    expect(await all(entry.changes())).toHaveLength(3001);
    const said = w.logs().find((line) => String(line.msg).startsWith('first sight of 2000 more'));
    expect(said).toMatchObject({ unalerted: 2000, serviceIds: ['s'], maxChanges: 1500 });
    expect(first.deferred).toBeUndefined();
    // The next run compares with that snapshot as with any: nothing changed, nothing to say.
    const second = await rescan(w, first, { maxChanges: 1500 });
    expect(read(second, 's').count).toBe(0);
    expect(second.unalerted).toBeUndefined();
  });
});

