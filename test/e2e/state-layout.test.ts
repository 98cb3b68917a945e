/**
 * The state kept as a small state object and one object per page of each service's snapshot
 * (schema 4): what a run writes, that a state of the previous schema is migrated once, and that a
 * torn or half-written layout is never diffed. The built bundle, invoked as FunctionGraph would,
 * against the local cloud. Each test names its row of the fault table.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../functions/connection-monitor/index.js';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { chunksOf } from '../../lib/monitor/records.js';
import { parseState } from '../../lib/monitor/state.js';
import { failure } from '../support.js';
import { bundle, capturingOutput, jsonLogLines, userDataFor } from './harness.js';

const credentials = { ak: 'STATELAYOUTAK0000001', sk: 'state-layout-secret-key-0000000000001' };
const STATE = 'vpcep-monitor/state.json';
const PAGES = 'vpcep-monitor/snapshots/';

let cloud: LocalCloud;
let userData: Record<string, string>;
let output: string[];

beforeEach(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket('state');
  userData = userDataFor(cloud, 'state');
  output = [];
});
afterEach(async () => {
  await cloud.stop();
});

const invoke = (): Promise<Summary> => capturingOutput(output, () => bundle.handler(timerEvent(), functionGraphContext({ userData, credentials })));
const stored = (key = STATE) => cloud.getObject('state', key)?.toString();
const state = () => parseState(stored()!);
const trail = (): AuditRecord[] =>
  cloud.objectKeys('state', 'vpcep-monitor/audit/').flatMap((key) => stored(key)!.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditRecord));
/** The OBS writes of the last invocation: key and bytes. */
const writes = () => cloud.calls.filter((call) => call.service === 'obs' && (call.method === 'PUT' || call.method === 'DELETE')).map((call) => ({ method: call.method, path: decodeURIComponent(call.path), bytes: call.bodyBytes }));
const pageKeys = () => cloud.objectKeys('state', PAGES);

describe('what a run writes', () => {
  it('F64: one changed connection among 100,000 writes its page, the state object and the trail: under 1 MiB; a quiet pass writes nothing', { timeout: 60_000 }, async () => {
    const service = cloud.addService({ name: 'big' }).id;
    const connections = cloud.addConnections(service, 100_000);
    await invoke();
    expect(pageKeys()).toHaveLength(100);
    expect(state().services.get(service)).toMatchObject({ total: 100_000 });
    expect(stored()!.length).toBeLessThan(20_000);

    cloud.resetCalls();
    expect(await invoke()).toMatchObject({ changes: 0, published: 0 });
    expect(writes()).toEqual([]);
    // A quiet pass reads the state object and no page.
    expect(cloud.calls.filter((call) => call.service === 'obs' && call.path.includes('/snapshots/'))).toEqual([]);

    cloud.setStatus(service, connections[54_321]!.id, 'failed', [{ error_code: 'EndPoint.2014', error_message: 'No free IP addresses.' }]);
    cloud.resetCalls();
    expect(await invoke()).toMatchObject({ changes: 1, alerts: 1, published: 1 });
    const written = writes();
    const bytes = written.reduce((sum, write) => sum + write.bytes, 0);
    expect(bytes).toBeLessThan(1024 * 1024);
    const pagesWritten = written.filter((write) => write.method === 'PUT' && write.path.includes('/snapshots/'));
    expect(pagesWritten).toHaveLength(1);
    expect(pagesWritten[0]!.path).toContain(`/snapshots/${service}/00054-`);
    // The page it replaced is deleted once the state names the new one.
    expect(written.filter((write) => write.method === 'DELETE' && write.path.includes('/snapshots/'))).toHaveLength(1);
    expect(pageKeys()).toHaveLength(100);
  });

  it('F65: a new connection lands on the last page: that page alone is written', async () => {
    const service = cloud.addService({ name: 'svc' }).id;
    cloud.addConnections(service, 2_500);
    await invoke();
    const before = state().services.get(service)!.pages;
    cloud.addConnection(service, { status: 'pendingAcceptance' });
    cloud.resetCalls();
    expect(await invoke()).toMatchObject({ changes: 1, alerts: 1 });
    const after = state().services.get(service)!.pages;
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    expect(after[2]).not.toBe(before[2]);
    expect(writes().filter((write) => write.method === 'PUT' && write.path.includes('/snapshots/'))).toHaveLength(1);
  });
});

describe('the previous layout', () => {
  it('F66: a schema 3 state is read, diffed and migrated once: its pages and a schema 4 state are written, and the next quiet pass writes nothing', async () => {
    const service = cloud.addService({ name: 'svc' }).id;
    const connections = cloud.addConnections(service, 1_500);
    // What the previous version stored: the records themselves, newest first as it listed them.
    const records = cloud.listConnections(service).map((c) => ({ id: c.id, status: c.status, updatedAt: c.updated_at, domainId: c.domain_id })).reverse();
    const chunks = chunksOf(records);
    const v3 = [
      JSON.stringify({ schemaVersion: 3, generation: 9, savedAt: '2026-11-25T11:00:00.000Z', runId: 'old', services: 1, outbox: [], pending: {} }),
      JSON.stringify({ service, name: 'svc', scannedAt: '2026-11-25T11:00:00.000Z', chunks: chunks.length }),
      ...chunks.map((chunk) => JSON.stringify(chunk)),
    ].join('\n');
    cloud.putObject('state', STATE, `${v3}\n`);
    cloud.setStatus(service, connections[700]!.id, 'pendingAcceptance');

    const summary = await invoke();
    expect(summary).toMatchObject({ baseline: false, changes: 1, alerts: 1 });
    expect(trail().filter((record) => record.change !== 'delivered').map((record) => [record.connectionId, record.change, record.from, record.to])).toEqual([[connections[700]!.id, 'status', 'accepted', 'pendingAcceptance']]);
    expect(JSON.parse(stored()!.split('\n')[0]!)).toMatchObject({ schemaVersion: 4 });
    expect(state().services.get(service)).toMatchObject({ total: 1_500 });
    expect(pageKeys()).toHaveLength(2);
    expect(jsonLogLines(output).some((line) => String(line.msg).includes('has schema 3: this run writes its snapshot as pages'))).toBe(true);

    cloud.resetCalls();
    expect(await invoke()).toMatchObject({ changes: 0, published: 0 });
    expect(writes()).toEqual([]);
  });
});

describe('a torn or half-written layout', () => {
  it('F67: a page the state names that is missing is never diffed: its service is read afresh as a new baseline, others alert as usual', async () => {
    const torn = cloud.addService({ name: 'torn' }).id;
    const fine = cloud.addService({ name: 'fine' }).id;
    const tornConnections = cloud.addConnections(torn, 10);
    const fineConnections = cloud.addConnections(fine, 10);
    await invoke();
    const [page] = cloud.objectKeys('state', `${PAGES}${torn}/`);
    cloud.deleteObject('state', page!);
    cloud.setStatus(torn, tornConnections[3]!.id, 'failed');
    cloud.setStatus(fine, fineConnections[4]!.id, 'failed');

    const summary = await invoke();
    expect(summary).toMatchObject({ changes: 1, alerts: 1 });
    expect(trail().filter((record) => record.change === 'status').map((record) => record.connectionId)).toEqual([fineConnections[4]!.id]);
    const errors = jsonLogLines(output).filter((line) => line.level === 'error');
    expect(errors.map((line) => line.msg)).toEqual([expect.stringContaining(`snapshot page ${page} is missing; its snapshot could not be compared, so it was read afresh and recorded as a new baseline of this service`)]);
    // Repaired: the service's pages are whole again and the next run compares as usual.
    cloud.setStatus(torn, tornConnections[5]!.id, 'rejected');
    output.length = 0;
    expect(await invoke()).toMatchObject({ changes: 1, alerts: 1 });
    expect(jsonLogLines(output).filter((line) => line.level === 'error')).toEqual([]);
  });

  it('F68: a run that dies after writing pages but before the state leaves the previous state whole; the next run alerts once and deletes the pages no state names', async () => {
    const service = cloud.addService({ name: 'svc' }).id;
    const connections = cloud.addConnections(service, 10);
    await invoke();
    const before = stored();
    cloud.setStatus(service, connections[2]!.id, 'failed');
    cloud.inject({ service: 'obs', api: 'obs:object:PutObject', match: (req) => req.path.endsWith('/state.json'), kind: 'status', status: 503, times: Number.POSITIVE_INFINITY });
    await failure(invoke());
    expect(stored()).toBe(before);
    expect(pageKeys()).toHaveLength(2); // the named page and the orphan
    expect(cloud.published).toHaveLength(0);

    cloud.clearFaults();
    expect(await invoke()).toMatchObject({ changes: 1, alerts: 1, published: 1 });
    expect(pageKeys()).toEqual([expect.stringContaining(`${PAGES}${service}/00000-${state().services.get(service)!.pages[0]}`)]);
    expect(cloud.published).toHaveLength(1);
  });
});

describe('an alert storm', () => {
  it('F70: 12,000 connections rejected at once go out over two runs, each alert once, none lost, and a quiet run after', { timeout: 60_000 }, async () => {
    const service = cloud.addService({ name: 'storm' }).id;
    const connections = cloud.addConnections(service, 12_000);
    await invoke();
    for (const connection of connections) cloud.setStatus(service, connection.id, 'rejected');

    const first = await invoke();
    // The run holds at most MAX_CHANGES_PER_RUN (10,000) changes: ten pages of 1,000, two left.
    expect(first).toMatchObject({ changes: 10_000, alerts: 10_000, undelivered: 0, deferredPages: 2, failedServices: [] });
    const warning = jsonLogLines(output).find((line) => String(line.msg).startsWith('alert storm'));
    expect(warning).toMatchObject({ level: 'warn', deferredPages: 2, serviceIds: [service], maxChanges: 10_000 });
    const second = await invoke();
    expect(second).toMatchObject({ changes: 2_000, alerts: 2_000, undelivered: 0, failedServices: [] });
    expect(second.deferredPages).toBeUndefined();
    expect(await invoke()).toMatchObject({ changes: 0, alerts: 0, published: 0 });

    // Every rejection published once, as machines read them.
    const published = cloud.published.flatMap((message) => (JSON.parse(message.messageStructure!.default!) as { events: { connectionId: string; to: string }[] }).events);
    expect(published).toHaveLength(12_000);
    expect(new Set(published.map((event) => event.connectionId))).toEqual(new Set(connections.map((connection) => connection.id)));
    expect(published.every((event) => event.to === 'rejected')).toBe(true);
    // And recorded once in the trail; the state names the new pages.
    expect(trail().filter((record) => record.change === 'status' && record.to === 'rejected')).toHaveLength(12_000);
    expect(state().services.get(service)).toMatchObject({ total: 12_000 });
  });

  it('F70: a function of 256 MB holds twice the changes: the same storm goes out in one run', { timeout: 60_000 }, async () => {
    const service = cloud.addService({ name: 'storm' }).id;
    const connections = cloud.addConnections(service, 12_000);
    const invoke256 = () => capturingOutput(output, () => bundle.handler(timerEvent(), functionGraphContext({ userData, credentials, memorySize: 256 })));
    await invoke256();
    for (const connection of connections) cloud.setStatus(service, connection.id, 'failed');
    const summary = await invoke256();
    expect(summary).toMatchObject({ changes: 12_000, alerts: 12_000, undelivered: 0 });
    expect(summary.deferredPages).toBeUndefined();
  });

  it('F71: a first run over 12,000 rejected connections alerts 10,000 of them, records all, and runs quiet after', { timeout: 60_000 }, async () => {
    const service = cloud.addService({ name: 'old-rejections' }).id;
    cloud.addConnections(service, 12_000, { status: 'rejected' });
    const first = await invoke();
    expect(first).toMatchObject({ baseline: true, alerts: 10_000, unalerted: 2_000, undelivered: 0, failedServices: [] });
    const said = jsonLogLines(output).find((line) => String(line.msg).startsWith('first sight of 2000 more'));
    expect(said).toMatchObject({ level: 'warn', unalerted: 2_000, serviceIds: [service] });
    expect(state().services.get(service)).toMatchObject({ total: 12_000 });
    expect(trail().filter((record) => record.change === 'added')).toHaveLength(12_000);
    expect(await invoke()).toMatchObject({ changes: 0, alerts: 0, published: 0 });
  });
});

