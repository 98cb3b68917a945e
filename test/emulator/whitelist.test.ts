/**
 * The door of a local endpoint service: its whitelist (ListServicePermissionsDetails, `limit`
 * 0–500, offset paging, `{permissions, total_count}`) and `approval_enabled`, changed by tests, the
 * console, and kept in the world file with the CTS traces.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runConsoleCommand, splitWords } from '../../lib/emulator/console-commands.js';
import { whitelistRefused, type LocalCloud } from '../../lib/emulator/index.js';
import { loadWorld, saveWorld } from '../../lib/emulator/world-file.js';
import { parseWorldSnapshot } from '../../lib/emulator/world-snapshot.js';
import { apigFetch, startCloud } from './helpers.js';

const domain = (n: number) => n.toString(16).padStart(32, '0');
let now: Date;
let cloud: LocalCloud;
let serviceId: string;

beforeEach(async () => {
  now = new Date(Math.floor(Date.now() / 1000) * 1000);
  cloud = await startCloud({ clock: () => now });
  serviceId = cloud.addService({ name: 'payments' }).id;
});
afterEach(() => cloud.stop());

function permissions(query: Record<string, string> = {}, id = serviceId) {
  return apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: `/v1/${cloud.projectId}/vpc-endpoint-services/${id}/permissions`, query });
}

describe('the permissions route', () => {
  test('answers the documented shape, newest first by default, paged by limit and offset', async () => {
    for (let i = 1; i <= 3; i++) {
      cloud.changeWhitelist(serviceId, 'add', [domain(i)]);
      now = new Date(now.getTime() + 1000);
    }
    const all = await permissions({ limit: '500' });
    expect(all.status).toBe(200);
    expect(all.json).toEqual({
      permissions: [3, 2, 1].map((n) => ({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), permission: `iam:domain::${domain(n)}`, permission_type: 'domainId', created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) })),
      total_count: 3,
    });
    const page = await permissions({ limit: '2', offset: '2', sort_dir: 'asc' });
    expect(page.json).toMatchObject({ permissions: [{ permission: `iam:domain::${domain(3)}` }], total_count: 3 });
    expect((await permissions()).json.permissions).toHaveLength(3); // default limit 10
    expect((await permissions({ permission: domain(2).slice(-4) })).json).toMatchObject({ total_count: 1 });
    expect((await permissions({ offset: '7' })).json).toEqual({ permissions: [], total_count: 3 });
    expect(cloud.calls.at(-1)?.api).toBe('vpcep:permissions:list');
  });

  test.each([
    [{ limit: '501' }, 'EndPoint.0006'],
    [{ limit: '-1' }, 'EndPoint.0006'],
    [{ offset: 'x' }, 'EndPoint.0010'],
    [{ sort_key: 'name' }, 'EndPoint.0017'],
    [{ sort_dir: 'up' }, 'EndPoint.0018'],
  ])('refuses %o with %s', async (query, code) => {
    const res = await permissions(query);
    expect(res.status).toBe(400);
    expect(res.json.error_code).toBe(code);
  });

  test('is 404 for a service that does not exist, and a 403 can be injected', async () => {
    expect((await permissions({}, '00000000-0000-4000-8000-000000000000')).json).toMatchObject({ error_code: 'EndPoint.0005' });
    cloud.inject(whitelistRefused());
    expect(await permissions()).toMatchObject({ status: 403, json: { error_code: 'EndPoint.0004' } });
    expect((await permissions()).status).toBe(200);
  });

  test('the service listing and the one-service query carry approval_enabled as it is set', async () => {
    cloud.setApprovalEnabled(serviceId, false);
    const listed = await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: `/v1/${cloud.projectId}/vpc-endpoint-services` });
    expect((listed.json.endpoint_services as Record<string, unknown>[])[0]).toMatchObject({ id: serviceId, approval_enabled: false });
    const one = await apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: `/v1/${cloud.projectId}/vpc-endpoint-services/${serviceId}` });
    expect(one.json).toMatchObject({ approval_enabled: false });
  });
});

describe('changing the door', () => {
  test('LocalCloud: entries as domain ids, * or iam:domain::…, each once; setWhitelist replaces without a trace', () => {
    expect(cloud.changeWhitelist(serviceId, 'add', [domain(1), '*', `iam:domain::${domain(1)}`])).toEqual([`iam:domain::${domain(1)}`, 'iam:domain::*']);
    expect(cloud.changeWhitelist(serviceId, 'remove', ['*', domain(9)])).toEqual(['iam:domain::*']);
    expect(cloud.whitelist(serviceId)).toEqual([`iam:domain::${domain(1)}`]);
    const traced = cloud.traces().length;
    cloud.setWhitelist(serviceId, [domain(2), '*']);
    expect(cloud.whitelist(serviceId)).toEqual([`iam:domain::${domain(2)}`, 'iam:domain::*']);
    expect(cloud.traces()).toHaveLength(traced);
  });

  test('the console: whitelist SERVICE [add|remove DOMAIN|*], approval SERVICE on|off', () => {
    const run = (line: string) => runConsoleCommand(cloud, splitWords(line));
    expect(run('whitelist payments').output).toBe('payments: the whitelist is empty');
    expect(run(`whitelist payments add ${domain(1)} * --as alice`).output).toBe(`payments: added iam:domain::${domain(1)}, iam:domain::* (by alice)`);
    expect(run('whitelist payments add *').output).toBe('payments: nothing to add; the whitelist has it already');
    expect(run('whitelist payments').output).toBe(`payments: 2 whitelist entries\n  iam:domain::${domain(1)}\n  iam:domain::*`);
    expect(run('whitelist payments remove *').output).toBe('payments: removed iam:domain::* (by local-admin)');
    expect(run('whitelist payments add 0A1B')).toMatchObject({ ok: false, usage: true, output: expect.stringContaining('neither a domain id') });
    expect(run('whitelist payments open *')).toMatchObject({ ok: false, usage: true });
    expect(run('whitelist payments add')).toMatchObject({ ok: false, usage: true });
    expect(run('whitelist nowhere')).toMatchObject({ ok: false, output: expect.stringContaining('no endpoint service "nowhere"') });
    expect(run('approval payments off').output).toContain('connection approval is OFF');
    expect(cloud.listServices()[0]!.approvalEnabled).toBe(false);
    expect(run('approval payments on').output).toContain('connection approval is on');
    expect(cloud.listServices()[0]!.approvalEnabled).toBe(true);
    expect(run('approval payments maybe')).toMatchObject({ ok: false, usage: true });
  });

  test('the world file keeps whitelists, approval and traces; a file without them still loads', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'local-cloud-door-'));
    try {
      cloud.changeWhitelist(serviceId, 'add', ['*'], 'alice');
      cloud.setApprovalEnabled(serviceId, false, 'bob');
      const [pending] = cloud.addConnections(serviceId, 1, { status: 'pendingAcceptance' });
      cloud.rejectAs(serviceId, pending!.id, 'carol');
      await saveWorld(directory, cloud.exportWorld());
      const world = await loadWorld(directory);
      const second = await startCloud({ clock: () => now, projectId: world!.projectId, region: world!.region });
      try {
        second.importWorld(world!);
        expect(second.whitelist(serviceId)).toEqual(['iam:domain::*']);
        expect(second.listServices()[0]!.approvalEnabled).toBe(false);
        expect(second.traces()).toEqual(cloud.traces());
        expect(second.traces().map((trace) => trace.user.name)).toEqual(['carol', 'bob', 'alice']);
      } finally {
        await second.stop();
      }
      const old = { ...cloud.exportWorld(), services: cloud.exportWorld().services.map(({ permissions: _, ...rest }) => rest) } as Record<string, unknown>;
      delete old.traces;
      const parsed = parseWorldSnapshot(JSON.stringify(old), 'old.json');
      expect(parsed.traces).toBeUndefined();
      expect(parsed.services[0]!.permissions).toBeUndefined();
      const broken = { ...cloud.exportWorld(), traces: [{ ...cloud.exportWorld().traces![0], time: 'yesterday' }] };
      expect(() => parseWorldSnapshot(JSON.stringify(broken), 'broken.json')).toThrow('broken.json: traces[0].time must be a number');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
