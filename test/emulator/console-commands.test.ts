/** The local cloud's console language, run against a real LocalCloud: each verb, and each mistake as one clear line. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runConsoleCommand, splitWords } from '../../lib/emulator/console-commands.js';
import type { EmulatedConnection, LocalCloud } from '../../lib/emulator/index.js';
import { apigFetch, startCloud } from './helpers.js';

let now: Date;
let cloud: LocalCloud;
let serviceId: string;
let accepted: EmulatedConnection;
let pending: EmulatedConnection;

beforeEach(async () => {
  now = new Date(Math.floor(Date.now() / 1000) * 1000);
  cloud = await startCloud({ clock: () => now });
  serviceId = cloud.addService({ name: 'local-service' }).id;
  [accepted] = cloud.addConnections(serviceId, 1) as [EmulatedConnection];
  [pending] = cloud.addConnections(serviceId, 1, { status: 'pendingAcceptance', description: 'evil \u001b[2J text' }) as [EmulatedConnection];
});
afterEach(() => cloud.stop());

const run = (line: string) => runConsoleCommand(cloud, splitWords(line));
const statusOf = (id: string) => cloud.listConnections(serviceId).find((connection) => connection.id === id)?.status;

test('splitWords keeps quoted text together', () => {
  expect(splitWords(`add-pending local-service domain=abc "analytics team" 'ticket 7'  x`)).toEqual(['add-pending', 'local-service', 'domain=abc', 'analytics team', 'ticket 7', 'x']);
});

describe('reading the world', () => {
  test('services counts connections and pending ones', () => {
    const result = run('services');
    expect(result.ok).toBe(true);
    expect(result.output).toMatch(new RegExp(`local-service\\s+${serviceId}\\s+2\\s+1`));
  });

  test('list shows every connection, with other tenants\' text made harmless', () => {
    const result = run('list');
    expect(result.output).toContain(`${accepted.id}  accepted`);
    expect(result.output).toContain(`${pending.id}  pendingAcceptance`);
    expect(result.output).toContain('evil \\u001b[2J text');
    expect(result.output).not.toContain('\u001b');
  });

  test('list narrows by service and by status, and caps the rows', () => {
    expect(run('list pendingAcceptance').output.split('\n')).toHaveLength(2);
    cloud.addConnections(serviceId, 150);
    const long = run('list local-service accepted').output.split('\n');
    expect(long).toHaveLength(1 + 100 + 1);
    expect(long.at(-1)).toBe('… and 51 more; narrow with a service or a status');
    expect(run('list nosuch')).toEqual({ ok: false, output: 'error: no endpoint service "nosuch"; services: local-service' });
  });

  test('help lists the commands', () => {
    expect(run('help').output).toContain('add-pending SERVICE [domain=ID] [TEXT...]');
  });
});

describe('changing the world', () => {
  test('add-service adds a service that needs approval, and refuses bad or taken names', () => {
    expect(run('add-service orders-api').output).toMatch(/^added endpoint service orders-api \([0-9a-f-]{36}\)$/);
    expect(cloud.listServices().map((service) => [service.name, service.approvalEnabled])).toEqual([['local-service', true], ['orders-api', true]]);
    expect(run('add-service orders-api').output).toBe('error: a service named orders-api already exists');
    expect(run('add-service "two words"').output).toMatch(/^error: service name "two words" must be/);
    expect(run('add-service').output).toBe('error: add-service takes one NAME, e.g. add-service orders-api');
  });

  test('add-pending adds a pending request, with a chosen domain and description when given', () => {
    const result = run('add-pending local-service domain=0123456789abcdef0123456789abcdef "analytics team"');
    expect(result.ok).toBe(true);
    const added = cloud.listConnections(serviceId).at(-1);
    expect(added).toMatchObject({ status: 'pendingAcceptance', domain_id: '0123456789abcdef0123456789abcdef', description: 'analytics team' });
    expect(result.output).toBe(`added ${added?.id} to local-service: pendingAcceptance, consumer 0123456789abcdef0123456789abcdef`);
    expect(run(`add-pending ${serviceId.slice(0, 8)}`).ok).toBe(true); // an id prefix names the service too
    expect(run('add-pending local-service domain=XYZ').output).toMatch(/^error: domain id "XYZ" must be 32 lower-case hex/);
    expect(run(`add-pending local-service ${'d'.repeat(513)}`).output).toBe('error: the description is 513 characters; VPCEP allows at most 512');
  });

  test('accept goes through creating, as the API does', () => {
    const result = run(`accept ${pending.id.slice(0, 8)}`);
    expect(result).toEqual({ ok: true, output: `${pending.id} is creating; it becomes accepted shortly, as after the API's receive; CTS records local-admin` });
    expect(statusOf(pending.id)).toBe('creating');
    now = new Date(now.getTime() + 2000);
    expect(statusOf(pending.id)).toBe('accepted');
    expect(run(`accept ${pending.id}`).output).toBe(`${pending.id} is already accepted`);
    // While it is creating, neither the API nor the console acts on it.
    const other = cloud.addConnection(serviceId, { status: 'pendingAcceptance' });
    run(`accept ${other.id}`);
    expect(run(`reject ${other.id}`).output).toBe(`error: ${other.id} is creating; only a pendingAcceptance, accepted, rejected connection can be rejected`);
  });

  test('reject, fail (with or without a code) and remove', () => {
    expect(run(`reject ${pending.id}`).output).toBe(`${pending.id} is rejected (was pendingAcceptance); CTS records local-admin`);
    expect(run(`fail ${accepted.id} EndPoint.2014 No free IP addresses.`).output).toBe(`${accepted.id} is failed (EndPoint.2014: No free IP addresses.; was accepted)`);
    expect(cloud.listConnections(serviceId).find((connection) => connection.id === accepted.id)?.error).toEqual([{ error_code: 'EndPoint.2014', error_message: 'No free IP addresses.' }]);
    expect(run(`fail ${pending.id}`).output).toContain('(EndPoint.0001: Failed by hand in the local cloud.; was rejected)');
    expect(run(`fail ${pending.id} not-a-code`).output).toBe('error: error code "not-a-code" must look like EndPoint.0001');
    expect(run(`remove ${accepted.id}`).output).toBe(`removed ${accepted.id} from local-service`);
    expect(statusOf(accepted.id)).toBeUndefined();
  });

  test('a connection reference must be long enough and unique', () => {
    expect(run('reject abc').output).toBe('error: "abc" is too short: give at least 4 characters of the connection id');
    expect(run('reject').output).toBe('error: which connection? give its id or a unique prefix of at least 4 characters');
    expect(run('reject ffffffff-0000').output).toBe('error: no connection starts with "ffffffff-0000"; "list" shows them');
    cloud.addConnection(serviceId, { id: 'aaaa-1' });
    cloud.addConnection(serviceId, { id: 'aaaa-2' });
    expect(run('reject aaaa').output).toBe('error: "aaaa" matches 2 connections; give more of the id');
    expect(run(`reject ${pending.id} now`).output).toBe('error: reject takes only a CONNECTION and --as NAME');
  });

  test('an unknown verb is one line naming the commands; quit asks to stop', () => {
    expect(run('frobnicate \u001b[31m')).toEqual({ ok: false, usage: true, output: 'error: unknown command "frobnicate"; commands: services, list, add-service, add-pending, accept, reject, fail, remove, approval, whitelist, traces, throttle, help, quit' });
    expect(runConsoleCommand(cloud, ['\u001b[31m'])).toEqual({ ok: false, usage: true, output: expect.stringContaining('unknown command "\\u001b[31m"') });
    // A malformed command is a usage error (the CLI exits 2); one the world refuses is not.
    expect(run('reject')).toMatchObject({ ok: false, usage: true });
    expect(run('reject ffffffff')).toEqual({ ok: false, output: 'error: no connection starts with "ffffffff"; "list" shows them' });
    expect(run('quit')).toEqual({ ok: true, output: 'stopping the local cloud', quit: true });
    expect(run('   ')).toEqual({ ok: true, output: '' });
  });
});

describe('throttle', () => {
  test('makes the next N VPCEP requests meet VPCEP\'s own throttling, 400 EndPoint.0022, then lets them through', async () => {
    const result = run('throttle 2');
    expect(result).toEqual({ ok: true, output: 'the next 2 VPCEP request(s) answer 400 EndPoint.0022 (the number of requests exceeded the limit)' });
    const list = () => apigFetch(cloud.endpoints.vpcep, { method: 'GET', path: `/v1/${cloud.projectId}/vpc-endpoint-services/${serviceId}/connections` });
    for (let i = 0; i < 2; i++) expect((await list()).json).toMatchObject({ error_code: 'EndPoint.0022' });
    expect((await list()).status).toBe(200);
  });

  test.each(['0', '1001', 'many', '2 3'])('refuses "throttle %s" with one line', (arg) => {
    expect(run(`throttle ${arg}`)).toEqual({ ok: false, usage: true, output: expect.stringMatching(/^error: throttle takes one number of requests from 1 to 1000, got "/) });
  });
});
