import { describe, expect, it } from 'vitest';
import { acquireLease, releaseLease } from '../../lib/monitor/lease.js';
import { FakeObjects } from '../fakes.js';

const KEY = 'p/lease.json';
const now = new Date('2026-11-25T12:00:00Z');
const later = '2026-11-25T12:15:00.000Z';
const earlier = '2026-11-25T11:45:00.000Z';
const stored = (objects: FakeObjects) => JSON.parse(objects.objects.get(KEY)!) as unknown;

/** A bucket where another invocation writes its own lease right after ours, as in a lost race. */
class RacedObjects extends FakeObjects {
  constructor(private readonly rival: string) {
    super();
  }
  override async put(key: string, parts: string | readonly string[]): Promise<void> {
    await super.put(key, parts);
    if (key === KEY) await super.put(key, this.rival);
  }
}

describe('acquireLease', () => {
  it('takes a free lease by writing one that names this run', async () => {
    const objects = new FakeObjects();
    expect(await acquireLease(objects, KEY, { runId: 'run-1', expiresAt: later }, now)).toEqual({ acquired: true });
    expect(stored(objects)).toEqual({ runId: 'run-1', expiresAt: later });
  });

  it('leaves a live lease of another run alone and names its holder', async () => {
    const objects = new FakeObjects();
    objects.objects.set(KEY, JSON.stringify({ runId: 'run-0', expiresAt: later }));
    expect(await acquireLease(objects, KEY, { runId: 'run-1', expiresAt: later }, now)).toEqual({ acquired: false, holder: { runId: 'run-0', expiresAt: later } });
    expect(objects.puts).toEqual([]);
  });

  it('takes over a lease that has expired, or expires this very moment', async () => {
    for (const expiresAt of [earlier, now.toISOString()]) {
      const objects = new FakeObjects();
      objects.objects.set(KEY, JSON.stringify({ runId: 'run-0', expiresAt }));
      expect(await acquireLease(objects, KEY, { runId: 'run-1', expiresAt: later }, now), expiresAt).toEqual({ acquired: true });
      expect(stored(objects)).toEqual({ runId: 'run-1', expiresAt: later });
    }
  });

  it('takes again a lease this run already holds', async () => {
    const objects = new FakeObjects();
    objects.objects.set(KEY, JSON.stringify({ runId: 'run-1', expiresAt: later }));
    expect(await acquireLease(objects, KEY, { runId: 'run-1', expiresAt: later }, now)).toEqual({ acquired: true });
  });

  it('takes over a lease claiming more than the longest invocation plus a minute, and says whose it was', async () => {
    const limit = new Date(now.getTime() + 960_000).toISOString();
    const past = new Date(now.getTime() + 960_001).toISOString();
    const objects = new FakeObjects();
    objects.objects.set(KEY, JSON.stringify({ runId: 'run-0', expiresAt: limit }));
    expect(await acquireLease(objects, KEY, { runId: 'run-1', expiresAt: later }, now)).toEqual({ acquired: false, holder: { runId: 'run-0', expiresAt: limit } });
    objects.objects.set(KEY, JSON.stringify({ runId: 'run-0', expiresAt: past }));
    expect(await acquireLease(objects, KEY, { runId: 'run-1', expiresAt: later }, now)).toEqual({ acquired: true, tookOver: { runId: 'run-0', expiresAt: past } });
    expect(stored(objects)).toEqual({ runId: 'run-1', expiresAt: later });
  });

  it('treats an unreadable lease as none, and overwrites it', async () => {
    for (const body of ['not json', '{"runId": 7}', 'null']) {
      const objects = new FakeObjects();
      objects.objects.set(KEY, body);
      expect(await acquireLease(objects, KEY, { runId: 'run-1', expiresAt: later }, now), body).toEqual({ acquired: true });
      expect(stored(objects)).toEqual({ runId: 'run-1', expiresAt: later });
    }
  });

  it('reads its write back: when another run wrote last, that run holds the lease', async () => {
    const rival = { runId: 'run-2', expiresAt: later };
    const objects = new RacedObjects(JSON.stringify(rival));
    expect(await acquireLease(objects, KEY, { runId: 'run-1', expiresAt: later }, now)).toEqual({ acquired: false, holder: rival });
  });
});

describe('releaseLease', () => {
  it('deletes the lease this run holds', async () => {
    const objects = new FakeObjects();
    objects.objects.set(KEY, JSON.stringify({ runId: 'run-1', expiresAt: later }));
    await releaseLease(objects, KEY, 'run-1');
    expect(objects.objects.has(KEY)).toBe(false);
  });

  it('leaves a lease another run holds, and does nothing when there is none', async () => {
    const objects = new FakeObjects();
    objects.objects.set(KEY, JSON.stringify({ runId: 'run-2', expiresAt: later }));
    await releaseLease(objects, KEY, 'run-1');
    expect(stored(objects)).toEqual({ runId: 'run-2', expiresAt: later });
    const empty = new FakeObjects();
    await releaseLease(empty, KEY, 'run-1');
    expect(empty.objects.size).toBe(0);
  });
});
