import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { OverlapError } from '../../lib/monitor/errors.js';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import type { MonitorDeps } from '../../lib/monitor/ports.js';
import { emptyState, serializeState } from '../../lib/monitor/state.js';
import { assertStateUnchanged, loadState, saveState } from '../../lib/monitor/state-store.js';
import { ownerOf } from '../../lib/monitor/state-owner.js';
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
