import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { acquireLease, releaseLease, takeLease } from '../../lib/monitor/lease.js';
import { FakeObjects, memoryLogger } from '../fakes.js';

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

  it('holds the lease when what it reads back is no lease: gone, or missing its run or its expiry', async () => {
    for (const rival of [undefined, JSON.stringify({ runId: 'run-2' }), JSON.stringify({ expiresAt: later })]) {
      const objects = new (class extends FakeObjects {
        override async put(key: string, parts: string | readonly string[]): Promise<void> {
          await super.put(key, parts);
          if (rival === undefined) this.objects.delete(key);
          else this.objects.set(key, rival);
        }
      })();
      expect(await acquireLease(objects, KEY, { runId: 'run-1', expiresAt: later }, now), String(rival)).toEqual({ acquired: true });
    }
  });
});

describe('takeLease', () => {
  const PROJECT = '0123456789abcdef0123456789abcdef';
  const config = loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT })[name]);
  const LEASE = 'vpcep-monitor/lease.json';
  const SKIPS = 'vpcep-monitor/lease-skipped.json';
  const holder = { runId: 'run-0', expiresAt: later };
  const world = (objects = new FakeObjects()) => {
    const { logger, lines } = memoryLogger();
    const logged = () => lines().map((text) => JSON.parse(text) as Record<string, unknown> & { level: number; msg: string });
    return { objects, logged, deps: { objects, logger, now: () => now } };
  };
  const run = { runId: 'run-1', startedAt: now.toISOString() };

  it('skips while another run holds the lease, counting the runs in a row it kept out, and says so', async () => {
    const w = world();
    w.objects.objects.set(LEASE, JSON.stringify(holder));
    expect(await takeLease(config, w.deps, run)).toEqual({ acquired: false, holder, inARow: 1, key: LEASE });
    expect(await takeLease(config, w.deps, { ...run, runId: 'run-2' })).toMatchObject({ acquired: false, inARow: 2 });
    expect(JSON.parse(w.objects.objects.get(SKIPS)!)).toEqual({ holder, skipped: 2, lastRunId: 'run-2', at: now.toISOString() });
    const [first] = w.logged();
    expect(first).toMatchObject({ level: 40, holder, skippedInARow: 1 });
    expect(first!.msg).toBe(`another invocation (run-0) holds the state lease until ${later}; this run writes and publishes nothing, the holder or the next run reports these changes (run 1 skipped for it)`);
  });

  it('counts again from one for another holder, or another claim of the same one', async () => {
    for (const counted of [{ runId: 'run-9', expiresAt: later }, { runId: 'run-0', expiresAt: earlier }]) {
      const w = world();
      w.objects.objects.set(LEASE, JSON.stringify(holder));
      w.objects.objects.set(SKIPS, JSON.stringify({ holder: counted, skipped: 5, lastRunId: 'run-x', at: earlier }));
      expect(await takeLease(config, w.deps, run), JSON.stringify(counted)).toMatchObject({ acquired: false, inARow: 1 });
    }
  });

  it('counts the skipped run as the first when the count cannot be written, and says why', async () => {
    const objects = new (class extends FakeObjects {
      override async put(key: string, parts: string | readonly string[]): Promise<void> {
        if (key === SKIPS) throw new Error('obs:putObject failed: HTTP 503');
        await super.put(key, parts);
      }
    })();
    const w = world(objects);
    objects.objects.set(LEASE, JSON.stringify(holder));
    expect(await takeLease(config, w.deps, run)).toMatchObject({ acquired: false, inARow: 1 });
    const [warning] = w.logged();
    expect(warning).toMatchObject({ level: 40, err: { message: 'obs:putObject failed: HTTP 503' } });
    expect(warning!.msg).toBe('counting this skipped run failed (obs:putObject failed: HTTP 503)');
  });

  it('takes over a stale lease and names whose it was', async () => {
    const w = world();
    const stale = { runId: 'run-0', expiresAt: new Date(now.getTime() + 3_600_000).toISOString() };
    w.objects.objects.set(LEASE, JSON.stringify(stale));
    expect(await takeLease(config, w.deps, run)).toMatchObject({ acquired: true });
    const [warning] = w.logged();
    expect(warning).toMatchObject({ level: 40, holder: stale });
    expect(warning!.msg).toBe(`the state lease of run-0 claimed until ${stale.expiresAt}, longer than any invocation runs (900 s); taken over as stale`);
  });

  it('releases its lease, and only warns when releasing fails, naming when the lease expires', async () => {
    const w = world();
    const taken = await takeLease(config, w.deps, run);
    expect(JSON.parse(w.objects.objects.get(LEASE)!)).toEqual({ runId: 'run-1', expiresAt: '2026-11-25T12:15:00.000Z' });
    if (!taken.acquired) throw new Error('not acquired');
    w.objects.delete = async () => {
      throw new Error('obs:deleteObject failed: HTTP 503');
    };
    await expect(taken.release()).resolves.toBeUndefined();
    const [warning] = w.logged();
    expect(warning).toMatchObject({ level: 40, err: { message: 'obs:deleteObject failed: HTTP 503' } });
    expect(warning!.msg).toBe('releasing the state lease failed (obs:deleteObject failed: HTTP 503); it expires on its own at 2026-11-25T12:15:00.000Z');
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
