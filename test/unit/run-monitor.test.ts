import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { ChannelRefusedError, ForeignStateError, LeaseHeldError, OverlapError, RunIncompleteError } from '../../lib/monitor/errors.js';
import type { Checkpoint, MonitorDeps, SmnMessage } from '../../lib/monitor/ports.js';
import { runMonitor } from '../../lib/monitor/run-monitor.js';
import { parseState } from '../../lib/monitor/state.js';
import { connection, FakeMetrics, FakeObjects, FakePublisher, FakeVpcep, memoryLogger, SimulatedCrash } from '../fakes.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const SVC_A = '11111111-1111-4111-8111-111111111111';
const SVC_B = '22222222-2222-4222-8222-222222222222';

function world(settings: Record<string, string> = {}) {
  const config = loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT, ...settings })[name]);
  const vpcep = new FakeVpcep();
  vpcep.services = [{ id: SVC_A, name: 'payments' }, { id: SVC_B, name: 'orders' }];
  vpcep.connections.set(SVC_A, [connection('a1', 'accepted'), connection('a2', 'pendingAcceptance')]);
  vpcep.connections.set(SVC_B, [connection('b1', 'accepted')]);
  const objects = new FakeObjects();
  const publisher = new FakePublisher();
  const { logger, lines } = memoryLogger();
  let run = 0;
  const deps: MonitorDeps = { vpcep, objects, publisher, logger, now: () => new Date('2026-11-25T12:00:00Z'), budget: UNLIMITED };
  // A crashed run's lease would block the next pass for its whole timeout; these leases expire at
  // once, as a real one has by the time the next timer fires.
  const pass = (crashAt?: Checkpoint) =>
    runMonitor(config, { ...deps, checkpoint: (step) => { if (step === crashAt) throw new SimulatedCrash(step); } }, { runId: `run-${++run}`, leaseExpiresAt: deps.now() });
  const state = () => parseState(objects.objects.get('vpcep-monitor/state.json')!);
  return { config, deps, vpcep, objects, publisher, lines, pass, state };
}

/** What an e-mail subscriber reads. */
const text = (message: SmnMessage): string => message.structure?.email ?? message.message ?? '';

const set = (vpcep: FakeVpcep, service: string, id: string, status: string, updatedAt = '2026-11-25T11:59:00Z') => {
  const list = vpcep.connections.get(service)!;
  const index = list.findIndex((c) => c.id === id);
  const next = connection(id, status, { updatedAt });
  if (index === -1) list.push(next);
  else list[index] = next;
};

describe('runMonitor', () => {
  it('records a baseline and sends one summary of connections already in alert states', async () => {
    const w = world();
    const summary = await w.pass();
    expect(summary).toMatchObject({ baseline: true, services: 2, connections: 3, changes: 3, alerts: 1, published: 1, undelivered: 0 });
    expect(w.publisher.messages).toHaveLength(1);
    expect(text(w.publisher.messages[0]!)).toContain('a2');
    expect(w.state().services.get(SVC_A)!.total).toBe(2);
    expect(w.state().outbox).toEqual([]);
  });

  it('stays silent on the baseline when ALERT_ON_BASELINE=false', async () => {
    const w = world({ ALERT_ON_BASELINE: 'false' });
    expect(await w.pass()).toMatchObject({ baseline: true, alerts: 0, published: 0 });
    expect(w.publisher.messages).toHaveLength(0);
  });

  it('a quiet run publishes nothing and writes nothing', async () => {
    const w = world();
    await w.pass();
    const puts = w.objects.puts.length;
    expect(await w.pass()).toMatchObject({ baseline: false, changes: 0, alerts: 0, published: 0 });
    expect(w.objects.puts.length).toBe(puts);
    expect(w.publisher.messages).toHaveLength(1);
  });

  it('alerts each transition into an alert state exactly once', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'a1', 'failed');
    set(w.vpcep, SVC_B, 'b2', 'pendingAcceptance');
    w.vpcep.connections.get(SVC_A)!.splice(1, 1); // a2 removed
    expect(await w.pass()).toMatchObject({ changes: 3, alerts: 2, published: 1 });
    const email = text(w.publisher.messages[1]!);
    expect(email).toContain('a1: accepted -> failed');
    expect(email).toContain('b2: new -> pendingAcceptance');
    expect(email).not.toContain('a2:');
    expect(await w.pass()).toMatchObject({ changes: 0, published: 0 });
    expect(w.publisher.messages).toHaveLength(2);
  });

  it('keeps alerts SMN refused in the outbox, fails the run, and delivers them next run', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_B, 'b1', 'rejected');
    w.publisher.failNext = 1;
    const error = await w.pass().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunIncompleteError);
    expect((error as RunIncompleteError).undelivered).toBe(1);
    expect(w.state().outbox.map((e) => [e.connectionId, e.to])).toEqual([['b1', 'rejected']]);
    // The connection moves on before the next run: the alert is still delivered, once.
    set(w.vpcep, SVC_B, 'b1', 'accepted', '2026-11-25T12:03:00Z');
    expect(await w.pass()).toMatchObject({ published: 1, undelivered: 0 });
    expect(text(w.publisher.messages.at(-1)!)).toContain('accepted -> rejected');
    expect(w.state().outbox).toEqual([]);
  });

  it('alerts on the connections that need someone in a mass move of more changes than a run keeps', async () => {
    const w = world();
    w.vpcep.connections.set(SVC_A, Array.from({ length: 12_000 }, (_, i) => connection(`m${i}`, 'accepted')));
    await w.pass();
    // 11,000 removed, one failed, one new pending: 11,002 changes, more than the 10,000 kept.
    w.vpcep.connections.set(SVC_A, w.vpcep.connections.get(SVC_A)!.slice(11_000));
    set(w.vpcep, SVC_A, 'm11000', 'failed');
    set(w.vpcep, SVC_A, 'fresh', 'pendingAcceptance');
    expect(await w.pass()).toMatchObject({ changes: 11_002, alerts: 2, published: 1 });
    const email = text(w.publisher.messages.at(-1)!);
    expect(email).toContain('m11000');
    expect(email).toContain('fresh');
  });

  it('keeps the snapshot of a service it could not read, goes on with the others, and names it', async () => {
    const w = world();
    await w.pass();
    w.vpcep.connections.set(SVC_A, []); // would look like mass removal if diffed
    w.vpcep.failService.add(SVC_A);
    set(w.vpcep, SVC_B, 'b1', 'failed');
    const error = await w.pass().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunIncompleteError);
    expect((error as RunIncompleteError).failedServices).toEqual([SVC_A]);
    expect((error as Error).message).toContain(SVC_A);
    expect(w.state().services.get(SVC_A)!.total).toBe(2);
    expect(text(w.publisher.messages.at(-1)!)).toContain('accepted -> failed');
    expect(w.lines().some((line) => line.includes(SVC_A) && line.includes('could not be read'))).toBe(true);
  });

  it('watches only VPCEP_SERVICE_IDS, and names a listed id that does not exist without dropping its snapshot', async () => {
    const missing = '33333333-3333-4333-8333-333333333333';
    const w = world({ VPCEP_SERVICE_IDS: `${SVC_A},${missing}` });
    const error = await w.pass().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunIncompleteError);
    expect((error as RunIncompleteError).failedServices).toEqual([missing]);
    expect((error as RunIncompleteError).summary).toMatchObject({ services: 1, connections: 2 });
    expect([...w.state().services.keys()]).toEqual([SVC_A]);
    expect(w.vpcep.calls.every((call) => call.serviceId === SVC_A)).toBe(true);
  });

  it('treats a deleted service as the removal of its connections, without alerts', async () => {
    const w = world();
    await w.pass();
    w.vpcep.services = w.vpcep.services.filter((s) => s.id !== SVC_B);
    expect(await w.pass()).toMatchObject({ services: 1, changes: 1, alerts: 0 });
    expect(w.state().services.has(SVC_B)).toBe(false);
  });

  it('asks VPCEP about a service a listing left out: still there, it is read as usual; only a 404 removes it', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_B, 'b1', 'failed');
    w.vpcep.unlisted.add(SVC_B);
    expect(await w.pass()).toMatchObject({ services: 2, changes: 1, alerts: 1 });
    expect(w.vpcep.getServiceCalls).toEqual([SVC_B]);
    expect(w.state().services.has(SVC_B)).toBe(true);
    w.vpcep.getServiceFailure = Object.assign(new Error('vpcep:epservices:get failed: HTTP 503'), { status: 503 });
    set(w.vpcep, SVC_B, 'b1', 'accepted', '2026-11-25T11:59:30Z');
    expect(await w.pass()).toMatchObject({ services: 2, changes: 1, alerts: 0 }); // an error is not a 404
    expect(w.state().services.has(SVC_B)).toBe(true);
    expect(w.lines().some((line) => line.includes(SVC_B) && line.includes('not taken as deleted'))).toBe(true);
  });

  it('reads a service listed twice once', async () => {
    const w = world();
    w.vpcep.services.push({ id: SVC_B, name: 'orders' });
    expect(await w.pass()).toMatchObject({ services: 2, connections: 3, alerts: 1 });
    expect(w.vpcep.calls.filter((call) => call.serviceId === SVC_B)).toHaveLength(1);
  });

  it("leaves another monitor's state alone: no diff, no write, one notice, and every run fails naming both", async () => {
    const w = world();
    await w.pass();
    const theirs = w.objects.objects.get('vpcep-monitor/state.json')!.replace(`"projectId":"${PROJECT}"`, '"projectId":"ffffffffffffffffffffffffffffffff"');
    w.objects.objects.set('vpcep-monitor/state.json', theirs);
    set(w.vpcep, SVC_B, 'b1', 'failed');
    const sent = w.publisher.messages.length;
    for (let run = 0; run < 2; run++) {
      const error = (await w.pass().catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(ForeignStateError);
      expect(error.message).toContain(`this monitor is project ${PROJECT}`);
      expect(error.message).toContain('written for project ffffffffffffffffffffffffffffffff');
      expect(error.message).toContain('set this one\'s OBS_PREFIX to vpcep-monitor/ap-southeast-1-');
    }
    expect(w.objects.objects.get('vpcep-monitor/state.json')).toBe(theirs);
    expect(w.publisher.messages.slice(sent).map((m) => m.subject)).toEqual(['[VPCEP ap-southeast-1] monitor stopped: its state belongs to another monitor (project ffffffffffffffffffffffffffffffff)']);
  });

  it('quarantines unreadable state, tells the operator once, and re-baselines without a flood', async () => {
    const w = world();
    w.objects.objects.set('vpcep-monitor/state.json', '{"schemaVersion":1,"generation":');
    const summary = await w.pass();
    expect(summary).toMatchObject({ baseline: true, alerts: 0 });
    expect(w.publisher.messages).toHaveLength(1);
    expect(w.publisher.messages[0]!.subject).toContain('unreadable');
    const quarantined = [...w.objects.objects.keys()].filter((k) => k.startsWith('vpcep-monitor/quarantine/'));
    expect(quarantined).toHaveLength(1);
    expect(w.objects.objects.get(quarantined[0]!)).toBe('{"schemaVersion":1,"generation":');
    expect(w.state().generation).toBe(1);
  });

  it('a quarantine notice keeps the channel contract and the summary counts it', async () => {
    const w = world();
    // A long prefix and region would push a plain-text SMS past 490 characters.
    w.objects.objects.set('vpcep-monitor/state.json', `{"schemaVersion":1,"generation":${'9'.repeat(600)}`);
    const summary = await w.pass();
    expect(summary.published).toBe(1);
    const notice = w.publisher.messages[0]!;
    expect(notice.message).toBeUndefined();
    const structure = notice.structure!;
    expect(structure.sms!.length).toBeLessThanOrEqual(490);
    expect(structure.sms).not.toMatch(/[[\]]/);
    expect(JSON.parse(structure.default)).toMatchObject({ schema: 'vpcep-connection-monitor/v1', type: 'state-quarantined', stateKey: 'vpcep-monitor/state.json', bucket: 'bucket' });
    expect(structure.email).toContain('could not read its state object vpcep-monitor/state.json');
  });

  it('a dry run over unreadable state says what a run would do, and does none of it', async () => {
    const w = world();
    w.objects.objects.set('vpcep-monitor/state.json', '{"schemaVersion":1,"generation":');
    await runMonitor(w.config, w.deps, { runId: 'dry', dryRun: true });
    expect(w.publisher.messages).toHaveLength(0);
    expect([...w.objects.objects.keys()]).toEqual(['vpcep-monitor/state.json']);
    const said = w.lines().join('\n');
    expect(said).toContain('a run would move it aside');
    expect(said).not.toContain('moved aside');
  });

  describe('dying between steps', () => {
    it('after the outbox is saved: the next run publishes the alert from the outbox, once', async () => {
      const w = world();
      await w.pass();
      set(w.vpcep, SVC_A, 'a1', 'failed');
      await expect(w.pass('outbox-saved')).rejects.toThrow(SimulatedCrash);
      expect(w.publisher.messages).toHaveLength(1);
      set(w.vpcep, SVC_A, 'a1', 'accepted', '2026-11-25T12:02:00Z'); // it recovers before the next run
      expect(await w.pass()).toMatchObject({ published: 1, undelivered: 0 });
      expect(text(w.publisher.messages.at(-1)!)).toContain('accepted -> failed');
      await w.pass();
      expect(w.publisher.messages).toHaveLength(2);
    });

    it('after publishing, before recording delivery: the next run repeats it with the same event id', async () => {
      const w = world();
      await w.pass();
      set(w.vpcep, SVC_B, 'b1', 'rejected');
      await expect(w.pass('published')).rejects.toThrow(SimulatedCrash);
      await w.pass();
      const [first, repeat] = w.publisher.messages.slice(1).map((m) => /\(event (\w+)\)/.exec(text(m))![1]);
      expect(repeat).toBe(first);
      await w.pass();
      expect(w.publisher.messages).toHaveLength(3);
    });

    it('after the audit write, before the state: the next run detects, audits and alerts again', async () => {
      const w = world();
      await w.pass();
      set(w.vpcep, SVC_B, 'b9', 'pendingAcceptance');
      await expect(w.pass('audit-written')).rejects.toThrow(SimulatedCrash);
      expect(w.publisher.messages).toHaveLength(1);
      expect(await w.pass()).toMatchObject({ alerts: 1, published: 1 });
      const trail = [...w.objects.objects.keys()].filter((k) => k.includes('/audit/'));
      expect(trail.filter((k) => !k.includes('.delivered'))).toHaveLength(3); // baseline, the crashed run, its repeat
      // Delivery recorded once per publish SMN accepted: the baseline's and the repeat's, never the crashed run's.
      expect(trail.filter((k) => k.includes('.delivered')).map((k) => /-(run-\d+)\.delivered/.exec(k)![1])).toEqual(['run-1', 'run-3']);
    });
  });

  describe('overlapping invocations', () => {
    it('a run that finds a live lease writes and publishes nothing; the holder reports the change', async () => {
      const w = world();
      await w.pass();
      w.objects.objects.set('vpcep-monitor/lease.json', JSON.stringify({ runId: 'other', expiresAt: '2026-11-25T12:10:00Z' }));
      set(w.vpcep, SVC_A, 'a1', 'failed');
      const puts = w.objects.puts.length;
      const state = w.objects.objects.get('vpcep-monitor/state.json');
      const summary = await w.pass();
      expect(summary.skipped).toContain('other');
      // Only the count of skipped runs, and the page the scan wrote as it read (no state names it:
      // the state is as it was, and the next save of that service deletes it).
      const [page, ...rest] = w.objects.puts.slice(puts);
      expect(page).toMatch(new RegExp(`^vpcep-monitor/snapshots/${SVC_A}/00000-\\d+-[0-9a-f]{32}\\.txt$`));
      expect(rest).toEqual(['vpcep-monitor/lease-skipped.json']);
      expect(w.objects.objects.get('vpcep-monitor/state.json')).toBe(state);
      expect(w.publisher.messages).toHaveLength(1);
      w.objects.objects.set('vpcep-monitor/lease.json', JSON.stringify({ runId: 'other', expiresAt: '2026-11-25T11:59:00Z' })); // expired
      expect(await w.pass()).toMatchObject({ alerts: 1, published: 1 });
      expect(w.objects.objects.has('vpcep-monitor/lease.json')).toBe(false);
    });

    it('the second run skipped for the same holder fails, with run_skipped sent, so a stuck lease is not silent', async () => {
      const w = world({ METRICS_NAMESPACE: 'VPCEP.Monitor' });
      const metrics = new FakeMetrics();
      const pass = (runId: string) => runMonitor(w.config, { ...w.deps, metrics }, { runId, leaseExpiresAt: w.deps.now() });
      await pass('first');
      w.objects.objects.set('vpcep-monitor/lease.json', JSON.stringify({ runId: 'stuck', expiresAt: '2026-11-25T12:10:00Z' }));
      set(w.vpcep, SVC_A, 'a1', 'failed');
      expect(await pass('second')).toMatchObject({ skipped: 'lease held by stuck', undelivered: 1 });
      const error = (await pass('third').catch((e: unknown) => e)) as LeaseHeldError;
      expect(error).toBeInstanceOf(LeaseHeldError);
      expect(error.message).toMatch(/lease is held by stuck until 2026-11-25T12:10:00Z, and 2 runs in a row found it so; 1 alert\(s\) wait .*delete vpcep-monitor\/lease\.json/);
      expect(error.summary).toMatchObject({ undelivered: 1 });
      const skippedSent = metrics.sent.flatMap((batch) => batch.metrics).filter((m) => m.name === 'run_skipped').map((m) => m.value);
      expect(skippedSent).toEqual([0, 1, 1]);
      // Another holder starts the count again.
      w.objects.objects.set('vpcep-monitor/lease.json', JSON.stringify({ runId: 'next', expiresAt: '2026-11-25T12:10:00Z' }));
      expect(await pass('fourth')).toMatchObject({ skipped: 'lease held by next' });
    });

    it('takes over a lease claiming more than any invocation runs, warning with its holder, and alerts in the same run', async () => {
      const w = world();
      await w.pass();
      w.objects.objects.set('vpcep-monitor/lease.json', JSON.stringify({ runId: 'ctrl-c', expiresAt: '2027-11-25T12:00:00Z' }));
      set(w.vpcep, SVC_A, 'a1', 'failed');
      expect(await w.pass()).toMatchObject({ alerts: 1, published: 1 });
      expect(w.lines().some((line) => line.includes('the state lease of ctrl-c claimed until 2027-11-25T12:00:00Z') && line.includes('taken over as stale'))).toBe(true);
      // Nor does this monitor ever claim more than the longest invocation, whatever deadline it is given.
      const claims: string[] = [];
      const watching = { ...w.deps, checkpoint: (step: Checkpoint) => { if (step === 'lease-acquired') claims.push(w.objects.objects.get('vpcep-monitor/lease.json')!); } };
      set(w.vpcep, SVC_A, 'a1', 'accepted');
      await runMonitor(w.config, watching, { runId: 'long', leaseExpiresAt: new Date('2026-11-26T12:00:00Z') });
      expect(claims.map((c) => JSON.parse(c) as unknown)).toEqual([{ runId: 'long', expiresAt: '2026-11-25T12:15:00.000Z' }]);
    });

    it('a run whose state was saved by another meanwhile stops without moving it back', async () => {
      const w = world();
      await w.pass();
      set(w.vpcep, SVC_A, 'a1', 'failed');
      const newer = w.objects.objects.get('vpcep-monitor/state.json')!.replace(/"generation":\d+/, '"generation":7');
      const error = await runMonitor(w.config, { ...w.deps, checkpoint: (step) => { if (step === 'lease-acquired') w.objects.objects.set('vpcep-monitor/state.json', newer); } }, { runId: 'late', leaseExpiresAt: w.deps.now() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OverlapError);
      expect(w.state().generation).toBe(7);
      expect(w.publisher.messages).toHaveLength(1);
      expect(await w.pass()).toMatchObject({ alerts: 1, published: 1 });
    });

    it('of two first runs racing, the one that saves second stops without saving over the first', async () => {
      // Neither loaded a state, so there is no ETag to compare: "none" must still mean "none".
      const first = world();
      await first.pass();
      const saved = first.objects.objects.get('vpcep-monitor/state.json')!;
      const w = world();
      const error = await runMonitor(w.config, { ...w.deps, checkpoint: (step) => { if (step === 'lease-acquired') w.objects.objects.set('vpcep-monitor/state.json', saved); } }, { runId: 'second', leaseExpiresAt: w.deps.now() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OverlapError);
      expect(w.objects.objects.get('vpcep-monitor/state.json')).toBe(saved);
      expect(w.publisher.messages).toEqual([]);
    });
  });
});

describe('delivering what SMN refuses', () => {
  // Alert payloads carry `events`; an operator notice (type dead-lettered) carries none.
  const payloadIds = (message: SmnMessage): string[] => ((JSON.parse(message.structure!.default) as { events?: { connectionId: string }[] }).events ?? []).map((e) => e.connectionId);
  const refuseConnection = (id: string) => (message: SmnMessage) => (message.structure && payloadIds(message).includes(id) ? { status: 400, code: 'SMN.0021' } : undefined);

  it('splits a publish SMN refuses as a message, and delivers every alert in smaller ones', async () => {
    const w = world();
    await w.pass();
    for (let i = 0; i < 8; i++) set(w.vpcep, SVC_A, `f${i}`, 'failed');
    // Refuses anything carrying more than two alerts, as a service with a smaller limit would.
    w.publisher.refuse = (message) => (message.structure && payloadIds(message).length > 2 ? { status: 413, code: 'APIGW.0201' } : undefined);
    expect(await w.pass()).toMatchObject({ alerts: 8, undelivered: 0, deadLettered: 0 });
    const delivered = w.publisher.messages.slice(1).flatMap(payloadIds);
    expect(delivered.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `f${i}`).sort());
    expect(w.state().outbox).toEqual([]);
  });

  it('dead-letters the one alert SMN refuses for good, delivers the others, and the next runs are clean', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'bad', 'failed');
    set(w.vpcep, SVC_A, 'good', 'failed');
    set(w.vpcep, SVC_B, 'other', 'pendingAcceptance');
    w.publisher.refuse = refuseConnection('bad');
    const summary = await w.pass();
    expect(summary).toMatchObject({ alerts: 3, undelivered: 0, deadLettered: 1 });
    expect(w.publisher.messages.slice(1).filter((m) => m.structure).flatMap(payloadIds).sort()).toEqual(['good', 'other']);
    const notice = w.publisher.messages.at(-1)!;
    expect(notice.subject).toContain('1 alert could not be delivered');
    expect(notice.structure!.email).toContain('bad');
    expect(notice.structure!.sms!.length).toBeLessThanOrEqual(490);
    expect(JSON.parse(notice.structure!.default)).toMatchObject({ type: 'dead-lettered', count: 1, refused: [{ connectionId: 'bad', smn: { code: 'SMN.0021' } }] });
    expect(summary.published).toBe(3); // two alert publishes and the notice
    const [letterKey, ...more] = [...w.objects.objects.keys()].filter((k) => k.startsWith('vpcep-monitor/dead-letter/2026/11/25/'));
    expect(more).toEqual([]);
    const letter = JSON.parse(w.objects.objects.get(letterKey!)!.trim()) as { event: { connectionId: string }; smn: { status: number; code: string; requestId: string } };
    expect(letter).toMatchObject({ event: { connectionId: 'bad' }, smn: { status: 400, code: 'SMN.0021', requestId: 'req-1' } });
    const trail = [...w.objects.objects.entries()].filter(([k]) => k.includes('/audit/')).flatMap(([, body]) => body.trim().split('\n').map((line) => JSON.parse(line) as { change: string; connectionId: string; error?: string }));
    expect(trail.filter((r) => r.change === 'undeliverable')).toEqual([expect.objectContaining({ connectionId: 'bad', error: expect.stringContaining('SMN.0021') })]);
    expect(w.state().outbox).toEqual([]);
    const published = w.publisher.messages.length;
    expect(await w.pass()).toMatchObject({ published: 0, undelivered: 0 });
    expect(w.publisher.messages).toHaveLength(published);
  });

  it('keeps refused alerts in the outbox when the notice is refused too: the channel, not the message, is the problem', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'a1', 'failed');
    w.publisher.refuse = () => ({ status: 400, code: 'SMN.0099' });
    const error = await w.pass().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunIncompleteError);
    expect(w.state().outbox.map((e) => e.connectionId)).toEqual(['a1']);
    w.publisher.refuse = undefined;
    expect(await w.pass()).toMatchObject({ published: 1, undelivered: 0, deadLettered: 0 });
  });

  it('keeps a refused alert in the outbox, announces nothing and fails the run when its dead-letter object cannot be written', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'bad', 'failed');
    set(w.vpcep, SVC_A, 'good', 'failed');
    w.publisher.refuse = refuseConnection('bad');
    const put = w.objects.put.bind(w.objects);
    w.objects.put = async (key, parts) => {
      await new Promise((resolve) => setImmediate(resolve)); // fails later, as a network write does
      if (key.includes('/dead-letter/')) throw Object.assign(new Error('obs:putObject failed: HTTP 503 ServiceUnavailable'), { status: 503 });
      return put(key, parts);
    };
    const error = await w.pass().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunIncompleteError);
    expect(w.state().outbox.map((e) => e.connectionId)).toEqual(['bad']);
    expect(w.publisher.messages.filter((m) => m.subject.includes('could not be delivered'))).toEqual([]);
  });

  it('a reminder SMN refuses comes due again one period later, not in every run', async () => {
    const w = world({ REMIND_PENDING_AFTER: '10m' });
    let now = Date.parse('2026-11-25T12:00:00Z');
    let n = 0;
    const pass = () => runMonitor(w.config, { ...w.deps, now: () => new Date(now) }, { runId: `r${++n}`, leaseExpiresAt: new Date(now) });
    const reminded = () => w.publisher.attempts.filter((m) => m.subject.includes('still waiting')).length;
    await pass();
    w.publisher.refuse = (m) => (m.subject.includes('still waiting') ? { status: 400, code: 'SMN.0021' } : undefined);
    now += 11 * 60_000;
    await pass();
    expect(reminded()).toBe(1);
    for (let i = 0; i < 3; i++) {
      now += 60_000;
      await pass();
    }
    expect(reminded()).toBe(1);
    now += 10 * 60_000;
    await pass();
    expect(reminded()).toBe(2);
  });

  it.each([
    ['subject is invalid', 403, 'SMN.0008'],
    ['message is invalid', 403, 'SMN.0009'],
    ['message is invalid, under another status', 400, 'SMN.0009'],
  ])('takes "%s" (HTTP %i %s) as a refusal of that message: it is dead-lettered while the others arrive', async (_what, status, code) => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'bad', 'failed');
    set(w.vpcep, SVC_A, 'good', 'failed');
    set(w.vpcep, SVC_B, 'other', 'pendingAcceptance');
    w.publisher.refuse = (message) => (message.structure && payloadIds(message).includes('bad') ? { status, code } : undefined);
    expect(await w.pass()).toMatchObject({ alerts: 3, undelivered: 0, deadLettered: 1 });
    expect(w.publisher.messages.filter((m) => m.structure).slice(1).flatMap(payloadIds).sort()).toEqual(['good', 'other']);
    expect(w.state().outbox).toEqual([]);
  });

  describe('when SMN refuses most of a delivery, the channel is at fault and nothing is set aside', () => {
    const deadLetters = (w: ReturnType<typeof world>) => [...w.objects.objects.keys()].filter((k) => k.includes('dead-letter'));

    it('refusing every structured publish: the run fails, every alert stays, all arrive once SMN accepts again', async () => {
      const w = world();
      await w.pass();
      for (let i = 0; i < 6; i++) set(w.vpcep, SVC_A, `f${i}`, 'failed');
      w.publisher.refuse = (message) => (message.structure ? { status: 400, code: 'SMN.0021' } : undefined);
      const error = await w.pass().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RunIncompleteError);
      expect((error as Error).cause).toBeInstanceOf(ChannelRefusedError);
      expect((error as Error).message).toMatch(/6 alert\(s\) not delivered \(SMN refused \d+ alert\(s\) as messages and accepted 0/);
      expect(deadLetters(w)).toEqual([]);
      expect(w.publisher.messages.filter((m) => !m.structure)).toEqual([]); // no notice claims they were set aside
      expect(w.state().outbox).toHaveLength(6);
      w.publisher.refuse = undefined;
      expect(await w.pass()).toMatchObject({ published: 1, undelivered: 0, deadLettered: 0 });
      expect(payloadIds(w.publisher.messages.at(-1)!).sort()).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
    });

    it('refusing the only alert of a delivery and its notice too: it waits, and no object says it was set aside', async () => {
      const w = world();
      await w.pass();
      set(w.vpcep, SVC_A, 'a1', 'failed');
      w.publisher.refuse = (message) => (message.structure ? { status: 403, code: 'SMN.0009' } : undefined);
      await expect(w.pass()).rejects.toBeInstanceOf(RunIncompleteError);
      expect(deadLetters(w)).toEqual([]);
      expect(w.state().outbox).toHaveLength(1);
      w.publisher.refuse = undefined;
      expect(await w.pass()).toMatchObject({ published: 1, undelivered: 0, deadLettered: 0 });
    });

    it('refusing the only alert of a delivery while taking the notice: the alert is set aside, the outbox is not blocked', async () => {
      const w = world();
      await w.pass();
      set(w.vpcep, SVC_A, 'a1', 'failed');
      w.publisher.refuse = (message) => (message.structure && payloadIds(message).length > 0 ? { status: 403, code: 'SMN.0009' } : undefined);
      expect(await w.pass()).toMatchObject({ alerts: 1, undelivered: 0, deadLettered: 1, published: 1 });
      expect(deadLetters(w).filter((k) => k.includes('/dead-letter/'))).toHaveLength(1);
      expect(JSON.parse(w.publisher.messages.at(-1)!.structure!.default)).toMatchObject({ type: 'dead-lettered', count: 1 });
      expect(w.state().outbox).toEqual([]);
    });

    it('refusing more than half of a burst: nothing is set aside, the accepted ones leave the outbox', async () => {
      const w = world();
      await w.pass();
      for (const id of ['r1', 'r2', 'ok']) set(w.vpcep, SVC_A, id, 'failed');
      w.publisher.refuse = (message) => (message.structure && !payloadIds(message).every((id) => id === 'ok') ? { status: 400, code: 'SMN.0021' } : undefined);
      const error = await w.pass().catch((e: unknown) => e);
      expect((error as Error).cause).toBeInstanceOf(ChannelRefusedError);
      expect(deadLetters(w)).toEqual([]);
      expect(w.state().outbox.map((e) => e.connectionId)).toEqual(expect.arrayContaining(['r1', 'r2']));
    });

    it('stops splitting once the refusals outnumber what could still be accepted', async () => {
      const w = world();
      await w.pass();
      for (let i = 0; i < 64; i++) set(w.vpcep, SVC_A, `f${i}`, 'failed');
      w.publisher.refuse = (message) => (message.structure ? { status: 400, code: 'SMN.0021' } : undefined);
      const before = w.publisher.attempts.length;
      await expect(w.pass()).rejects.toBeInstanceOf(RunIncompleteError);
      // Splitting all 64 down to single events takes 127 publishes; the verdict is clear after 33 refusals.
      expect(w.publisher.attempts.length - before).toBeLessThan(80);
      expect(w.state().outbox).toHaveLength(64);
    });
  });

  describe('the trail', () => {
    const trail = (w: ReturnType<typeof world>) => [...w.objects.objects.entries()].filter(([k]) => k.includes('/audit/')).flatMap(([, body]) => body.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));

    it('says an alert was raised when it is detected, and delivered (with SMN’s message id) only once SMN accepted it', async () => {
      const w = world();
      await w.pass();
      set(w.vpcep, SVC_A, 'a1', 'failed');
      w.publisher.failNext = 1;
      await expect(w.pass()).rejects.toBeInstanceOf(RunIncompleteError);
      const raised = trail(w).filter((r) => r.connectionId === 'a1' && r.runId === 'run-2');
      expect(raised).toEqual([expect.objectContaining({ change: 'status', raised: true })]);
      expect(raised[0]).not.toHaveProperty('alerted');
      await w.pass();
      const delivered = trail(w).filter((r) => r.connectionId === 'a1' && r.change === 'delivered');
      expect(delivered).toEqual([expect.objectContaining({ eventId: raised[0]!.eventId, messageId: 'm2', runId: 'run-3' })]);
    });

    it('a failed write of the delivery records fails the run but lets the delivered alerts go: SMN has them', async () => {
      const w = world();
      await w.pass();
      set(w.vpcep, SVC_A, 'a1', 'failed');
      const put = w.objects.put.bind(w.objects);
      w.objects.put = async (key, body) => (key.includes('.delivered') ? Promise.reject(new Error('HTTP 503')) : put(key, body));
      await expect(w.pass()).rejects.toThrow(/1 alert\(s\)|HTTP 503/);
      expect(w.state().outbox).toEqual([]);
      expect(trail(w).filter((r) => r.change === 'delivered' && r.connectionId === 'a1')).toEqual([]);
      expect(w.lines().join('\n')).toMatch(/recording 1 delivered alert\(s\) in the audit trail failed/);
    });
  });

  it.each([
    ['a missing topic', 404, 'SMN.0006'],
    ['an invalid topic URN', 400, 'SMN.0005'],
    ['a refused signature', 401, 'APIGW.0301'],
    ['throttling', 429, 'APIGW.0308'],
    ['no permission', 403, 'SMN.0001'],
    ['no permission, under another status', 400, 'SMN.0001'],
    ['an IAM refusal', 403, 'IAM.0002'],
    ['an unauthorised API call', 403, 'APIGW.0302'],
  ])('never dead-letters on %s: the alerts wait in the outbox', async (_what, status, code) => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'a1', 'failed');
    set(w.vpcep, SVC_B, 'b1', 'failed');
    w.publisher.refuse = () => ({ status, code });
    await expect(w.pass()).rejects.toBeInstanceOf(RunIncompleteError);
    expect(w.state().outbox).toHaveLength(2);
    expect([...w.objects.objects.keys()].some((k) => k.includes('dead-letter'))).toBe(false);
    // A channel failure stops at the first publish: a message refusal would split it in two.
    expect(w.publisher.attempts).toHaveLength(2);
  });
});

describe('Cloud Eye metrics', () => {
  const withMetrics = (settings: Record<string, string> = { METRICS_NAMESPACE: 'VPCEP.ConnectionMonitor' }) => {
    const w = world(settings);
    const metrics = new FakeMetrics();
    const pass = () => runMonitor(w.config, { ...w.deps, metrics }, { runId: 'm', leaseExpiresAt: w.deps.now() });
    return { ...w, metrics, pass };
  };
  const value = (sent: FakeMetrics['sent'][number], dimension: string, name: string) =>
    sent.metrics.find((m) => m.dimension.value === dimension && m.name === name)?.value;

  it('sends the counts of every service read, and the run, every run', async () => {
    const w = withMetrics();
    expect(await w.pass()).toMatchObject({ metrics: 'sent' });
    expect(await w.pass()).toMatchObject({ metrics: 'sent', published: 0 });
    expect(w.metrics.sent).toHaveLength(2);
    const [, quiet] = w.metrics.sent;
    expect(quiet!.namespace).toBe('VPCEP.ConnectionMonitor');
    expect(value(quiet!, SVC_A, 'connections_total')).toBe(2);
    expect(value(quiet!, SVC_A, 'connections_pending')).toBe(1);
    expect(value(quiet!, SVC_B, 'connections_accepted')).toBe(1);
    expect(value(quiet!, PROJECT, 'services_unreadable')).toBe(0);
  });

  it('reports how long the oldest pending request of each service has waited', async () => {
    const w = withMetrics();
    w.vpcep.connections.get(SVC_A)!.push(connection('a3', 'pendingAcceptance', { updatedAt: '2026-11-20T00:00:00Z' }), connection('a4', 'pendingAcceptance', { updatedAt: 'not a time' }));
    await w.pass();
    const [sent] = w.metrics.sent;
    // a2 waits since 2026-11-01T00:00:00Z; the run is at 2026-11-25T12:00:00Z.
    expect(value(sent!, SVC_A, 'pending_oldest_seconds')).toBe((24 * 24 + 12) * 3600);
    expect(value(sent!, SVC_B, 'pending_oldest_seconds')).toBe(0);
  });

  it('leaves out a service it could not read, and counts it as unreadable', async () => {
    const w = withMetrics();
    await w.pass();
    w.vpcep.failService.add(SVC_A);
    await expect(w.pass()).rejects.toBeInstanceOf(RunIncompleteError);
    const last = w.metrics.sent.at(-1)!;
    expect(value(last, SVC_A, 'connections_total')).toBeUndefined();
    expect(value(last, PROJECT, 'services_unreadable')).toBe(1);
  });

  it('an outage of Cloud Eye touches no alert', async () => {
    const w = withMetrics();
    await w.pass();
    set(w.vpcep, SVC_A, 'a1', 'failed');
    w.metrics.failing = true;
    expect(await w.pass()).toMatchObject({ alerts: 1, published: 1, undelivered: 0, metrics: 'failed' });
    expect(text(w.publisher.messages.at(-1)!)).toContain('accepted -> failed');
    expect(w.lines().some((line) => line.includes('Cloud Eye failed') && line.includes('alerting is not affected'))).toBe(true);
  });

  it('sends nothing without METRICS_NAMESPACE', async () => {
    const w = withMetrics({});
    expect(await w.pass()).toMatchObject({ metrics: 'off' });
    expect(w.metrics.sent).toEqual([]);
  });
});

describe('loading the state as it arrives', () => {
  it('reads text whose characters are cut across the pieces it arrives in', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'a1', 'failed');
    w.vpcep.connections.get(SVC_A)!.find((c) => c.id === 'a1')!.description = '数据库团队 ✓ — ticket OPS-1182';
    w.publisher.failNext = 1;
    await expect(w.pass()).rejects.toBeInstanceOf(RunIncompleteError);
    // The outbox holds the description; the fake hands the state over in 7-byte pieces.
    expect(await w.pass()).toMatchObject({ published: 1, undelivered: 0 });
    expect(text(w.publisher.messages.at(-1)!)).toContain('description "数据库团队 ✓ — ticket OPS-1182"');
  });
});

describe('reading the state and the pages at once', () => {
  it('asks for a page only once the state is in (it names the answers that spare a parse), while the services are listed meanwhile', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'a1', 'failed');
    const objects = w.objects;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const getStream = objects.getStream.bind(objects);
    let stateIn = false;
    objects.getStream = async (key) => (key.endsWith('state.json') ? (await held, (stateIn = true), getStream(key)) : getStream(key));
    const askedEarly: boolean[] = [];
    w.vpcep.beforePage = () => askedEarly.push(!stateIn);
    const listed = w.vpcep.calls.length;
    const run = w.pass();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(w.vpcep.calls.length).toBe(listed);
    release();
    expect(await run).toMatchObject({ changes: 1, alerts: 1, published: 1 });
    expect(askedEarly.length).toBeGreaterThan(0);
    expect(askedEarly.every((early) => !early)).toBe(true);
  });

  it('fails the run on a state it cannot load, without calling any service unreadable', async () => {
    const w = world();
    await w.pass();
    w.objects.getStream = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw Object.assign(new Error('obs:object:GetObject failed: HTTP 503 ServiceUnavailable'), { status: 503 });
    };
    await expect(w.pass()).rejects.toThrow(/GetObject failed: HTTP 503/);
    expect(w.lines().some((line) => line.includes('could not be read'))).toBe(false);
  });

  it('fails the run cleanly when the state fails before the services are even listed', async () => {
    const w = world();
    await w.pass();
    w.vpcep.listDelayMs = 50;
    // Refused at once: a rejection nobody listened to yet would crash the process (vitest reports it).
    w.objects.getStream = () => Promise.reject(Object.assign(new Error('obs:object:GetObject failed: HTTP 403 AccessDenied'), { status: 403 }));
    await expect(w.pass()).rejects.toThrow(/GetObject failed: HTTP 403/);
  });

  it('asks for no page when the run has failed on its state', async () => {
    const w = world();
    w.vpcep.services = Array.from({ length: 12 }, (_, i) => ({ id: `${i}`.padStart(8, '0') + '-1111-4111-8111-111111111111', name: `s${i}` }));
    for (const { id } of w.vpcep.services) w.vpcep.connections.set(id, [connection(`${id}-c`, 'accepted')]);
    await w.pass();
    w.objects.getStream = () => new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error('obs:object:GetObject failed: HTTP 503'), { status: 503 })), 20));
    const calls = w.vpcep.calls.length;
    await expect(w.pass()).rejects.toThrow(/HTTP 503/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(w.vpcep.calls.length - calls).toBe(0);
  });
});

describe('runMonitor at its edges', () => {
  it('a dry run writes and publishes nothing, and says what it would publish', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'a1', 'failed');
    const puts = w.objects.puts.length;
    const summary = await runMonitor(w.config, w.deps, { runId: 'dry', dryRun: true });
    expect(summary).toMatchObject({ alerts: 1, undelivered: 0 });
    expect(summary.wouldPublish).toHaveLength(1);
    expect(w.objects.puts.length).toBe(puts);
    expect(w.publisher.attempts).toHaveLength(1);
  });

  it('without a known deadline, holds the lease for FunctionGraph\'s longest invocation', async () => {
    const w = world();
    let lease: unknown;
    await runMonitor(w.config, { ...w.deps, checkpoint: (step) => { if (step === 'lease-acquired') lease = JSON.parse(w.objects.objects.get('vpcep-monitor/lease.json')!); } }, { runId: 'r' });
    expect(lease).toMatchObject({ runId: 'r', expiresAt: '2026-11-25T12:15:00.000Z' });
  });

  it('a lease it cannot release is logged and left to expire; the run still succeeds', async () => {
    const w = world();
    w.objects.delete = async () => { throw new Error('obs:deleteObject failed: HTTP 503'); };
    expect(await w.pass()).toMatchObject({ baseline: true, published: 1 });
    expect(w.lines().some((line) => line.includes('releasing the state lease failed (obs:deleteObject failed: HTTP 503); it expires on its own at 2026-11-25T12:00:00.000Z'))).toBe(true);
  });

  it('fails with the listing\'s own error when the services cannot be listed, writing nothing', async () => {
    const w = world();
    w.vpcep.listServices = async () => { throw new Error('vpcep:services:list failed: HTTP 500'); };
    await expect(w.pass()).rejects.toThrow('vpcep:services:list failed: HTTP 500');
    expect(w.objects.puts).toEqual([]);
  });

  it('near its deadline, leaves the services it has no time for to the next run, with a warning, not an error', async () => {
    const w = world();
    await w.pass();
    const error = await runMonitor(w.config, { ...w.deps, budget: { remainingMs: () => 500 } }, { runId: 'late', leaseExpiresAt: w.deps.now() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunIncompleteError);
    expect((error as Error).message).toContain(`could not read service(s) ${SVC_A}, ${SVC_B}`);
    const postponed = w.lines().map((line) => JSON.parse(line) as { level: number; msg: string; serviceId?: string }).filter((line) => line.msg.includes('nearly up'));
    expect(postponed.map((line) => [line.level, line.serviceId])).toEqual([[40, SVC_A], [40, SVC_B]]);
    expect(w.state().services.get(SVC_A)!.total).toBe(2);
  });

  it('says the reminder was not delivered when the channel fails it', async () => {
    const w = world({ REMIND_PENDING_AFTER: '10m' });
    let now = Date.parse('2026-11-25T12:00:00Z');
    const pass = (runId: string) => runMonitor(w.config, { ...w.deps, now: () => new Date(now) }, { runId, leaseExpiresAt: new Date(now) });
    await pass('r1');
    now += 11 * 60_000;
    w.publisher.failNext = 1;
    const error = await pass('r2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunIncompleteError);
    expect((error as Error).message).toBe('monitoring pass incomplete: the reminder was not delivered (injected SMN failure). State saved; the next run retries.');
  });
});

describe('delivery, as the run reports and logs it', () => {
  const logged = (w: ReturnType<typeof world>) => w.lines().map((line) => JSON.parse(line) as { level: number; msg: string; events?: number; messageId?: string });

  it('a channel failure keeps the alerts, says how many, and logs what happens next', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_B, 'b1', 'rejected');
    w.publisher.failNext = 1;
    const error = await w.pass().catch((e: unknown) => e);
    expect((error as Error).message).toBe('monitoring pass incomplete: 1 alert(s) not delivered (injected SMN failure). State saved; the next run retries.');
    const failed = logged(w).filter((line) => line.level === 50 && line.msg.startsWith('publishing to'));
    expect(failed).toEqual([expect.objectContaining({ events: 1, msg: `publishing to ${w.config.smnTopicUrn} failed: injected SMN failure; the alerts stay in the outbox and the next run sends them again` })]);
  });

  it('logs each publish with its message id and how many events it carried', async () => {
    const w = world();
    await w.pass();
    expect(logged(w).filter((line) => line.msg === 'notification published')).toEqual([expect.objectContaining({ level: 30, messageId: 'm1', events: 1 })]);
  });

  it('a reminder the channel fails is reminded again next run, and the log says so', async () => {
    const w = world({ REMIND_PENDING_AFTER: '10m' });
    let now = Date.parse('2026-11-25T12:00:00Z');
    let n = 0;
    const pass = () => runMonitor(w.config, { ...w.deps, now: () => new Date(now) }, { runId: `r${++n}`, leaseExpiresAt: new Date(now) });
    const reminded = () => w.publisher.messages.filter((m) => m.subject.includes('still waiting')).length;
    await pass();
    now += 11 * 60_000;
    w.publisher.failNext = 1;
    await expect(pass()).rejects.toBeInstanceOf(RunIncompleteError);
    expect(logged(w).some((line) => line.level === 50 && line.msg.endsWith('failed: injected SMN failure; the next run reminds again'))).toBe(true);
    now += 60_000;
    await pass();
    expect(reminded()).toBe(1);
  });

  it('a delivered reminder is not repeated before its period is over', async () => {
    const w = world({ REMIND_PENDING_AFTER: '10m' });
    let now = Date.parse('2026-11-25T12:00:00Z');
    let n = 0;
    const pass = () => runMonitor(w.config, { ...w.deps, now: () => new Date(now) }, { runId: `r${++n}`, leaseExpiresAt: new Date(now) });
    const reminded = () => w.publisher.messages.filter((m) => m.subject.includes('still waiting')).length;
    await pass();
    now += 11 * 60_000;
    await pass();
    expect(reminded()).toBe(1);
    now += 60_000;
    await pass();
    expect(reminded()).toBe(1);
    now += 10 * 60_000;
    await pass();
    expect(reminded()).toBe(2);
  });

  it('a run that sets a refused alert aside saves it out of the outbox, and the next run sends nothing', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'bad', 'failed');
    set(w.vpcep, SVC_A, 'good', 'failed');
    // Alert payloads carry `events`; the dead-letter notice names the refused ids but carries none.
    w.publisher.refuse = (message) => (message.structure && message.structure.default.includes('"events"') && message.structure.default.includes('"bad"') ? { status: 400, code: 'SMN.0021' } : undefined);
    expect(await w.pass()).toMatchObject({ published: 2, deadLettered: 1, undelivered: 0 }); // the good alert and the notice
    expect(w.state().outbox).toEqual([]);
    const attempts = w.publisher.attempts.length;
    expect(await w.pass()).toMatchObject({ published: 0, deadLettered: 0 });
    expect(w.publisher.attempts).toHaveLength(attempts);
  });

  it('keeps in the outbox exactly the alerts not delivered when a split publish stops half way', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'x1', 'failed');
    set(w.vpcep, SVC_A, 'x2', 'failed');
    let call = 0;
    // The pair is too large, the first half goes through, then the channel fails.
    w.publisher.refuse = () => [{ status: 413, code: 'APIGW.0201' }, undefined, { status: 503, code: 'SMN.0500' }][call++];
    await expect(w.pass()).rejects.toBeInstanceOf(RunIncompleteError);
    expect(w.state().outbox.map((e) => e.connectionId)).toEqual(['x2']);
    expect(logged(w).some((line) => line.level === 40 && line.msg === 'SMN refused a publish of 2 alerts (smn:topic:publish failed: HTTP 413 APIGW.0201); trying it in two halves')).toBe(true);
  });

  it('logs a reminder SMN refuses as a message, and does not split it', async () => {
    const w = world({ REMIND_PENDING_AFTER: '10m' });
    let now = Date.parse('2026-11-25T12:00:00Z');
    const pass = (runId: string) => runMonitor(w.config, { ...w.deps, now: () => new Date(now) }, { runId, leaseExpiresAt: new Date(now) });
    await pass('r1');
    now += 11 * 60_000;
    w.publisher.refuse = (m) => (m.subject.includes('still waiting') ? { status: 400, code: 'SMN.0021' } : undefined);
    await pass('r2');
    expect(w.publisher.attempts.filter((m) => m.subject.includes('still waiting'))).toHaveLength(1);
    expect(logged(w).filter((line) => line.level === 50 && line.msg.startsWith('SMN refused the reminder')).map((line) => line.msg)).toEqual([
      'SMN refused the reminder (smn:topic:publish failed: HTTP 400 SMN.0021); the requests are reminded about again next period',
    ]);
  });

  it('logs why refused alerts stay in the outbox when setting them aside fails', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'bad', 'failed');
    set(w.vpcep, SVC_A, 'good', 'failed');
    // The alert carrying "bad" is refused, and so is the notice that would set it aside.
    w.publisher.refuse = (message) => (!message.structure || message.structure.default.includes('"bad"') ? { status: 400, code: 'SMN.0021' } : undefined);
    await expect(w.pass()).rejects.toBeInstanceOf(RunIncompleteError);
    expect(logged(w).some((line) => line.level === 50 && line.msg.startsWith('setting 1 refused alert(s) aside failed (smn:topic:publish failed: HTTP 400 SMN.0021); they stay in the outbox'))).toBe(true);
  });
});

describe('runMonitor: its checkpoints and its lease on a failure', () => {
  const LEASE = 'vpcep-monitor/lease.json';
  const recording = (w: ReturnType<typeof world>, runId: string, onStep: (step: Checkpoint) => void = () => undefined) => {
    const steps: Checkpoint[] = [];
    const run = runMonitor(w.config, { ...w.deps, checkpoint: (step) => { steps.push(step); onStep(step); } }, { runId, leaseExpiresAt: new Date('2026-11-25T12:10:00Z') });
    return { steps, run };
  };

  it('passes its checkpoints in order, the trail one only when it wrote a trail', async () => {
    const w = world();
    const first = recording(w, 'first');
    await first.run;
    expect(first.steps).toEqual(['state-loaded', 'lease-acquired', 'audit-written', 'outbox-saved', 'published', 'delivered-saved']);
    // A renamed service alone is saved, with no change to record in the trail.
    w.vpcep.services = [{ id: SVC_A, name: 'payments-v2' }, { id: SVC_B, name: 'orders' }];
    const renamed = recording(w, 'renamed');
    expect(await renamed.run).toMatchObject({ changes: 0, alerts: 0 });
    expect(renamed.steps).not.toContain('audit-written');
    expect(renamed.steps).toContain('outbox-saved');
  });

  it('leaves the lease of a run that died between steps, as a dead process would', async () => {
    const w = world();
    const { run } = recording(w, 'dies', (step) => { if (step === 'audit-written') throw new SimulatedCrash(step); });
    await expect(run).rejects.toBeInstanceOf(SimulatedCrash);
    expect(JSON.parse(w.objects.objects.get(LEASE)!)).toMatchObject({ runId: 'dies' });
  });

  it('releases its lease when a step after taking it fails', async () => {
    const w = world();
    await w.pass();
    set(w.vpcep, SVC_A, 'a1', 'failed');
    const newer = w.objects.objects.get('vpcep-monitor/state.json')!.replace(/"generation":\d+/, '"generation":7');
    const { run } = recording(w, 'late', (step) => { if (step === 'lease-acquired') w.objects.objects.set('vpcep-monitor/state.json', newer); });
    await expect(run).rejects.toBeInstanceOf(OverlapError);
    expect(w.objects.objects.has(LEASE)).toBe(false);
  });

  it('names the services it could not read in its error', async () => {
    const w = world();
    await w.pass();
    w.vpcep.failService.add(SVC_A);
    const error = await w.pass().catch((e: unknown) => e);
    expect((error as Error).message).toBe(`monitoring pass incomplete: could not read service(s) ${SVC_A}. State saved; the next run retries.`);
  });
});
