/** `vpcep-monitor report` against the local cloud, with the state and trail written straight into OBS. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveService } from '../../lib/cli/report-command.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import { auditKey } from '../../lib/monitor/keys.js';
import { heldPageObjects, serializeState } from '../../lib/monitor/state.js';
import { runCli } from '../cli/run-cli.js';
import { userDataFor } from '../e2e/harness.js';
import { record, stateWith } from './records.js';

const credentials = { ak: 'REPORTACCESSKEY00001', sk: 'report-secret-key-000000000000000000001' };
const BUCKET = 'report-bucket';

let cloud: LocalCloud;
let env: NodeJS.ProcessEnv;
let dir: string;

const cli = (...argv: string[]) => runCli(env, argv);

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

beforeAll(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket(BUCKET);
  dir = mkdtempSync(join(tmpdir(), 'report-command-'));
  env = {
    HUAWEICLOUD_SDK_AK: credentials.ak,
    HUAWEICLOUD_SDK_SK: credentials.sk,
    ...userDataFor(cloud, BUCKET),
    LOG_LEVEL: 'silent',
    NO_COLOR: '1',
  };
});
afterAll(async () => {
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('vpcep-monitor report', () => {
  it('writes a page that says no state yet, before the monitor has run', async () => {
    const out = join(dir, 'empty.html');
    const { code, out: printed } = await cli('report', '--out', out);
    expect(code).toBe(0);
    expect(printed).toContain('(no state at obs://' + BUCKET + '/vpcep-monitor/state.json: the monitor has not run with this bucket yet, and no other prefix of it holds a state)');
    expect(readFileSync(out, 'utf8')).toContain('No state yet');
  });

  it('reads the state and the trail from OBS and writes one page', async () => {
    const state = stateWith(
      {
        'svc-pay': { name: 'ap-southeast-1.payments-api.svc-pay', connections: { a: ['accepted', '', 'd1'], p: ['pendingAcceptance', '', 'd2'] } },
        'svc-ord': { name: 'ap-southeast-1.orders-api.svc-ord', connections: { b: ['accepted', '', 'd3'] } },
      },
      { 'svc-pay': { p: hoursAgo(26) } },
    );
    for (const [key, body] of heldPageObjects(state, 'vpcep-monitor/')) cloud.putObject(BUCKET, key, body);
    cloud.putObject(BUCKET, 'vpcep-monitor/state.json', serializeState(state).join(''));
    const at = hoursAgo(26);
    const lines = [
      record({ at, serviceId: 'svc-pay', serviceName: 'ap-southeast-1.payments-api.svc-pay', connectionId: 'p', domainId: 'd2', change: 'added', to: 'pendingAcceptance', description: 'ticket OPS-1182' }),
      record({ at, serviceId: 'svc-ord', serviceName: 'ap-southeast-1.orders-api.svc-ord', connectionId: 'b', domainId: 'd3', change: 'added', to: 'accepted' }),
    ];
    cloud.putObject(BUCKET, auditKey('vpcep-monitor/', new Date(at), 'run-1'), `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);

    const out = join(dir, 'all.html');
    const { code, out: printed } = await cli('report', '--out', out, '--since', '7d');
    expect(code).toBe(0);
    expect(printed).toMatch(/^Report written to .*all\.html: 2 services, 2 changes from /);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<h2>payments-api</h2>');
    expect(html).toContain('<h2>orders-api</h2>');
    expect(html).toContain('<td data-label="Waiting" class="num waiting">26h</td>');
    expect(html).toContain('ticket OPS-1182');
    expect(html).toMatch(/data-status="pendingAcceptance" data-now="1" data-max="1"/);
  });

  it('takes --service as an id or as the name people see', async () => {
    for (const service of ['svc-ord', 'orders-api']) {
      const out = join(dir, `one-${service}.html`);
      expect((await cli('report', '--out', out, '--service', service)).code).toBe(0);
      const html = readFileSync(out, 'utf8');
      expect(html).toContain('<h2>orders-api</h2>');
      expect(html).not.toContain('payments-api');
    }
  });

  it('refuses an unknown service in one line that lists the known names', async () => {
    const { code, err } = await cli('report', '--out', join(dir, 'x.html'), '--service', 'billing');
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('unknown service "billing"; known services: orders-api (svc-ord), payments-api (svc-pay)');
  });

  it('says in one line where it could not write the page', async () => {
    const out = join(dir, 'no-such-folder', 'r.html');
    const { code, err } = await cli('report', '--out', out);
    expect(code).toBe(1);
    expect(err).toBe(`error: could not write the report to ${out}: ENOENT: no such file or directory, open '${out}'\n`);
  });

  it('needs --out and a readable --since', async () => {
    expect(await cli('report')).toMatchObject({ code: 2, err: expect.stringContaining('--out FILE is required') });
    expect(await cli('report', '--out', join(dir, 'y.html'), '--since', 'a while')).toMatchObject({ code: 2, err: expect.stringContaining('--since') });
    // report has no --until: its errors do not name one.
    for (const since of ['900d', '2099-01-01T00:00:00Z']) {
      const { code, err } = await cli('report', '--out', join(dir, 'y.html'), '--since', since);
      expect(code).toBe(2);
      expect(err).toContain('--since');
      expect(err).not.toContain('--until');
    }
  });
});

describe('resolveService', () => {
  const services = new Map([
    ['id-1', { name: 'ap-southeast-1.api.id-1' }],
    ['id-2', { name: 'eu-west-101.api.id-2' }],
    ['id-3', { name: 'ap-southeast-1.search.id-3' }],
  ]);
  it('asks for the id when a name is shared', () => {
    expect(() => resolveService(services, 'api')).toThrow('--service "api" names 2 services (id-1, id-2): pass the id');
  });
  it('accepts VPCEP\'s full name', () => {
    expect(resolveService(services, 'ap-southeast-1.search.id-3')).toBe('id-3');
  });
  it('takes a name in any case, as audit --service does', () => {
    expect(resolveService(services, 'SEARCH')).toBe('id-3');
    expect(resolveService(services, 'ID-3')).toBe('id-3');
  });
});
