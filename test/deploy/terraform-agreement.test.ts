/**
 * Settings and Terraform say yes to the same things. One table of values for every function
 * setting the module validates; each row holds the verdict of the module's validation (asked of
 * Terraform itself, see terraform-cli.ts) and the verdict of the function's config parser, given
 * the settings exactly as Terraform renders them. The two are equal unless the row says why not,
 * and the test fails when either side changes alone. Rows about the schedule hold FunctionGraph's
 * verdict instead (the function never reads it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config';
import { planCases, terraformBinary, type CaseResult, type Vars } from './terraform-cli';

type Verdict = 'accepted' | 'rejected';
interface Row {
  /** What the row is about, for messages. */
  what: string;
  vars: Vars;
  terraform: Verdict;
  /** The function's verdict; `undefined` for module-only settings (the schedule). */
  fn: Verdict | undefined;
  /** Why the two differ, when they do. */
  why?: string;
}

const DOMAIN = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SERVICE = '4c1a2b3c-0000-4000-8000-00000000e201';
const domains = (n: number) => Array.from({ length: n }, (_, i) => i.toString(16).padStart(32, 'a'));
const BASE: Vars = { bucket_name: 'monitor-state', region: 'ap-southeast-1' };

const same = (what: string, vars: Vars, verdict: Verdict): Row => ({ what, vars, terraform: verdict, fn: verdict });
const ok = (what: string, vars: Vars) => same(what, vars, 'accepted');
const no = (what: string, vars: Vars) => same(what, vars, 'rejected');
const moduleOnly = (what: string, vars: Vars, why: string): Row => ({ what, vars, terraform: 'rejected', fn: 'accepted', why });
const schedule = (type: 'Rate' | 'Cron', value: string, functionGraph: Verdict): Row => ({ what: `schedule ${type} ${value}`, vars: { schedule_type: type, schedule: value }, terraform: functionGraph, fn: undefined });

// The settings JSON (user_data) is filled to exactly `total` characters with the accept list and,
// for the last few characters, a longer obs_prefix. test/unit/config.test.ts does the same without Terraform.
const base = JSON.stringify({
  HUAWEICLOUD_REGION: 'ap-southeast-1',
  HUAWEICLOUD_PROJECT_ID: '0123456789abcdef0123456789abcdef',
  OBS_BUCKET: 'monitor-state',
  OBS_PREFIX: 'p/',
  SMN_TOPIC_URN: 'urn:smn:ap-southeast-1:0123456789abcdef0123456789abcdef:case-00',
  APPROVAL_MODE: 'dry-run',
  AUTO_ACCEPT_DOMAINS: '',
  METRICS_NAMESPACE: 'VPCEP.ConnectionMonitor',
}).length;
function filledTo(total: number): Vars {
  const count = Math.floor((total - base + 1) / 33);
  const pad = total - base - (count * 33 - 1);
  return { approval_mode: 'dry-run', auto_accept_domains: domains(count), obs_prefix: `p${'x'.repeat(pad)}/` };
}

const ROWS: Row[] = [
  // METRICS_NAMESPACE: Cloud Eye's service.item, 3-32 in total, no SYS/AGT/SRE service, not SERVICE.BMS.
  ok('namespace off', { metrics_namespace: '' }),
  ok('namespace default', { metrics_namespace: 'VPCEP.ConnectionMonitor' }),
  ok('namespace of 3', { metrics_namespace: 'a.b' }),
  ok('namespace with a short part', { metrics_namespace: 'ab.cde' }),
  ok('namespace of 32', { metrics_namespace: `VPCEP.${'C'.repeat(26)}` }),
  no('namespace of 33', { metrics_namespace: `VPCEP.${'C'.repeat(27)}` }),
  no('namespace without item', { metrics_namespace: 'VPCEP' }),
  no('namespace of three parts', { metrics_namespace: 'abc.def.ghi' }),
  no('namespace starting with a digit', { metrics_namespace: '1bc.def' }),
  no('namespace with a dash', { metrics_namespace: 'a-c.def' }),
  no('namespace SYS', { metrics_namespace: 'SYS.ECS' }),
  no('namespace Sys prefix', { metrics_namespace: 'Sys_x.items' }),
  no('namespace AGT', { metrics_namespace: 'AGT.mine' }),
  no('namespace SRE', { metrics_namespace: 'SRE.x' }),
  no('namespace SERVICE.BMS', { metrics_namespace: 'SERVICE.BMS' }),
  ok('namespace SERVICE.ECS', { metrics_namespace: 'SERVICE.ECS' }),

  // REMIND_PENDING_AFTER: a positive whole number of s, m, h or d, up to 7 digits.
  ok('no reminders', { remind_pending_after: null }),
  ok('remind 24h', { remind_pending_after: '24h' }),
  ok('remind 90s', { remind_pending_after: '90s' }),
  ok('remind 0000001m', { remind_pending_after: '0000001m' }),
  no('remind 0m', { remind_pending_after: '0m' }),
  no('remind 0000000d', { remind_pending_after: '0000000d' }),
  no('remind of 8 digits', { remind_pending_after: '12345678m' }),
  no('remind 1w', { remind_pending_after: '1w' }),
  no('remind -1h', { remind_pending_after: '-1h' }),
  moduleOnly('remind ""', { remind_pending_after: '' }, 'an empty string is not a duration; the function reads a blank setting as unset'),

  // POSTURE_CHECK_INTERVAL: off, or a duration as REMIND_PENDING_AFTER.
  ok('posture default', { posture_check_interval: null }),
  ok('posture 6h', { posture_check_interval: '6h' }),
  ok('posture off', { posture_check_interval: 'off' }),
  ok('posture OFF', { posture_check_interval: 'OFF' }),
  no('posture 0h', { posture_check_interval: '0h' }),
  no('posture of 8 digits', { posture_check_interval: '12345678m' }),
  no('posture never', { posture_check_interval: 'never' }),
  no('posture 1w', { posture_check_interval: '1w' }),
  moduleOnly('posture ""', { posture_check_interval: '' }, 'an empty string is not a duration; the function reads a blank setting as unset (1h)'),

  // CTS_ATTRIBUTION: a bool in the module, rendered only when off.
  ok('cts attribution on', { cts_attribution: true }),
  ok('cts attribution off', { cts_attribution: false }),

  // MAX_IN_FLIGHT: a whole number from 1 to 64.
  ok('in flight default', { max_in_flight: null }),
  ok('in flight 1', { max_in_flight: 1 }),
  ok('in flight 64', { max_in_flight: 64 }),
  no('in flight 0', { max_in_flight: 0 }),
  no('in flight 65', { max_in_flight: 65 }),
  no('in flight 2.5', { max_in_flight: 2.5 }),
  no('in flight -1', { max_in_flight: -1 }),

  // APPROVAL_MODE with its domain lists: a policy must name somebody.
  no('enforce with no domain', { approval_mode: 'enforce' }),
  no('dry-run with no domain', { approval_mode: 'dry-run' }),
  ok('enforce accepting one', { approval_mode: 'enforce', auto_accept_domains: [DOMAIN] }),
  ok('enforce rejecting *', { approval_mode: 'enforce', auto_reject_domains: ['*'] }),
  ok('dry-run rejecting one', { approval_mode: 'dry-run', auto_reject_domains: [DOMAIN] }),
  ok('off with domains listed', { approval_mode: 'off', auto_accept_domains: [DOMAIN] }),
  no('approval mode bogus', { approval_mode: 'bogus', auto_accept_domains: [DOMAIN] }),
  moduleOnly('approval mode Enforce', { approval_mode: 'Enforce', auto_accept_domains: [DOMAIN] }, 'the module grants vpcep:connections:update on the exact word enforce'),
  no('accept *', { approval_mode: 'dry-run', auto_accept_domains: ['*'] }),
  no('accept an upper-case id', { approval_mode: 'dry-run', auto_accept_domains: [DOMAIN.toUpperCase()] }),
  no('reject * with an id', { approval_mode: 'dry-run', auto_reject_domains: ['*', DOMAIN] }),
  no('reject a short id', { approval_mode: 'dry-run', auto_reject_domains: ['0a1b'] }),

  // All settings together: FunctionGraph's 4096 characters of user_data.
  ok('settings of 3.5 KB', { approval_mode: 'dry-run', auto_accept_domains: domains(105) }),
  no('a 5 KB accept list', { approval_mode: 'dry-run', auto_accept_domains: domains(155) }),
  no('a 5 KB reject list', { approval_mode: 'dry-run', auto_reject_domains: domains(155) }),
  no('120 service ids', { service_ids: Array(120).fill(SERVICE) }),
  ok('settings of exactly 4096', filledTo(4096)),
  no('settings of 4097', filledTo(4097)),

  // VPCEP_SERVICE_IDS
  ok('one service', { service_ids: [SERVICE] }),
  no('a service id that is no UUID', { service_ids: ['svc-1'] }),
  no('an upper-case service id', { service_ids: [SERVICE.toUpperCase()] }),

  // ALERT_STATUSES
  ok('default statuses', { alert_statuses: null }),
  ok('two statuses', { alert_statuses: ['pendingAcceptance', 'failed'] }),
  ok('a status in another case', { alert_statuses: ['PENDINGACCEPTANCE'] }),
  ok('a later status', { alert_statuses: ['+deactivated'] }),
  no('a misspelt status', { alert_statuses: ['pendingAcceptence'] }),
  no('a bare +', { alert_statuses: ['+'] }),
  moduleOnly('no status', { alert_statuses: [] }, 'an empty list would leave ALERT_STATUSES unset (the default), not turn alerts off'),

  // LOG_LEVEL
  ok('log level debug', { log_level: 'debug' }),
  ok('log level DEBUG', { log_level: 'DEBUG' }),
  no('log level loud', { log_level: 'loud' }),

  // The five endpoints share one rule: all of it on VPCEP's, the edges on the others.
  ok('vpcep endpoint with a port', { vpcep_endpoint: 'https://vpcep.example.com:8443' }),
  no('vpcep endpoint with a path', { vpcep_endpoint: 'https://vpcep.example.com/v1' }),
  no('vpcep endpoint over http', { vpcep_endpoint: 'http://vpcep.example.com' }),
  no('vpcep endpoint with a user', { vpcep_endpoint: 'https://user@vpcep.example.com' }),
  moduleOnly('vpcep endpoint on loopback', { vpcep_endpoint: 'http://127.0.0.1:9100' }, 'plain http to loopback serves only local tests; FunctionGraph has no local cloud'),
  ...(['vpcep', 'smn', 'obs', 'ces', 'cts'] as const).flatMap((service) => [
    ok(`${service} endpoint`, { [`${service}_endpoint`]: `https://${service}.example.com` }),
    no(`${service} endpoint with no such port`, { [`${service}_endpoint`]: `https://${service}.example.com:99999` }),
  ]),

  // OBS_PREFIX
  ok('prefix default', { obs_prefix: 'vpcep-monitor/' }),
  ok('prefix nested', { obs_prefix: 'team-a/vpcep_monitor.v2/' }),
  no('prefix absolute', { obs_prefix: '/abs/' }),
  no('prefix with //', { obs_prefix: 'a//b/' }),
  no('prefix with a backslash', { obs_prefix: 'a\\b/' }),
  moduleOnly('prefix without /', { obs_prefix: 'noslash' }, 'the module builds IAM and lifecycle prefixes from it, so it takes the normalised form; the function appends the /'),
  moduleOnly('prefix with a space', { obs_prefix: 'a b/' }, 'the prefix is part of an IAM resource string, which holds only -_0-9a-zA-Z*./\\'),

  // OBS_BUCKET
  ok('bucket', { bucket_name: 'monitor-state' }),
  ok('bucket with dots', { bucket_name: 'monitor.state.1' }),
  no('bucket of 2', { bucket_name: 'ab' }),
  no('bucket upper case', { bucket_name: 'Monitor' }),
  no('bucket with ..', { bucket_name: 'a..b' }),
  no('bucket with .-', { bucket_name: 'a.-b' }),
  no('bucket like an IP', { bucket_name: '192.168.1.1' }),
  no('bucket shaped like an IP', { bucket_name: '999.1.1.1' }),
  no('bucket starting with -', { bucket_name: '-abc' }),

  // HUAWEICLOUD_REGION
  ok('region', { region: 'eu-west-101' }),
  no('region upper case', { region: 'AP-1' }),
  no('region without a dash', { region: 'apsoutheast' }),

  // The timer's schedule: FunctionGraph's rules (usermanual-functiongraph/functiongraph_01_0908).
  schedule('Rate', '5m', 'accepted'),
  schedule('Rate', '0m', 'rejected'),
  schedule('Rate', '61m', 'rejected'),
  schedule('Cron', '@every 5m', 'accepted'),
  schedule('Cron', '@every 1.5h', 'accepted'),
  schedule('Cron', '@every 2h30m', 'accepted'),
  schedule('Cron', '@every 0s', 'rejected'),
  schedule('Cron', '@every 0h0m', 'rejected'),
  schedule('Cron', '@every', 'rejected'),
  schedule('Cron', '0 0 8 ? * MON-FRI', 'accepted'),
  schedule('Cron', 'CRON_TZ=Asia/Shanghai 0 0 8 * * 1-5', 'accepted'),
  schedule('Cron', '0 */5 * * *', 'accepted'),
  schedule('Cron', '* * * *', 'rejected'),
  schedule('Cron', '0 0 0 * * * *', 'rejected'),
];

/**
 * settings.tf's rendering in TypeScript, so the function's half of the table runs where there is no
 * terraform binary; where there is one, a test holds this copy to what Terraform renders.
 */
function renderedWithoutTerraform(vars: Vars, index: number): Record<string, string> {
  const v = { metrics_namespace: 'VPCEP.ConnectionMonitor', obs_prefix: 'vpcep-monitor/', approval_mode: 'off', service_ids: [], auto_accept_domains: [], auto_reject_domains: [], ...BASE, ...vars } as Record<string, unknown>;
  const joined = (name: string) => ((v[name] as string[] | null)?.length ? (v[name] as string[]).join(',') : undefined);
  const region = (v.region as string | null) ?? 'region-name-20-chars';
  const optional: Record<string, string | undefined> = {
    VPCEP_SERVICE_IDS: joined('service_ids'),
    ALERT_STATUSES: v.alert_statuses == null ? undefined : (v.alert_statuses as string[]).join(','),
    ALERT_ON_BASELINE: v.alert_on_baseline == null ? undefined : String(v.alert_on_baseline),
    LOG_LEVEL: v.log_level as string | undefined,
    VPCEP_ENDPOINT: v.vpcep_endpoint as string | undefined,
    SMN_ENDPOINT: v.smn_endpoint as string | undefined,
    OBS_ENDPOINT: v.obs_endpoint as string | undefined,
    REMIND_PENDING_AFTER: v.remind_pending_after as string | undefined,
    APPROVAL_MODE: v.approval_mode === 'off' ? undefined : (v.approval_mode as string),
    AUTO_ACCEPT_DOMAINS: joined('auto_accept_domains'),
    AUTO_REJECT_DOMAINS: joined('auto_reject_domains'),
    METRICS_NAMESPACE: v.metrics_namespace === '' ? undefined : (v.metrics_namespace as string),
    CES_ENDPOINT: v.ces_endpoint as string | undefined,
    POSTURE_CHECK_INTERVAL: v.posture_check_interval as string | undefined,
    CTS_ATTRIBUTION: v.cts_attribution === false ? 'off' : undefined,
    CTS_ENDPOINT: v.cts_endpoint as string | undefined,
    MAX_IN_FLIGHT: v.max_in_flight == null ? undefined : String(v.max_in_flight),
  };
  const project = '0123456789abcdef0123456789abcdef';
  return Object.fromEntries(
    Object.entries({
      HUAWEICLOUD_REGION: region,
      HUAWEICLOUD_PROJECT_ID: project,
      OBS_BUCKET: v.bucket_name as string,
      OBS_PREFIX: v.obs_prefix as string,
      // Terraform names each module call case-N; the table's rows near the size edge have N of two digits.
      SMN_TOPIC_URN: `urn:smn:${region}:${project}:case-${index}`,
      ...optional,
    }).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== null),
  );
}

/** What lib/config.ts says to the settings Terraform rendered. */
function functionVerdict(environment: Record<string, string>): { verdict: Verdict; error?: string } {
  try {
    loadConfig((name) => environment[name]);
    return { verdict: 'accepted' };
  } catch (error) {
    if (error instanceof ConfigError) return { verdict: 'rejected', error: `${error.setting}: ${error.message}` };
    throw error;
  }
}

const binary = terraformBinary();
let results: CaseResult[] | undefined;
const started = Date.now();

beforeAll(async () => {
  if (binary === undefined) {
    // Said out loud: the Terraform half of the table did not run on this machine.
    console.warn('terraform-agreement: no `terraform` on PATH (command -v terraform); the Terraform side of the table was NOT checked, only the function side (on settings rendered in TypeScript)');
    return;
  }
  results = await planCases(binary, BASE, ROWS.map((row) => row.vars));
}, 120_000);

afterAll(() => {
  if (results !== undefined) console.info(`terraform-agreement: ${ROWS.length} cases through ${binary} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe('the Terraform module and the function agree on every setting the module validates', () => {
  it('declares a reason wherever the two differ, and has both verdicts for each setting', () => {
    for (const row of ROWS) {
      if (row.fn !== undefined && row.terraform !== row.fn) expect(row.why, row.what).toBeTruthy();
      if (row.why !== undefined) expect(row.fn, row.what).not.toBe(row.terraform);
    }
    for (const must of ['namespace of 33', 'remind 0m', 'posture 0h', 'in flight 65', 'enforce with no domain', 'a 5 KB accept list', 'schedule Cron @every 0s']) {
      expect(ROWS.find((r) => r.what === must)?.terraform, must).toBe('rejected');
    }
  });

  it('Terraform gives every row its verdict', () => {
    if (results === undefined) return console.warn('terraform-agreement: skipped the Terraform verdicts: no terraform binary');
    const wrong = ROWS.flatMap((row, i) => {
      const got = results![i]!;
      return got.verdict === row.terraform ? [] : [`${row.what}: Terraform ${got.verdict}${got.errors.length ? ` (${got.errors.join(' | ')})` : ''}, table says ${row.terraform}`];
    });
    expect(wrong).toEqual([]);
  });

  it('the function gives every row its verdict, on the settings Terraform renders', () => {
    // Without terraform, on settings.tf's rendering done in TypeScript (held to Terraform's below).
    const rendered = (i: number) => results?.[i]!.environment ?? renderedWithoutTerraform(ROWS[i]!.vars, i);
    const wrong = ROWS.flatMap((row, i) => {
      if (row.fn === undefined) return [];
      const got = functionVerdict(rendered(i));
      return got.verdict === row.fn ? [] : [`${row.what}: function ${got.verdict}${got.error ? ` (${got.error})` : ''}, table says ${row.fn}`];
    });
    expect(wrong).toEqual([]);
  });

  it('renders the settings in TypeScript as Terraform does (apart from the function name in the topic)', () => {
    if (results === undefined) return console.warn('terraform-agreement: the TypeScript rendering was not compared with Terraform\'s: no terraform binary');
    const withoutName = (env: Record<string, string>) => ({ ...env, SMN_TOPIC_URN: env.SMN_TOPIC_URN?.replace(/:[^:]*$/, ':case') });
    const wrong = ROWS.flatMap((row, i) => {
      const ours = withoutName(renderedWithoutTerraform(row.vars, i));
      const theirs = withoutName(results![i]!.environment);
      return JSON.stringify(Object.entries(ours).sort()) === JSON.stringify(Object.entries(theirs).sort()) ? [] : [`${row.what}: ${JSON.stringify(ours)} vs ${JSON.stringify(theirs)}`];
    });
    expect(wrong).toEqual([]);
  });

  it('counts the settings as the function does: exactly 4096 at the edge', () => {
    if (results === undefined) return console.warn('terraform-agreement: skipped the size count: no terraform binary');
    const at = ROWS.findIndex((r) => r.what === 'settings of exactly 4096');
    expect(results[at]!.settingsLength).toBe(4096);
    expect(JSON.stringify(results[at]!.environment)).toHaveLength(4096);
    expect(results[at + 1]!.settingsLength).toBe(4097);
    const refused = results[ROWS.findIndex((r) => r.what === 'a 5 KB accept list')]!;
    expect(refused.errors.join(' ')).toMatch(/would take \d{4} characters as user_data; FunctionGraph allows 4096/);
  });
});
