/** The operator CLI against the local cloud, after real monitoring passes. */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCloud } from '../../lib/emulator/index.js';
import type { AuditRecord } from '../../lib/monitor/audit.js';
import { userDataFor } from '../e2e/harness.js';
import { closedPort } from '../support.js';
import { runCli } from './run-cli.js';

const credentials = { ak: 'CLIACCESSKEY00000001', sk: 'cli-secret-key-00000000000000000000001' };

let cloud: LocalCloud;
let env: NodeJS.ProcessEnv;
let payments: string;
let orders: string;
let changedId: string;
let removedId: string;
let pendingId: string;

const cli = (...argv: string[]) => runCli(env, argv);

beforeAll(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket('cli-bucket');
  payments = cloud.addService({ name: 'payments' }).id;
  orders = cloud.addService({ name: 'orders' }).id;
  const paymentConnections = cloud.addConnections(payments, 5);
  cloud.addConnections(orders, 3);
  env = {
    HUAWEICLOUD_SDK_AK: credentials.ak,
    HUAWEICLOUD_SDK_SK: credentials.sk,
    ...userDataFor(cloud, 'cli-bucket'),
    LOG_LEVEL: 'silent',
    NO_COLOR: '1',
  };
  expect((await cli('run')).code).toBe(0); // baseline: 8 added
  changedId = paymentConnections[0]!.id;
  removedId = paymentConnections[1]!.id;
  cloud.setStatus(payments, changedId, 'failed');
  cloud.removeConnection(payments, removedId);
  pendingId = cloud.addConnection(orders, { status: 'pendingAcceptance' }).id;
  expect((await cli('run')).code).toBe(0);
  expect((await cli('run')).code).toBe(0); // quiet
});
afterAll(async () => {
  await cloud?.stop();
});

const run = promisify(execFile);
/** dist/cli.js in its own process, as a person runs it; resolves with the exit code instead of throwing. */
const bundle = (args: string[], environment: NodeJS.ProcessEnv) =>
  run('dist/cli.js', args, { env: { PATH: process.env.PATH, ...environment } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

const records = (out: string): AuditRecord[] => out.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditRecord);

describe('vpcep-monitor audit', () => {
  it('prints every change as JSON Lines with the documented fields', async () => {
    const { code, out } = await cli('audit', '--json');
    expect(code).toBe(0);
    const all = records(out);
    expect(all).toHaveLength(8 + 3 + 2); // the baseline, the changes, the two alerts SMN accepted
    expect(all.filter((r) => r.change === 'added' && r.from === null)).toHaveLength(9);
    const failed = all.find((r) => r.connectionId === changedId && r.change === 'status')!;
    expect(failed).toMatchObject({ from: 'accepted', to: 'failed', raised: true, serviceId: payments });
    expect(all.find((r) => r.connectionId === removedId && r.change === 'removed')).toMatchObject({ from: 'accepted', to: null, raised: false });
    const pending = all.find((r) => r.connectionId === pendingId && r.change === 'added')!;
    expect(pending).toMatchObject({ to: 'pendingAcceptance', raised: true });
    const delivered = all.filter((r) => r.change === 'delivered');
    expect(delivered.map((r) => r.eventId).sort()).toEqual([failed.eventId, pending.eventId].sort());
    expect(new Set(delivered.map((r) => r.messageId)).size).toBe(1);
    expect(delivered[0]!.messageId).toMatch(/\S/);
    const fields = ['at', 'change', 'connectionId', 'domainId', 'eventId', 'from', 'runId', 'serviceId', 'serviceName', 'to'];
    for (const record of all) {
      const extra = record.change === 'delivered' ? ['messageId', ...('requestId' in record ? ['requestId'] : [])] : ['raised'];
      expect(Object.keys(record).sort()).toEqual([...fields, ...extra].sort());
    }
  });

  it('filters by service, connection, status and time', async () => {
    expect(records((await cli('audit', '--json', '--service', orders)).out).every((r) => r.serviceId === orders)).toBe(true);
    expect(records((await cli('audit', '--json', '--service', orders)).out)).toHaveLength(5);
    expect(records((await cli('audit', '--json', '--connection', changedId)).out).map((r) => r.change)).toEqual(['added', 'status', 'delivered']);
    expect(records((await cli('audit', '--json', '--status', 'failed')).out).map((r) => [r.connectionId, r.change])).toEqual([[changedId, 'status'], [changedId, 'delivered']]);
    expect(records((await cli('audit', '--json', '--since', '2020-01-01T00:00:00Z', '--until', '2020-01-02T00:00:00Z')).out)).toHaveLength(0);
    expect(records((await cli('audit', '--json', '--since', '1h')).out)).toHaveLength(13);
  });

  it('takes the service name shown in the SERVICE column as well as the id', async () => {
    const byName = records((await cli('audit', '--json', '--service', 'orders')).out);
    expect(byName).toHaveLength(5);
    expect(byName.every((r) => r.serviceId === orders)).toBe(true);
    const table = await cli('audit', '--service', 'payments', '--status', 'failed');
    expect(table.out).toContain(changedId);
  });

  it('refuses a service name that matches nothing, listing the names it knows', async () => {
    const { code, out, err } = await cli('audit', '--service', 'ordres');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('--service "ordres" is neither the id nor the name of a service');
    expect(err).toContain(`orders (${orders}), payments (${payments})`);
  });

  it('states the 800-day limit in --help and in the error', async () => {
    expect((await cli('audit', '--help')).out).toContain('at most 800 days');
    const { code, err } = await cli('audit', '--since', '3650d');
    expect(code).toBe(2);
    expect(err).toContain('at most 800 days');
    expect((await cli('audit', '--since', '3650d', '--until', '1d')).err).toContain('at most 800 days apart');
  });

  it('needs only the bucket and where OBS is: no topic, no project', async () => {
    const saved = env;
    env = { ...env, SMN_TOPIC_URN: undefined, HUAWEICLOUD_PROJECT_ID: undefined };
    try {
      const audit = await cli('audit', '--json');
      expect(audit).toMatchObject({ code: 0, err: '' });
      expect(records(audit.out)).toHaveLength(13);
      const status = await cli('status', '--json');
      expect(status).toMatchObject({ code: 0, err: '' });
      expect((JSON.parse(status.out) as { services: unknown[] }).services).toHaveLength(2);
      env = { ...env, OBS_ENDPOINT: undefined };
      expect(await cli('status')).toMatchObject({ code: 1, err: 'error: Missing required setting HUAWEICLOUD_REGION (or OBS_ENDPOINT): it says where the OBS bucket is\n' });
    } finally {
      env = saved;
    }
  });

  it('prints a table for people', async () => {
    const { code, out } = await cli('audit', '--connection', changedId);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+SERVICE\s+CONNECTION\s+CHANGE\s+FROM -> TO$/);
    expect(lines[2]).toMatch(/accepted -> failed \(alert raised, event \w+\)$/);
    expect(lines[3]).toMatch(/delivered accepted -> failed \(SMN message \S+, event \w+\)$/);
    expect(lines[2]).toContain(changedId);
    expect(lines.at(-1)).toMatch(/^3 record\(s\) from /);
    expect(out).not.toContain('\u001b[');
  });

  it('never rewrites an audit object', () => {
    const keys = cloud.objectKeys('cli-bucket', 'vpcep-monitor/audit/');
    expect(keys).toHaveLength(3); // the baseline, the changes and what SMN accepted of them; the quiet run wrote none
    for (const key of keys) expect(cloud.objectWrites('cli-bucket', key)).toBe(1);
  });

  it('rejects a bad flag value with exit code 2 and one line', async () => {
    const { code, err } = await cli('audit', '--since', 'last tuesday');
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('--since');
  });
});

describe('vpcep-monitor status', () => {
  it('shows counts by status and the pending connections with how long they wait', async () => {
    const { code, out } = await cli('status', '--json');
    expect(code).toBe(0);
    const status = JSON.parse(out) as { services: { serviceId: string; counts: Record<string, number>; pending: { connectionId: string; waitingSeconds: number }[] }[] };
    const ordersStatus = status.services.find((s) => s.serviceId === orders)!;
    expect(ordersStatus.counts).toEqual({ accepted: 3, pendingAcceptance: 1 });
    expect(ordersStatus.pending.map((p) => p.connectionId)).toEqual([pendingId]);
    expect(status.services.find((s) => s.serviceId === payments)!.counts).toEqual({ accepted: 3, failed: 1 });
    const table = await cli('status');
    expect(table.out).toContain(`pending ${pendingId}`);
    expect(table.out).toMatch(/waiting \d+s \(since /);
  });

  it('shows the last delivery SMN confirmed, from the trail', async () => {
    const { lastDelivery } = JSON.parse((await cli('status', '--json')).out) as { lastDelivery: { at: string; messageId: string; alerts: number } };
    expect(lastDelivery).toMatchObject({ alerts: 2, messageId: expect.stringMatching(/\S/) });
    expect((await cli('status')).out).toContain(`Last delivery ${lastDelivery.at}: 2 alert(s) accepted by SMN as message ${lastDelivery.messageId}\n`);
  });

  it('counts the alerts set aside in dead-letter objects, one per line, across days, each event once', async () => {
    const before = JSON.parse((await cli('status', '--json')).out) as { deadLettered: number };
    expect(before.deadLettered).toBe(0);
    expect((await cli('status')).out).toMatch(/alert\(s\) waiting for delivery, 0 dead-lettered\n/);
    const letter = (id: string) => JSON.stringify({ refusedAt: '2026-11-25T10:00:00.000Z', runId: 'r', event: { id, connectionId: id }, smn: { status: 400, code: 'SMN.0021', message: 'refused' } });
    cloud.putObject('cli-bucket', 'vpcep-monitor/dead-letter/2026/11/24/20261124T100000000Z-r1.jsonl', `${letter('a')}\n${letter('b')}\n`);
    cloud.putObject('cli-bucket', 'vpcep-monitor/dead-letter/2026/11/25/20261125T100000000Z-r2.jsonl', `${letter('c')}\n`);
    // A run whose notice failed sets the same event aside again in the next run's object.
    cloud.putObject('cli-bucket', 'vpcep-monitor/dead-letter/2026/11/25/20261125T100500000Z-r3.jsonl', `${letter('c')}\n`);
    cloud.putObject('cli-bucket', 'vpcep-monitor/dead-letters-not-ours.jsonl', `${letter('d')}\n`);
    const status = await cli('status', '--json');
    expect(JSON.parse(status.out)).toMatchObject({ deadLettered: 3, undelivered: 0 });
    const table = await cli('status');
    expect(table.out).toContain('alert(s) waiting for delivery, 3 dead-lettered\n');
    expect(table.out).toContain("dead-lettered 3 alert(s) SMN refused for good, with SMN's answer: obs://cli-bucket/vpcep-monitor/dead-letter/\n");
  });
});

describe('vpcep-monitor run', () => {
  it('--dry-run prints each message as subscribers would read it, and publishes and writes nothing', async () => {
    const pending = cloud.addConnection(payments, { status: 'pendingAcceptance', description: 'dry-run partner' }).id;
    const published = cloud.published.length;
    const writes = cloud.calls.filter((c) => c.service === 'obs' && c.method === 'PUT').length;
    const { code, out } = await cli('run', '--dry-run');
    expect(code).toBe(0);
    expect(out).toContain('--- would publish message 1 of 1 ---\nSubject: [VPCEP');
    expect(out).toContain('VPC Endpoint connections entered alert states.');
    expect(out).toContain(`  - ${pending}: new -> pendingAcceptance at `);
    expect(out).toContain('description "dry-run partner"');
    expect(out).toMatch(new RegExp(`\\nSMS: VPCEP [a-z0-9-]+: .*pending ${pending.slice(0, 8)}`));
    expect(cloud.published).toHaveLength(published);
    expect(cloud.calls.filter((c) => c.service === 'obs' && c.method === 'PUT').length).toBe(writes);
  });

  it('fails with exit code 1 and one clear line when a setting is missing', async () => {
    const saved = env;
    env = { ...env, OBS_BUCKET: undefined };
    try {
      const { code, err } = await cli('run');
      expect(code).toBe(1);
      expect(err.trim()).toBe('error: Missing required setting OBS_BUCKET');
    } finally {
      env = saved;
    }
  });
});

describe('errors', () => {
  it('prints a nested error code on one line', async () => {
    cloud.inject({ service: 'vpcep', kind: 'status', status: 403, body: { error: { code: 'EndPoint.0004', message: 'Permission denied.\nAsk your administrator.' } } });
    const { code, err } = await cli('run');
    expect(code).toBe(1);
    expect(err).toMatch(/^error: vpcep:epservices:list failed: HTTP 403 EndPoint\.0004 Permission denied\. Ask your administrator\. \(request id [0-9a-f-]+\)\n$/);
  });

  it('names host:port and the setting to check when an endpoint is unreachable, without a stack', async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = await bundle(['run'], { ...env, VPCEP_ENDPOINT: `http://127.0.0.1:${port}`, LOG_LEVEL: 'info' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(`error: vpcep:epservices:list failed: could not connect to http://127.0.0.1:${port} (ECONNREFUSED): check VPCEP_ENDPOINT and the network`);
    // Before it, one JSON warning per retry, each naming the endpoint too.
    for (const line of lines.slice(0, -1)) expect(JSON.parse(line)).toMatchObject({ level: 'warn', err: { type: 'NetworkError' } });
    expect(stderr).not.toContain('"stack"');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('an older trail (written before raised and delivered records)', () => {
  it('reads its "alerted" as raised, never as delivered', async () => {
    const old = { at: '2025-03-01T10:00:00.000Z', runId: 'old', serviceId: payments, serviceName: 'payments', connectionId: 'legacy-1', domainId: 'd', change: 'status', from: 'accepted', to: 'failed', eventId: 'e0ld', alerted: true };
    cloud.putObject('cli-bucket', 'vpcep-monitor/audit/2025/03/01/20250301T100000000Z-old.jsonl', `${JSON.stringify(old)}\n`);
    const range = ['--since', '2025-03-01T00:00:00Z', '--until', '2025-03-02T00:00:00Z'];
    const { code, out } = await cli('audit', ...range);
    expect(code).toBe(0);
    expect(out).toMatch(/legacy-1\s+status\s+accepted -> failed \(alert raised, event e0ld\)\n/);
    expect(records((await cli('audit', '--json', ...range)).out)).toEqual([old]);
  });
});

describe('dist/cli.js', () => {
  it('is executable with its shebang and prints the package version', async () => {
    expect(statSync('dist/cli.js').mode & 0o111).toBe(0o111);
    expect(readFileSync('dist/cli.js', 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await bundle(['--version'], {})).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('stops quietly when the reader closes the pipe (vpcep-monitor audit | head)', async () => {
    const child = spawn('dist/cli.js', ['--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('answers --help everywhere and exits 2 on usage errors', async () => {
    const help = await run(process.execPath, ['dist/cli.js', '--help']);
    expect(help.stdout).toContain('Commands:');
    for (const command of ['run', 'audit', 'status', 'demo', 'emulator']) {
      const { stdout } = await run(process.execPath, ['dist/cli.js', command, '--help']);
      expect(stdout).toContain(`vpcep-monitor ${command}`);
    }
    const bad = await run(process.execPath, ['dist/cli.js', 'frobnicate']).catch((error: { code: number; stderr: string }) => error);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toContain('unknown command "frobnicate"');
  });
});
