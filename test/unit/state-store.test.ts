import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createHash } from 'node:crypto';
import { ForeignStateError, OverlapError } from '../../lib/monitor/errors.js';
import { foreignStateNoticeKey } from '../../lib/monitor/keys.js';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import type { MonitorDeps } from '../../lib/monitor/ports.js';
import { emptyState, serializeState } from '../../lib/monitor/state.js';
import { assertStateUnchanged, loadState, saveState } from '../../lib/monitor/state-store.js';
import { ownerOf, serializeOwner, type StateOwner } from '../../lib/monitor/state-owner.js';
import { FakeObjects, FakePublisher, FakeVpcep, memoryLogger } from '../fakes.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const config = loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT })[name]);
const KEY = 'vpcep-monitor/state.json';

describe('assertStateUnchanged', () => {
  it('lets a run save when the state is the one it loaded', async () => {
    const objects = new FakeObjects();
    objects.objects.set(KEY, 'loaded');
    await expect(assertStateUnchanged(config, objects, (await objects.head(KEY))!)).resolves.toBeUndefined();
  });

  it('lets a first run save when there is still no state', async () => {
    await expect(assertStateUnchanged(config, new FakeObjects(), undefined)).resolves.toBeUndefined();
  });

  it('stops a run whose state another saved meanwhile, naming the state object', async () => {
    const objects = new FakeObjects();
    objects.objects.set(KEY, 'loaded');
    const etag = (await objects.head(KEY))!;
    objects.objects.set(KEY, 'saved by another');
    await expect(assertStateUnchanged(config, objects, etag)).rejects.toThrow(OverlapError);
    await expect(assertStateUnchanged(config, objects, etag)).rejects.toThrow(KEY);
  });

  it('stops a first run when another first run saved a state meanwhile', async () => {
    // No state was loaded, so there is no ETag: a state that appeared since is still a change.
    const objects = new FakeObjects();
    objects.objects.set(KEY, 'saved by another first run');
    await expect(assertStateUnchanged(config, objects, undefined)).rejects.toThrow(OverlapError);
  });

  it('stops a run whose state was deleted meanwhile', async () => {
    const objects = new FakeObjects();
    objects.objects.set(KEY, 'loaded');
    const etag = (await objects.head(KEY))!;
    objects.objects.delete(KEY);
    await expect(assertStateUnchanged(config, objects, etag)).rejects.toThrow(OverlapError);
  });
});

describe('loadState', () => {
  const world = () => {
    const objects = new FakeObjects();
    const publisher = new FakePublisher();
    const { logger, lines } = memoryLogger();
    const deps: MonitorDeps = { vpcep: new FakeVpcep(), objects, publisher, logger, now: () => new Date('2026-11-25T12:00:00Z'), budget: UNLIMITED };
    return { objects, publisher, lines, deps };
  };
  const ASIDE = 'vpcep-monitor/quarantine/state-2026-11-25T12-00-00-000Z.json';

  it('starts a baseline when there is no state yet', async () => {
    const w = world();
    expect(await loadState(config, w.deps, { runId: 'r' })).toEqual({ state: emptyState(), baseline: true, quarantined: false, etag: undefined, published: 0, owner: ownerOf(config) });
  });

  it('reads a saved state with its ETag, the last line with or without its newline', async () => {
    const w = world();
    const state = emptyState();
    state.generation = 4;
    const text = serializeState(state).join('');
    w.objects.objects.set(KEY, text);
    const loaded = await loadState(config, w.deps, { runId: 'r' });
    expect(loaded).toMatchObject({ baseline: false, quarantined: false, etag: await w.objects.head(KEY) });
    expect(loaded.state.generation).toBe(4);
    w.objects.objects.set(KEY, text.trimEnd());
    expect((await loadState(config, w.deps, { runId: 'r' })).state.generation).toBe(4);
  });

  it('sets unreadable state aside whole, tells the operator once, and starts a silent baseline', async () => {
    const w = world();
    w.objects.objects.set(KEY, '{"schemaVersion":1,"generation":');
    const loaded = await loadState(config, w.deps, { runId: 'run-7' });
    expect(loaded).toMatchObject({ baseline: true, quarantined: true, etag: await w.objects.head(KEY), published: 1 });
    expect(loaded.state).toEqual(emptyState());
    expect(w.objects.objects.get(ASIDE)).toBe('{"schemaVersion":1,"generation":');
    expect(w.publisher.messages).toHaveLength(1);
    expect(w.publisher.messages[0]!.subject).toBe('[VPCEP ap-southeast-1] monitor state was unreadable and has been reset');
    expect(w.publisher.messages[0]!.structure!.email).toContain(`could not read its state object ${KEY} (`);
    expect(w.publisher.messages[0]!.structure!.email).toContain(`The object was copied to ${ASIDE} and a new baseline is being recorded.`);
    expect(w.publisher.messages[0]!.structure!.email).toContain('Run run-7.');
    const [line] = w.lines().map((text) => JSON.parse(text) as { level: number; key: string; quarantineKey: string; msg: string });
    expect(line).toMatchObject({ level: 50, key: KEY, quarantineKey: ASIDE });
    expect(line!.msg).toMatch(/^state vpcep-monitor\/state.json is unreadable \(.+\); moved aside to vpcep-monitor\/quarantine\/state-2026-11-25T12-00-00-000Z.json, recording a new baseline without alerts$/);
  });

  it('in a dry run, changes nothing and tells no one about unreadable state', async () => {
    const w = world();
    w.objects.objects.set(KEY, 'not json');
    expect(await loadState(config, w.deps, { runId: 'r', dryRun: true })).toMatchObject({ baseline: true, quarantined: true });
    expect(w.objects.puts).toEqual([]);
    expect(w.publisher.attempts).toEqual([]);
    const [line] = w.lines().map((text) => JSON.parse(text) as { level: number; key: string; quarantineKey: string; msg: string });
    expect(line).toMatchObject({ level: 50, key: KEY, quarantineKey: ASIDE });
    expect(line!.msg).toContain(`a run would move it aside to ${ASIDE} and record a new baseline without alerts`);
  });

  it('tells the operator, in the e-mail and the SMS, that changes in between are not alerted', async () => {
    const w = world();
    w.objects.objects.set(KEY, 'not json');
    await loadState(config, w.deps, { runId: 'run-7' });
    const structure = w.publisher.messages[0]!.structure!;
    expect(structure.email).toContain('Connections that changed while the state was unreadable are not alerted individually; ');
    expect(structure.sms).toBe('VPCEP ap-southeast-1: monitor state was unreadable, set aside, new baseline recorded; check the connections. Run run-7.');
    expect(JSON.parse(structure.default!)).toMatchObject({ type: 'state-quarantined', stateKey: KEY, quarantineKey: ASIDE });
  });

  it('sets aside an empty object when the unreadable state is gone by the time it is copied', async () => {
    const w = world();
    w.objects.getStream = async () => ({ etag: 'e', body: (async function* () { yield Buffer.from('not json\n'); })() });
    expect(await loadState(config, w.deps, { runId: 'r' })).toMatchObject({ baseline: true, quarantined: true, published: 1 });
    expect(w.objects.objects.get(ASIDE)).toBe('');
  });

  it('fails, setting nothing aside, when reading the state fails for another reason', async () => {
    const w = world();
    w.objects.objects.set(KEY, 'x');
    w.objects.getStream = async () => ({ etag: 'e', body: (async function* () { throw new Error('obs:getObject failed: socket hang up'); })() });
    await expect(loadState(config, w.deps, { runId: 'r' })).rejects.toThrow('socket hang up');
    expect(w.objects.puts).toEqual([]);
    expect(w.publisher.attempts).toEqual([]);
  });
});

describe('saveState', () => {
  it('writes the next generation, stamped with the time', async () => {
    const objects = new FakeObjects();
    const state = emptyState();
    state.generation = 2;
    await saveState(config, { objects, now: () => new Date('2026-11-25T12:00:00Z') }, state);
    expect(state).toMatchObject({ generation: 3, savedAt: '2026-11-25T12:00:00.000Z' });
    expect(objects.objects.get(KEY)).toBe(serializeState(state).join(''));
  });
});

describe('loadState and the owner of the state', () => {
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';
  const C = '33333333-3333-4333-8333-333333333333';
  const configFor = (serviceIds?: string) => loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT, VPCEP_SERVICE_IDS: serviceIds })[name]);
  const world = () => {
    const objects = new FakeObjects();
    const publisher = new FakePublisher();
    const { logger, lines } = memoryLogger();
    const deps: MonitorDeps = { vpcep: new FakeVpcep(), objects, publisher, logger, now: () => new Date('2026-11-25T12:00:00Z'), budget: UNLIMITED };
    const logged = () => lines().map((text) => JSON.parse(text) as Record<string, unknown> & { level: number; msg: string });
    return { objects, publisher, logged, deps };
  };
  const store = (w: ReturnType<typeof world>, owner: StateOwner, services: readonly string[] = []) => {
    const state = emptyState();
    state.owner = owner;
    for (const id of services) state.services.set(id, { name: `svc-${id.slice(0, 1)}`, scannedAt: '2026-11-25T11:00:00.000Z', total: 0, pages: [] });
    w.objects.objects.set(KEY, serializeState(state).join(''));
  };

  it('accepts a new VPCEP_SERVICE_IDS of the same function as a reconfiguration, naming the services that left', async () => {
    const w = world();
    const now = configFor(`${A},${B}`);
    store(w, ownerOf(configFor(`${A},${C}`), 'pkg/fn'), [A, C]);
    const loaded = await loadState(now, w.deps, { runId: 'r', deployment: 'pkg/fn' });
    expect(loaded.owner).toEqual(ownerOf(now, 'pkg/fn'));
    expect([...loaded.state.services.keys()]).toEqual([A, C]);
    const [line] = w.logged();
    expect(line).toMatchObject({ level: 30, deployment: 'pkg/fn', fromServices: [A, C], toServices: [A, B], unwatched: [C] });
    expect(line!.msg).toBe(
      `VPCEP_SERVICE_IDS of pkg/fn changed from service(s) ${A}, ${C} to service(s) ${A}, ${B}: accepted as a reconfiguration; ` +
        `service(s) ${C} left the filter: no longer watched, dropped from the state without removed records; services that joined are read as new ones; the outbox is kept`,
    );
  });

  it('says no service left when the filter only grew, or now names every service', async () => {
    for (const [filter, to] of [[`${A},${B}`, `service(s) ${A}, ${B}`], [undefined, 'all services']] as const) {
      const w = world();
      store(w, ownerOf(configFor(A), 'pkg/fn'), [A]);
      await loadState(configFor(filter), w.deps, { runId: 'r', deployment: 'pkg/fn' });
      const [line] = w.logged();
      expect(line).toMatchObject({ level: 30, unwatched: [] });
      expect(line!.msg).toBe(
        `VPCEP_SERVICE_IDS of pkg/fn changed from service(s) ${A} to ${to}: accepted as a reconfiguration; no watched service left the filter; services that joined are read as new ones; the outbox is kept`,
      );
    }
  });

  it('reads its own state without a word, and a CLI run keeps the function recorded as its owner', async () => {
    const w = world();
    store(w, ownerOf(config, 'pkg/fn'));
    const loaded = await loadState(config, w.deps, { runId: 'r' });
    expect(loaded.owner).toEqual(ownerOf(config, 'pkg/fn'));
    expect(w.logged()).toEqual([]);
  });

  describe('a state of another monitor', () => {
    const LONG_PROJECT = `${'f'.repeat(64)}tail-of-project`;
    const LONG_PREFIX = `${'p'.repeat(200)}/tail-of-prefix/`;
    const other: StateOwner = { projectId: LONG_PROJECT, region: 'ap-southeast-1', services: '*', prefix: LONG_PREFIX };
    const told = foreignStateNoticeKey(config.obsPrefix, createHash('sha256').update(serializeOwner({ ...ownerOf(config, 'pkg/fn'), prefix: '' })).digest('hex'));

    it('fails the run, leaves the state as it is, and tells the operator once', async () => {
      const w = world();
      store(w, other);
      const text = w.objects.objects.get(KEY);
      const error = await loadState(config, w.deps, { runId: 'run-9', deployment: 'pkg/fn' }).then(() => new Error('loaded'), (caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(ForeignStateError);
      expect(error.message).toContain(`(prefix ${'p'.repeat(200)}); `);
      expect(error.message).not.toContain('tail-of-prefix');
      expect(error.message).toContain(`If it is this monitor's own state and only its function was renamed, move ${KEY} aside and the next run records a new baseline.`);
      expect(w.objects.objects.get(KEY)).toBe(text);
      expect(w.objects.puts).toEqual([told]);
      expect(w.objects.objects.get(told)).toBe(serializeOwner(other));
      expect(w.publisher.messages).toHaveLength(1);
      const message = w.publisher.messages[0]!;
      expect(message.subject).toBe(`[VPCEP ap-southeast-1] monitor stopped: its state belongs to another monitor (project ${'f'.repeat(64)})`);
      expect(message.structure!.email).toBe(`The VPC Endpoint connection monitor stopped before reading any connection.\n${error.message}\nRun run-9. Every run fails with this error until it is fixed.\n`);
      expect(message.structure!.sms).toBe(`VPCEP ap-southeast-1: monitor stopped, its state ${KEY} belongs to another monitor; see the e-mail. Run run-9.`);
      expect(JSON.parse(message.structure!.default!)).toMatchObject({ type: 'foreign-state', runId: 'run-9', bucket: 'bucket', stateKey: KEY, owner: other });
      const [line] = w.logged();
      expect(line).toMatchObject({ level: 50, owner: other, msg: error.message });

      await expect(loadState(config, w.deps, { runId: 'run-10', deployment: 'pkg/fn' })).rejects.toThrow(ForeignStateError);
      expect(w.publisher.attempts).toHaveLength(1);
    });

    it('tells the operator again when the state changes hands to yet another monitor', async () => {
      const w = world();
      store(w, other);
      await expect(loadState(config, w.deps, { runId: 'r', deployment: 'pkg/fn' })).rejects.toThrow(ForeignStateError);
      store(w, { ...other, region: 'cn-north-4' });
      await expect(loadState(config, w.deps, { runId: 'r', deployment: 'pkg/fn' })).rejects.toThrow(ForeignStateError);
      expect(w.publisher.messages).toHaveLength(2);
    });

    it('in a dry run, says so in the log and writes or tells nothing', async () => {
      const w = world();
      store(w, other);
      await expect(loadState(config, w.deps, { runId: 'r', deployment: 'pkg/fn', dryRun: true })).rejects.toThrow(ForeignStateError);
      expect(w.objects.puts).toEqual([]);
      expect(w.publisher.attempts).toEqual([]);
      expect(w.logged()).toMatchObject([{ level: 50, owner: other }]);
    });

    it('fails with the error itself when the notice cannot be sent, and tries again next run', async () => {
      const w = world();
      store(w, other);
      w.publisher.failNext = 1;
      await expect(loadState(config, w.deps, { runId: 'r', deployment: 'pkg/fn' })).rejects.toThrow(ForeignStateError);
      expect(w.objects.puts).toEqual([]);
      const warning = w.logged().find((line) => line.level === 40);
      expect(warning).toMatchObject({ err: { message: 'injected SMN failure' } });
      expect(warning!.msg).toBe(`the operator notice about ${KEY} could not be sent (injected SMN failure); the next run tries again`);
      await expect(loadState(config, w.deps, { runId: 'r', deployment: 'pkg/fn' })).rejects.toThrow(ForeignStateError);
      expect(w.publisher.messages).toHaveLength(1);
    });
  });
});
