/**
 * Attribution and the door through whole runs on hand-written fakes: a clock the test moves, CTS
 * traces it puts in, whitelists it changes, calls it counts.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { AGENCY_USER } from '../../lib/monitor/attribution.js';
import { phaseOf } from '../../lib/monitor/door.js';
import type { CtsTrace, MonitorDeps, SmnMessage } from '../../lib/monitor/ports.js';
import { runMonitor } from '../../lib/monitor/run-monitor.js';
import { parseState } from '../../lib/monitor/state.js';
import { connection, FakeCts, FakeObjects, FakePublisher, FakeVpcep, memoryLogger } from '../fakes.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const SVC = '11111111-1111-4111-8111-111111111111';
const HOUR = 3_600_000;

function world(settings: Record<string, string> = {}, options: { cts?: boolean } = {}) {
  const config = loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT, ...settings })[name]);
  const vpcep = new FakeVpcep();
  vpcep.services = [{ id: SVC, name: 'payments', approvalEnabled: true }];
  vpcep.connections.set(SVC, [connection('c1', 'pendingAcceptance'), connection('c2', 'pendingAcceptance'), connection('c3', 'accepted')]);
  const objects = new FakeObjects();
  const publisher = new FakePublisher();
  const cts = new FakeCts();
  const { logger, lines } = memoryLogger();
  const clock = { now: new Date('2026-11-25T12:00:00Z') };
  let run = 0;
  const deps: MonitorDeps = { vpcep, objects, publisher, logger, now: () => clock.now, budget: UNLIMITED, ...(options.cts === false ? {} : { cts }) };
  const pass = () => runMonitor(config, deps, { runId: `run-${++run}`, leaseExpiresAt: clock.now });
  const later = (ms: number) => {
    clock.now = new Date(clock.now.getTime() + ms);
  };
  const trail = (): AuditRecord[] => [...objects.objects].filter(([key]) => key.includes('/audit/')).sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([, body]) => body.trim().split('\n').map((line) => JSON.parse(line) as AuditRecord));
  const state = () => parseState(objects.objects.get('vpcep-monitor/state.json')!);
  const set = (id: string, status: string) => {
    const list = vpcep.connections.get(SVC)!;
    const next = connection(id, status, { updatedAt: clock.now.toISOString() });
    const index = list.findIndex((c) => c.id === id);
    if (index === -1) list.push(next);
    else list[index] = next;
  };
  const trace = (connectionId: string, action: string, name: string, overrides: Partial<CtsTrace> = {}): CtsTrace => ({
    traceId: `trace-${connectionId}`, time: clock.now.toISOString(), traceName: 'serviceConnectionsAction', resourceId: SVC, connectionIds: [connectionId], action,
    user: { name, type: 'IAMUser', accountName: 'acme' }, sourceIp: '192.0.2.10', ...overrides,
  });
  return { config, vpcep, cts, publisher, objects, lines, pass, later, trail, state, set, trace, clock };
}

const email = (message: SmnMessage | undefined): string => message?.structure?.email ?? '';
const json = (message: SmnMessage | undefined) => JSON.parse(message?.structure?.default ?? '{}') as { events: Record<string, unknown>[] };

describe('attribution through runs', () => {
  it('names the person who rejected a connection in the alert and the trail, and the one who accepted in the trail', async () => {
    const w = world();
    await w.pass();
    w.later(5 * 60_000);
    w.set('c1', 'rejected');
    w.set('c2', 'accepted');
    w.cts.traces.push(w.trace('c1', 'reject', 'alice'), w.trace('c2', 'receive', 'bob'));
    w.later(60_000);
    await w.pass();
    expect(w.cts.queries).toHaveLength(1);
    const alert = w.publisher.messages.at(-1);
    expect(email(alert)).toContain('c1: pendingAcceptance -> rejected at');
    expect(email(alert)).toContain('by alice (IAMUser, account acme) from 192.0.2.10, trace trace-c1');
    expect(alert?.structure?.sms).toContain('rejected c1 by alice');
    expect(json(alert).events[0]).toMatchObject({ by: { source: 'trace', user: 'alice', traceId: 'trace-c1' } });
    const records = w.trail().filter((r) => r.change === 'status');
    expect(records.find((r) => r.connectionId === 'c1')).toMatchObject({ attribution: 'trace', by: 'alice', byType: 'IAMUser', account: 'acme', sourceIp: '192.0.2.10', traceId: 'trace-c1' });
    expect(records.find((r) => r.connectionId === 'c2')).toMatchObject({ attribution: 'trace', by: 'bob' });
  });

  it('looks a transition up again in the next run when its trace is late, and records who once found', async () => {
    const w = world();
    await w.pass();
    w.later(5 * 60_000);
    w.set('c1', 'rejected');
    await w.pass();
    expect(email(w.publisher.messages.at(-1))).toContain('by: not known yet');
    expect(w.trail().find((r) => r.change === 'status')).toMatchObject({ attribution: 'pending' });
    expect(w.state().attribution?.waiting.map((t) => t.connectionId)).toEqual(['c1']);
    // The trace arrives two minutes late, with the time of the action.
    w.cts.traces.push(w.trace('c1', 'reject', 'carol', { time: new Date(w.clock.now.getTime() - 60_000).toISOString() }));
    w.later(5 * 60_000);
    await w.pass();
    expect(w.trail().filter((r) => r.change === 'attribution')).toEqual([expect.objectContaining({ connectionId: 'c1', attribution: 'trace', by: 'carol', from: 'pendingAcceptance', to: 'rejected' })]);
    expect(w.state().attribution).toBeUndefined();
    // Nothing more to look up: no further CTS query.
    const queries = w.cts.queries.length;
    w.later(5 * 60_000);
    await w.pass();
    expect(w.cts.queries).toHaveLength(queries);
  });

  it('gives up with "unknown" when the next run finds no trace either', async () => {
    const w = world();
    await w.pass();
    w.later(5 * 60_000);
    w.set('c1', 'rejected');
    await w.pass();
    w.later(5 * 60_000);
    await w.pass();
    expect(w.trail().filter((r) => r.change === 'attribution')).toEqual([expect.objectContaining({ connectionId: 'c1', attribution: 'unknown' })]);
    expect(w.trail().find((r) => r.change === 'attribution')!.by).toBeUndefined();
  });

  it('delivers the alert without a name when CTS answers 403, logging it once', async () => {
    const w = world();
    await w.pass();
    w.later(5 * 60_000);
    w.set('c1', 'rejected');
    w.set('c2', 'rejected');
    w.cts.failure = Object.assign(new Error('cts:trace:list failed: HTTP 403 CTS.0003 no permission'), { status: 403, code: 'CTS.0003' });
    const summary = await w.pass();
    expect(summary).toMatchObject({ alerts: 2, undelivered: 0 });
    expect(email(w.publisher.messages.at(-1))).toMatch(/c1: pendingAcceptance -> rejected .*by: not known yet/);
    const warnings = w.lines().filter((line) => line.includes('asking CTS'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ status: 403, code: 'CTS.0003', transitions: 2 });
  });

  it('says "unknown" at once without CTS, and asks nothing', async () => {
    const w = world({}, { cts: false });
    await w.pass();
    w.later(5 * 60_000);
    w.set('c1', 'rejected');
    await w.pass();
    expect(email(w.publisher.messages.at(-1))).toContain('by: unknown');
    expect(w.trail().find((r) => r.change === 'status')).toMatchObject({ attribution: 'unknown' });
    expect(w.cts.queries).toHaveLength(0);
  });

  it("attributes our approval policy's accept to the function's agency, not to a trace", async () => {
    const w = world({ APPROVAL_MODE: 'enforce', AUTO_ACCEPT_DOMAINS: 'a'.repeat(32) });
    w.vpcep.connections.set(SVC, [connection('c1', 'pendingAcceptance', { domainId: 'a'.repeat(32) })]);
    await w.pass();
    expect(w.trail().find((r) => r.change === 'action')).toMatchObject({ attribution: 'policy', by: AGENCY_USER, outcome: 'done' });
    expect(w.state().attribution?.acted).toEqual([expect.objectContaining({ connectionId: 'c1', to: 'accepted' })]);
    w.later(5 * 60_000);
    await w.pass();
    expect(w.trail().find((r) => r.change === 'status' && r.connectionId === 'c1')).toMatchObject({ attribution: 'policy', by: AGENCY_USER });
    expect(w.cts.queries).toHaveLength(0);
  });
});

describe('the door through runs', () => {
  it('alerts when approval is switched off, then on a connection that arrives already accepted', async () => {
    const w = world();
    await w.pass();
    expect(w.publisher.messages.map(email).join('')).not.toContain('door');
    w.vpcep.services[0]!.approvalEnabled = false;
    w.later(5 * 60_000);
    const summary = await w.pass();
    expect(summary.alerts).toBe(1);
    const alert = w.publisher.messages.at(-1)!;
    expect(alert.subject).toBe('[VPCEP ap-southeast-1] 1 door change (1 approval-off)');
    expect(email(alert)).toContain('door: connection approval switched OFF');
    expect(json(alert).events[0]).toMatchObject({ serviceId: SVC, to: 'approval-off', door: { kind: 'approval-off' } });
    expect(w.trail().filter((r) => r.change === 'door')).toEqual([expect.objectContaining({ door: 'approval-off', raised: true, serviceId: SVC })]);
    expect(w.state().doors?.get(SVC)?.approvalEnabled).toBe(false);
    w.later(5 * 60_000);
    w.set('c9', 'accepted');
    await w.pass();
    const second = w.publisher.messages.at(-1)!;
    expect(email(second)).toContain('c9: new -> accepted without review (connection approval is off)');
    expect(second.structure?.sms).toContain('1 unreviewed. unreviewed c9');
    // A quiet pass after that publishes and writes nothing: the door book is unchanged.
    const published = w.publisher.messages.length;
    const puts = w.objects.puts.length;
    w.later(5 * 60_000);
    await w.pass();
    expect(w.publisher.messages).toHaveLength(published);
    expect(w.objects.puts).toHaveLength(puts);
  });

  it('reads each whitelist at most once per interval, spread, and alerts when it gains * within the interval', async () => {
    const w = world();
    const ids = ['a', 'b', 'c', 'd', 'e'].map((x) => `${x.repeat(8)}-1111-4111-8111-111111111111`);
    w.vpcep.services = ids.map((id, i) => ({ id, name: `s${i}`, approvalEnabled: true }));
    for (const id of ids) w.vpcep.connections.set(id, [connection(`${id}-c`, 'accepted')]);
    // Five-minute runs for two hours.
    const reads: string[][] = [];
    for (let run = 0; run < 24; run++) {
      w.vpcep.permissionCalls = [];
      await w.pass();
      reads.push([...w.vpcep.permissionCalls]);
      w.later(5 * 60_000);
    }
    expect(reads[0]).toEqual([]); // first sight: the door is recorded, the whitelist read at its slot
    expect(Math.max(...reads.map((r) => r.length))).toBeLessThan(ids.length);
    for (const id of ids) {
      const runs = reads.flatMap((r, index) => (r.includes(id) ? [index] : []));
      expect(runs.length).toBeGreaterThanOrEqual(1);
      // Twelve runs make an hour: never twice within one.
      for (let i = 1; i < runs.length; i++) expect(runs[i]! - runs[i - 1]!).toBeGreaterThanOrEqual(11);
    }
    // * joins one whitelist: alerted within the interval (plus a run).
    w.vpcep.permissions.set(ids[2]!, ['iam:domain::*']);
    const start = w.clock.now.getTime();
    for (let run = 0; run < 13 && !w.publisher.messages.some((m) => email(m).includes('EVERY account')); run++) {
      await w.pass();
      w.later(5 * 60_000);
    }
    const alert = w.publisher.messages.find((m) => email(m).includes('whitelist opened to EVERY account (*)'));
    expect(alert).toBeDefined();
    expect(w.clock.now.getTime() - start).toBeLessThanOrEqual(HOUR + 5 * 60_000);
    expect(w.state().doors?.get(ids[2]!)?.whitelist).toEqual(['*']);
  });

  it('lists accounts the whitelist gains and loses', async () => {
    const w = world({ POSTURE_CHECK_INTERVAL: '10m' });
    w.vpcep.permissions.set(SVC, ['iam:domain::aaa', 'iam:domain::bbb']);
    for (let run = 0; run < 4; run++, w.later(5 * 60_000)) await w.pass();
    expect(w.state().doors?.get(SVC)?.whitelist).toEqual(['aaa', 'bbb']);
    w.vpcep.permissions.set(SVC, ['iam:domain::bbb', 'iam:domain::ccc']);
    for (let run = 0; run < 3; run++, w.later(5 * 60_000)) await w.pass();
    expect(email(w.publisher.messages.at(-1))).toContain('door: whitelist gained ccc; whitelist lost aaa');
    expect(w.trail().filter((r) => r.change === 'door')).toEqual([expect.objectContaining({ door: 'whitelist-changed', accountsAdded: ['ccc'], accountsRemoved: ['aaa'] })]);
  });

  it('costs a failed whitelist read only that run\'s door check, logged once, and reads it again next run', async () => {
    const w = world({ POSTURE_CHECK_INTERVAL: '10m' });
    w.vpcep.services.push({ id: '22222222-2222-4222-8222-222222222222', name: 'orders', approvalEnabled: true });
    await w.pass();
    w.vpcep.permissionsFailure = Object.assign(new Error('vpcep:endpointServices:listPermissions failed: HTTP 403 VPCEP.0002'), { status: 403 });
    w.later(20 * 60_000);
    const summary = await w.pass();
    expect(summary.failedServices).toEqual([]);
    const warnings = w.lines().filter((line) => line.includes('reading the whitelist'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ status: 403, failed: 2 });
    expect(w.vpcep.permissionCalls).toHaveLength(2);
    w.vpcep.permissionsFailure = undefined;
    w.later(60_000);
    await w.pass();
    expect(w.vpcep.permissionCalls).toHaveLength(4);
    expect(w.state().doors?.get(SVC)?.whitelist).toEqual([]);
  });

  it('spreads services by their phase within the interval', () => {
    expect(phaseOf(SVC, HOUR)).toBe(phaseOf(SVC, HOUR));
  });
});

describe('readPosture', () => {
  it('holds the run at most LOOKUP_TIMEOUT_MS when CTS and a whitelist hang, and costs only the names and that check', async () => {
    const { vi } = await import('vitest');
    const { readPosture, LOOKUP_TIMEOUT_MS } = await import('../../lib/monitor/posture.js');
    const { emptyState } = await import('../../lib/monitor/state.js');
    const { encodeChunk } = await import('../../lib/monitor/records.js');
    const { diffRecords } = await import('../../lib/monitor/diff.js');
    const config = loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT })[name]);
    const vpcep = new FakeVpcep();
    const cts = new FakeCts();
    const hang = new Promise<never>(() => undefined);
    cts.listTraces = () => hang;
    vpcep.listPermissions = () => hang;
    const { logger, lines } = memoryLogger();
    const service = { id: SVC, name: 'payments', approvalEnabled: false };
    const before = [encodeChunk([connection('c1', 'pendingAcceptance')])];
    const after = [encodeChunk([connection('c1', 'rejected')])];
    const state = { ...emptyState(), savedAt: '2026-11-25T11:00:00Z', doors: new Map([[SVC, { approvalEnabled: true, checkedAt: '2000-01-01T00:00:00Z' }]]) };
    const held = [...diffRecords(before, after)];
    const entry = { service, count: 1, held, keptChanges: [], changes: async function* () { yield* held; }, kept: new Map(), pending: [], counts: { serviceId: SVC, total: 1, byStatus: new Map() } };
    const scan = { serviceCount: 1, read: [entry], changed: [entry], failedServices: [], connections: 1, services: new Map(), pending: new Map() };
    vi.useFakeTimers({ now: new Date('2026-11-25T12:00:00Z') });
    try {
      const deps = { vpcep, objects: new FakeObjects(), publisher: new FakePublisher(), cts, logger, now: () => new Date(), budget: UNLIMITED };
      const reading = readPosture(config, deps, { state, baseline: false }, scan, '2026-11-25T12:00:00Z');
      await vi.advanceTimersByTimeAsync(LOOKUP_TIMEOUT_MS - 1);
      let done = false;
      void reading.then(() => (done = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const posture = await reading;
      expect(posture.attribution.byEvent.size).toBe(1);
      expect([...posture.attribution.byEvent.values()]).toEqual([{ source: 'pending' }]);
      expect(posture.doors).toEqual([{ service: { id: SVC, name: 'payments' }, approvalEnabled: false }]);
      expect(lines().filter((line) => line.includes('did not finish within'))).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a whitelist read refused for want of permission', () => {
  it('stops asking the other services in that run (a 403 is the agency\'s, not the service\'s) and asks again next run', async () => {
    const w = world({ POSTURE_CHECK_INTERVAL: '10m' });
    w.vpcep.services = Array.from({ length: 12 }, (_, i) => ({ id: `${String(i).padStart(8, '0')}-1111-4111-8111-111111111111`, name: `s${i}`, approvalEnabled: true }));
    await w.pass();
    w.vpcep.permissionsFailure = Object.assign(new Error('vpcep:permissions:list failed: HTTP 403 EndPoint.0004'), { status: 403 });
    w.later(20 * 60_000);
    await w.pass();
    // The four reads in flight when the first 403 came back, no more.
    expect(w.vpcep.permissionCalls.length).toBeLessThanOrEqual(4);
    const warning = JSON.parse(w.lines().find((line) => line.includes('reading the whitelist'))!) as { msg: string; notAsked: number };
    expect(warning.notAsked).toBe(12 - w.vpcep.permissionCalls.length);
    expect(warning.msg).toContain('more not asked after the 403');
    w.vpcep.permissionsFailure = undefined;
    w.vpcep.permissionCalls = [];
    w.later(60_000);
    await w.pass();
    expect(w.vpcep.permissionCalls).toHaveLength(12);
  });
});
