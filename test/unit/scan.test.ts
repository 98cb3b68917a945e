import { describe, expect, it } from 'vitest';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { ChangeRoom } from '../../lib/monitor/change-room.js';
import { ScanError, ScanPostponedError } from '../../lib/monitor/errors.js';
import { createLimiter } from '../../lib/monitor/limiter.js';
import { digestOf, PageMissingError, pageDigest, pageName } from '../../lib/monitor/pages.js';
import { decodeRecords, encodeChunk } from '../../lib/monitor/records.js';
import { type PageAccess, scanService, type ServiceScan } from '../../lib/monitor/scan-service.js';
import type { ServiceSnapshot } from '../../lib/monitor/state.js';
import type { Connection } from '../../lib/monitor/ports.js';
import { connection, FakeVpcep } from '../fakes.js';

const keepNeedy = (c: Connection) => c.status !== 'accepted';
/** Pages kept in memory by name, as OBS keeps them by key. */
const stored = new Map<string, string>();
const pages: PageAccess = {
  read: async (index, name) => stored.get(`${index}/${name}`) ?? Promise.reject(new PageMissingError(`${index}/${name}`, 'is missing')),
  write: async (index, digest, chunk) => {
    const name = pageName(2, digest);
    stored.set(`${index}/${name}`, chunk);
    return name;
  },
  stores: true,
};
const options = () => ({ limiter: createLimiter(4), budget: UNLIMITED, keep: keepNeedy, pages });
const chunksOf = (scan: ServiceScan) => scan.pages.map((name, index) => stored.get(`${index}/${name}`)!);
const ids = (scan: ServiceScan) => [...decodeRecords(chunksOf(scan))].map((r) => r.id);
/** A snapshot of `list` as the scan stores it: one page of 1000 each, stored. */
const snapshotOf = (list: readonly Connection[]): ServiceSnapshot => {
  const names: string[] = [];
  for (let i = 0; i < list.length; i += 1000) {
    const chunk = encodeChunk(list.slice(i, i + 1000));
    const name = pageName(1, pageDigest(chunk));
    stored.set(`${names.length}/${name}`, chunk);
    names.push(name);
  }
  return { name: 's', scannedAt: '', total: list.length, pages: names };
};
const seed = (vpcep: FakeVpcep, id: string, n: number) =>
  vpcep.connections.set(id, Array.from({ length: n }, (_, i) => connection(`${id}-c${i}`, 'accepted')));

describe('scanService', () => {
  it.each([[0, 1], [1, 1], [1000, 1], [1001, 2], [2500, 3], [10_000, 10]])('reads %i connections in %i calls at limit=1000', async (n, calls) => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', n);
    const result = await scanService(vpcep, 's', options());
    expect(result.total).toBe(n);
    expect(new Set(ids(result)).size).toBe(n);
    expect(result.pages).toHaveLength(Math.ceil(n / 1000));
    expect(vpcep.calls).toHaveLength(calls);
    expect(vpcep.calls.every((call) => call.limit === 1000)).toBe(true);
    expect(vpcep.calls.map((call) => call.offset).sort((a, b) => a - b)).toEqual(Array.from({ length: calls }, (_, i) => i * 1000));
  });

  it('reads a list that moved between pages again, and returns the consistent second read', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 1500);
    let moved = false;
    vpcep.beforePage = (_id, offset) => {
      if (offset === 1000 && !moved) {
        moved = true;
        vpcep.connections.get('s')!.unshift(connection('s-new', 'pendingAcceptance'));
      }
    };
    const result = await scanService(vpcep, 's', options());
    expect(result.total).toBe(1501);
    expect(ids(result)).toContain('s-new');
    expect(result.kept.map((c) => c.id)).toEqual(['s-new']);
    expect(vpcep.calls).toHaveLength(4);
  });

  it('fails with a ScanError when the list keeps moving', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 1500);
    let n = 0;
    vpcep.beforePage = (_id, offset) => {
      if (offset === 1000) vpcep.connections.get('s')!.unshift(connection(`s-new-${n++}`, 'pendingAcceptance'));
    };
    await expect(scanService(vpcep, 's', options())).rejects.toThrow(ScanError);
  });

  it('detects a page that repeats an item while total_count stays the same', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 1500);
    // One connection deleted and another created between the pages: same total, shifted offsets.
    let changed = false;
    vpcep.beforePage = (_id, offset) => {
      if (offset === 1000 && !changed) {
        changed = true;
        const list = vpcep.connections.get('s')!;
        list.splice(1200, 1);
        list.unshift(connection('s-new', 'pendingAcceptance'));
      }
    };
    const result = await scanService(vpcep, 's', { ...options(), rereads: 0 }).catch((error: unknown) => error);
    expect(result).toBeInstanceOf(ScanError);
    expect((result as Error).message).toMatch(/1499 distinct connections read, total_count says 1500/);
  });

  it('turns a failing page into a ScanError naming the service and offset', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 10);
    vpcep.failService.add('s');
    await expect(scanService(vpcep, 's', options())).rejects.toThrow(/service s: reading connections at offset 0 failed: injected failure/);
  });

  it('postpones a service whose turn comes with under a second of the run left, asking VPCEP nothing', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 10);
    const left = (ms: number) => ({ ...options(), budget: { remainingMs: () => ms } });
    const error = await scanService(vpcep, 's', left(999)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanPostponedError);
    expect((error as Error).message).toContain("not scanned: the run's time is nearly up; next run will scan it");
    expect(vpcep.calls).toEqual([]);
    expect((await scanService(vpcep, 's', left(1000))).total).toBe(10);
  });
});

describe('scanService with a snapshot', () => {
  it('returns the snapshot itself when every page equals it, and keeps only the connections asked for', async () => {
    const vpcep = new FakeVpcep();
    const list = [...Array.from({ length: 2400 }, (_, i) => connection(`c${i}`, 'accepted')), connection('p', 'pendingAcceptance')];
    vpcep.connections.set('s', list);
    const previous = snapshotOf(list);
    const result = await scanService(vpcep, 's', { ...options(), previous });
    expect(result.pages).toBe(previous.pages);
    expect(result.changes).toEqual([]);
    expect(result.kept.map((c) => c.id)).toEqual(['p']);
    expect(result.byStatus).toEqual(new Map([['accepted', 2400], ['pendingAcceptance', 1]]));
  });

  it('reads the service afresh, never diffed, when a stored page it needs (not the first) is missing', async () => {
    const vpcep = new FakeVpcep();
    const list = Array.from({ length: 2500 }, (_, i) => connection(`m${i}`, 'accepted'));
    const previous = snapshotOf(list);
    stored.delete(`1/${previous.pages[1]}`);
    vpcep.connections.set('s', list.map((c, i) => (i === 1500 ? { ...c, status: 'failed' } : c)));
    const result = await scanService(vpcep, 's', { ...options(), previous });
    expect(result.changes).toBe('unknown');
    expect(result.repaired?.message).toContain('is missing');
    expect(result.total).toBe(2500);
    expect(vpcep.calls).toHaveLength(6);
  });

  it('writes a new page for a page that differs in status, time or domain, and reuses the others', async () => {
    const vpcep = new FakeVpcep();
    const list = Array.from({ length: 2500 }, (_, i) => connection(`c${i}`, 'accepted'));
    vpcep.connections.set('s', list);
    const previous = snapshotOf(list);
    for (const change of [{ status: 'failed' }, { updatedAt: '2026-11-02T00:00:00Z' }, { domainId: 'other' }]) {
      vpcep.connections.set('s', list.map((c, i) => (i === 1500 ? { ...c, ...change } : c)));
      const result = await scanService(vpcep, 's', { ...options(), previous });
      expect(result.pages).not.toBe(previous.pages);
      expect(result.pages[0]).toBe(previous.pages[0]);
      expect(result.pages[2]).toBe(previous.pages[2]);
      expect(digestOf(result.pages[1]!)).not.toBe(digestOf(previous.pages[1]!));
      expect([...decodeRecords([chunksOf(result)[1]!])][500]).toMatchObject({ id: 'c1500', ...change });
      expect(result.changes).toEqual('status' in change ? [expect.objectContaining({ kind: 'status', from: 'accepted' })] : []);
    }
  });

  it.each(['empty page', 'EndPoint.0010'] as const)('reads a list that shrank past a later page again instead of failing (past the end: %s)', async (pastEnd) => {
    const vpcep = new FakeVpcep();
    vpcep.pastEnd = pastEnd;
    seed(vpcep, 's', 2700);
    let shrunk = false;
    vpcep.beforePage = (_id, offset) => {
      if (offset > 0 && !shrunk) {
        shrunk = true;
        vpcep.connections.get('s')!.splice(0, 1500);
      }
    };
    const result = await scanService(vpcep, 's', options());
    expect(result.total).toBe(1200);
    expect(new Set(ids(result)).size).toBe(1200);
    expect(vpcep.calls.map((call) => call.offset).sort((a, b) => a - b)).toEqual([0, 0, 1000, 1000, 2000]);
  });

  it('still fails on a 400 that is not about the list moving', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 2500);
    vpcep.beforePage = (_id, offset) => {
      if (offset === 1000) throw Object.assign(new Error('HTTP 400 EndPoint.0002 Parameter error.'), { status: 400, code: 'EndPoint.0002' });
    };
    await expect(scanService(vpcep, 's', options())).rejects.toThrow(/offset 1000 failed: HTTP 400 EndPoint.0002/);
  });
});

describe('scanService: lists that move, and stops', () => {
  const movesOnce = (vpcep: FakeVpcep) => {
    let moved = false;
    vpcep.beforePage = (_id, offset) => {
      if (offset === 1000 && !moved) {
        moved = true;
        vpcep.connections.get('s')!.unshift(connection('s-new', 'pendingAcceptance'));
      }
    };
  };
  const http400 = (code?: string) => Object.assign(new Error(`HTTP 400 ${code ?? ''}`), { status: 400, code });

  it('reads a moved list again only with five seconds of the run left', async () => {
    for (const [ms, reread] of [[4999, false], [5000, true]] as const) {
      const vpcep = new FakeVpcep();
      seed(vpcep, 's', 1500);
      movesOnce(vpcep);
      const result = await scanService(vpcep, 's', { ...options(), budget: { remainingMs: () => ms } }).catch((e: unknown) => e);
      if (reread) expect((result as ServiceScan).total).toBe(1501);
      else expect((result as Error).message).toMatch(/the connection list moved while paging \(total_count went from 1500 to 1501\); keeping the previous snapshot/);
      expect(vpcep.calls).toHaveLength(reread ? 4 : 2);
    }
  });

  it('asks VPCEP nothing once the run has stopped', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 10);
    const controller = new AbortController();
    controller.abort();
    const error = await scanService(vpcep, 's', { ...options(), signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanPostponedError);
    expect((error as Error).message).toContain('not read: the run has stopped');
    expect(vpcep.calls).toEqual([]);
  });

  it('keeps the failure of a page as the cause of its ScanError', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 10);
    const cause = new Error('HTTP 503');
    vpcep.beforePage = () => {
      throw cause;
    };
    const error = await scanService(vpcep, 's', options()).catch((e: unknown) => e);
    expect((error as Error).cause).toBe(cause);
  });

  /** 2700 connections, cut to `to` once the first page is read; the page at 2000 then fails with `failure`. */
  const shrinks = (vpcep: FakeVpcep, to: number, failure: Error) => {
    seed(vpcep, 's', 2700);
    let shrunk = false;
    vpcep.beforePage = (_id, offset) => {
      if (offset === 1000 && !shrunk) {
        shrunk = true;
        vpcep.connections.get('s')!.splice(to);
      } else if (offset === 2000) throw failure;
    };
  };

  it('takes a 400 without a code at an offset past the end of a later, shorter page as the list moving', async () => {
    const vpcep = new FakeVpcep();
    shrinks(vpcep, 2000, http400());
    const result = await scanService(vpcep, 's', options());
    expect(result.total).toBe(2000);
    const again = new FakeVpcep();
    shrinks(again, 2000, http400());
    await expect(scanService(again, 's', { ...options(), rereads: 0 })).rejects.toThrow(
      'the connection list moved while paging (offset 2000 is past the end of a list that shrank (HTTP 400)); keeping the previous snapshot',
    );
  });

  it('names the code of a 400 past the end in the problem', async () => {
    const vpcep = new FakeVpcep();
    shrinks(vpcep, 1500, http400('EndPoint.0010'));
    await expect(scanService(vpcep, 's', { ...options(), rereads: 0 })).rejects.toThrow('(offset 2000 is past the end of a list that shrank (EndPoint.0010))');
  });

  it('still fails on an answer other than 400 past the end of a shorter page', async () => {
    const vpcep = new FakeVpcep();
    shrinks(vpcep, 1500, Object.assign(new Error('HTTP 503'), { status: 503 }));
    await expect(scanService(vpcep, 's', options())).rejects.toThrow(/offset 2000 failed: HTTP 503/);
  });

  it('takes EndPoint.0010 as the list moving even at an offset every page says exists', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 2500);
    let refused = false;
    vpcep.beforePage = (_id, offset) => {
      if (offset === 1000 && !refused) {
        refused = true;
        throw http400('EndPoint.0010');
      }
    };
    expect((await scanService(vpcep, 's', options())).total).toBe(2500);
    expect(vpcep.calls).toHaveLength(6);
  });

  it('says how total_count moved when it gives up', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 1500);
    movesOnce(vpcep);
    await expect(scanService(vpcep, 's', { ...options(), rereads: 0 })).rejects.toThrow('(total_count went from 1500 to 1501)');
  });

  it('drops the last pages when the list lost them though the others equal the snapshot, and reports their connections removed', async () => {
    const vpcep = new FakeVpcep();
    const list = Array.from({ length: 2500 }, (_, i) => connection(`c${i}`, 'accepted'));
    const previous = snapshotOf(list);
    vpcep.connections.set('s', list.slice(0, 2000));
    const result = await scanService(vpcep, 's', { ...options(), previous });
    expect(result.total).toBe(2000);
    expect(result.pages).toEqual(previous.pages.slice(0, 2));
    expect(new Set(ids(result)).size).toBe(2000);
    const changes = result.changes as { kind: string; record: { id: string } }[];
    expect(changes).toHaveLength(500);
    expect(changes.every((change) => change.kind === 'removed')).toBe(true);
    expect(changes[0]!.record.id).toBe('c2000');
  });

  it('counts every change it holds against the run\'s room: those of pages that line up, and those of a stretch that moved', async () => {
    const vpcep = new FakeVpcep();
    const list = Array.from({ length: 3000 }, (_, i) => connection(`c${i}`, 'accepted'));
    const previous = snapshotOf(list);
    // Page 1 lines up (one status changed); c1500 went, so pages 2 and 3 moved, with a change in them.
    const now = list.filter((c) => c.id !== 'c1500').map((c) => (c.id === 'c5' || c.id === 'c2500' ? connection(c.id, 'failed') : c));
    vpcep.connections.set('s', now);
    const room = new ChangeRoom(10_000);
    const result = await scanService(vpcep, 's', { ...options(), previous, room });
    const changes = result.changes as { kind: string; record: { id: string } }[];
    expect(changes.map((change) => `${change.kind}:${change.record.id}`).sort()).toEqual(['removed:c1500', 'status:c2500', 'status:c5']);
    expect(room.held).toBe(3);
  });
});
