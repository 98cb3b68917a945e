import { describe, expect, it } from 'vitest';
import { UNLIMITED } from '../../lib/huaweicloud/budget.js';
import { ScanError } from '../../lib/monitor/errors.js';
import { createLimiter } from '../../lib/monitor/limiter.js';
import { scanService } from '../../lib/monitor/scan-service.js';
import { connection, FakeVpcep } from '../fakes.js';

const options = () => ({ limiter: createLimiter(4), budget: UNLIMITED });
const seed = (vpcep: FakeVpcep, id: string, n: number) =>
  vpcep.connections.set(id, Array.from({ length: n }, (_, i) => connection(`${id}-c${i}`, 'accepted')));

describe('scanService', () => {
  it.each([[0, 1], [1, 1], [1000, 1], [1001, 2], [2500, 3], [10_000, 10]])('reads %i connections in %i calls at limit=1000', async (n, calls) => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', n);
    const result = await scanService(vpcep, 's', options());
    expect(result).toHaveLength(n);
    expect(new Set(result.map((c) => c.id)).size).toBe(n);
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
    expect(result).toHaveLength(1501);
    expect(result.some((c) => c.id === 's-new')).toBe(true);
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
});

describe('scanService with a snapshot', () => {
  it('keeps every field right when unchanged connections borrow the snapshot strings', async () => {
    const vpcep = new FakeVpcep();
    vpcep.connections.set('s', [connection('a', 'accepted', { updatedAt: 'u1', domainId: 'd1' }), connection('b', 'failed', { updatedAt: 'u2', domainId: 'd2' })]);
    const previous = new Map([
      ['a', { status: 'accepted', updatedAt: 'u1', domainId: 'd1' }],
      ['b', { status: 'accepted', updatedAt: 'u0', domainId: 'd2' }],
    ]);
    const [a, b] = await scanService(vpcep, 's', { ...options(), previous });
    expect(a).toMatchObject({ id: 'a', status: 'accepted', updatedAt: 'u1', domainId: 'd1' });
    expect(b).toMatchObject({ id: 'b', status: 'failed', updatedAt: 'u2', domainId: 'd2' });
  });

  it('reads a list that shrank past a later page again instead of failing (EndPoint.0010)', async () => {
    const vpcep = new FakeVpcep();
    seed(vpcep, 's', 2700);
    let shrunk = false;
    vpcep.beforePage = (_id, offset) => {
      if (offset > 0 && !shrunk) {
        shrunk = true;
        vpcep.connections.get('s')!.splice(0, 1500);
      }
    };
    const result = await scanService(vpcep, 's', options());
    expect(result).toHaveLength(1200);
    expect(new Set(result.map((c) => c.id)).size).toBe(1200);
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
