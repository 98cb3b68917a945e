/**
 * The module's input checks, run on real inputs: each validation block, the timer trigger's
 * precondition and the user_data values are evaluated from the module's own text (see
 * terraform-expressions.ts for the Terraform semantics modelled). Each rule is also run on a
 * broken copy of the module to prove the test notices when the rule is wrong.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config';
import { environmentExpression, loadBroken, loadModule, MODULE_DIR, type TerraformConfig } from './terraform-checks';
import { checkPreconditions, evaluateIn, mismatches, validateVariable } from './terraform-inputs';

const DOMAIN = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

let config: TerraformConfig;

beforeAll(async () => {
  config = await loadModule(MODULE_DIR);
});

type Cases = readonly (readonly [unknown, 'accepted' | 'rejected'])[];

const verdicts = (c: TerraformConfig, name: string, cases: Cases) => mismatches(cases, (value) => validateVariable(c, name, value));

describe('auto_reject_domains', () => {
  const cases: Cases = [
    [[], 'accepted'],
    [['*'], 'accepted'],
    [[DOMAIN], 'accepted'],
    [[DOMAIN, 'ffffffffffffffffffffffffffffffff'], 'accepted'],
    [['*', DOMAIN], 'rejected'],
    [['*', '*'], 'rejected'],
    [['not-a-domain'], 'rejected'],
  ];

  it('accepts ["*"] as the README documents, alone, and domain ids', () => {
    expect(verdicts(config, 'auto_reject_domains', cases)).toEqual([]);
  });

  it('passes ["*"] to the function as AUTO_REJECT_DOMAINS=*', () => {
    const value = /^\s*AUTO_REJECT_DOMAINS\s*=\s*(.+)$/m.exec(environmentExpression(config))![1]!;
    expect(evaluateIn(config, value, { auto_reject_domains: ['*'] })).toBe('*');
    expect(evaluateIn(config, value, { auto_reject_domains: [DOMAIN, 'ffffffffffffffffffffffffffffffff'] })).toBe(`${DOMAIN},ffffffffffffffffffffffffffffffff`);
    expect(evaluateIn(config, value, { auto_reject_domains: [] })).toBeNull();
  });

  it('check fails with the comparison Terraform never makes true (a list against the tuple ["*"])', async () => {
    const copy = await loadBroken('variables.tf', 'var.auto_reject_domains == tolist(["*"])', 'var.auto_reject_domains == ["*"]');
    expect(verdicts(copy, 'auto_reject_domains', cases)).toEqual(['["*"]: expected accepted, got rejected']);
  });
});

describe('schedule', () => {
  const rate = ['1m', '5m', '60m', '1h', '24h', '1d', '30d'];
  const cron = [
    '0 */5 * * * *',
    // Seconds always come first: five fields leave out day-of-week, so this is second 0 of minute
    // 8 of every hour, January to May. Valid, just not "08:00 on weekdays"; the next two are.
    '0 8 * * 1-5',
    '0 0 8 ? * MON-FRI',
    'CRON_TZ=Asia/Shanghai 0 0 8 ? * MON-FRI',
    'CRON_TZ=UTC 0 30 8 * * *',
    'CRON_TZ=America/Argentina/Buenos_Aires 0 8 * * *',
    '@every 5m',
    '@every 1.5h',
    '@every 1h30m',
    '@every 500ms',
    '@every 10µs',
  ];
  const wrong = ['', '@every 0s', '@every 0h0m', '0m', '61m', '25h', '31d', '5', '5 m', '@every ', '@every', '@every 5', '@every 5x', '@every h', '* * * *', '0 0 0 * * * *', 'CRON_TZ= 0 8 * * *', 'CRON_TZ=Asia/Shanghai', '@daily'];
  const cases: Cases = [...[...rate, ...cron].map((s) => [s, 'accepted'] as const), ...wrong.map((s) => [s, 'rejected'] as const)];

  it('follows FunctionGraph: Rate ranges, five or six cron fields, CRON_TZ=, and @every with a duration', () => {
    expect(verdicts(config, 'schedule', cases)).toEqual([]);
  });

  it('pairs each accepted schedule with its schedule_type in the trigger precondition', () => {
    const precondition = (type: string, schedule: string) =>
      checkPreconditions(config, 'huaweicloud_fgs_function_trigger', 'timer', { schedule_type: type, schedule });
    for (const s of rate) expect([precondition('Rate', s), precondition('Cron', s)], s).toEqual(['accepted', 'rejected']);
    for (const s of cron) expect([precondition('Rate', s), precondition('Cron', s)], s).toEqual(['rejected', 'accepted']);
  });

  it('check fails when a rule is narrower or wider than FunctionGraph', async () => {
    const noTimeZone = await loadBroken('variables.tf', '(CRON_TZ=[A-Za-z0-9_+/-]+ +)?', '');
    expect(verdicts(noTimeZone, 'schedule', cases)).toEqual(expect.arrayContaining(['"CRON_TZ=Asia/Shanghai 0 0 8 ? * MON-FRI": expected accepted, got rejected']));
    const sixOnly = await loadBroken('variables.tf', '{4,5}$', '{5}$');
    expect(verdicts(sixOnly, 'schedule', cases)).toEqual(expect.arrayContaining(['"0 8 * * 1-5": expected accepted, got rejected']));
    const zeroEvery = await loadBroken('variables.tf', ' && can(regex("[1-9]", var.schedule))', '');
    expect(verdicts(zeroEvery, 'schedule', cases)).toEqual(['"@every 0s": expected rejected, got accepted', '"@every 0h0m": expected rejected, got accepted']);
    const precondition = await loadBroken('main.tf', /Rate = \["[^"]*"\]/, 'Rate = ["^[0-9]+[mhd]$"]');
    expect(checkPreconditions(precondition, 'huaweicloud_fgs_function_trigger', 'timer', { schedule_type: 'Rate', schedule: '61m' })).toBe('accepted');
  });
});

describe('obs_prefix', () => {
  const cases: Cases = [
    ['vpcep-monitor/', 'accepted'],
    ['team-a/vpcep_monitor.v2/', 'accepted'],
    ['a/b/c/', 'accepted'],
    ['a b/', 'rejected'],
    ['a+b/', 'rejected'],
    ['pre*/', 'rejected'],
    ['ä/', 'rejected'],
    ['a\\b/', 'rejected'],
    ['a:b/', 'rejected'],
    ['/abs/', 'rejected'],
    ['a//b/', 'rejected'],
    ['noslash', 'rejected'],
  ];

  it('holds only characters an IAM resource string may hold (and no wildcard), relative and ending in /', () => {
    expect(verdicts(config, 'obs_prefix', cases)).toEqual([]);
  });

  it('check fails without the IAM character rule', async () => {
    const copy = await loadBroken('variables.tf', /\n  validation \{\n    # The prefix becomes part of the agency's OBS resource string[\s\S]*?\n  \}\n/, '\n');
    expect(verdicts(copy, 'obs_prefix', cases)).toEqual(expect.arrayContaining(['"a b/": expected rejected, got accepted']));
  });
});

describe('alert_statuses', () => {
  const cases: Cases = [
    [null, 'accepted'],
    [['pendingAcceptance', 'failed'], 'accepted'],
    [['pendingacceptance'], 'accepted'],
    [['+deactivated'], 'accepted'],
    [['pendingAcceptence'], 'rejected'],
    [['+'], 'rejected'],
    [[], 'rejected'],
  ];

  it('takes what the function takes: documented statuses in any case, or +name', () => {
    expect(verdicts(config, 'alert_statuses', cases)).toEqual([]);
    for (const [value, verdict] of cases) {
      // Null and [] leave ALERT_STATUSES unset for the function, which then uses its default.
      if (value === null || (value as string[]).length === 0) continue;
      const load = () => loadConfig((name) => ({ OBS_BUCKET: 'b-state', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${DOMAIN}:t`, HUAWEICLOUD_PROJECT_ID: DOMAIN, ALERT_STATUSES: (value as string[]).join(',') })[name]);
      if (verdict === 'accepted') expect(load, JSON.stringify(value)).not.toThrow();
      else expect(load, JSON.stringify(value)).toThrow(ConfigError);
    }
  });
});

describe('metrics settings', () => {
  // terraform-agreement.test.ts runs a longer table through Terraform itself; this one runs
  // without a terraform binary.
  const namespaces = ['', 'VPCEP.ConnectionMonitor', 'abc.def', 'a.b', 'Sys_x.items', 'VPCEP', 'ab.cde', `VPCEP.${'C'.repeat(26)}`, `VPCEP.${'C'.repeat(27)}`, '1bc.def', 'abc.9ef', 'a-c.def', 'abc.def.ghi', 'SYS.ECS', 'sys.ecs', 'AGT.mine', 'SRE.x', 'SERVICE.BMS', 'SERVICE.ECS'];
  const functionAccepts = (namespace: string): 'accepted' | 'rejected' => {
    try {
      loadConfig((name) => ({ OBS_BUCKET: 'b-state', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${DOMAIN}:t`, HUAWEICLOUD_PROJECT_ID: DOMAIN, METRICS_NAMESPACE: namespace })[name]);
      return 'accepted';
    } catch (error) {
      if (error instanceof ConfigError && error.setting === 'METRICS_NAMESPACE') return 'rejected';
      throw error;
    }
  };
  const cases = (): Cases => namespaces.map((n) => [n, functionAccepts(n)] as const);

  it('validates metrics_namespace exactly as the function validates METRICS_NAMESPACE', () => {
    expect(cases().filter(([, v]) => v === 'rejected').length).toBeGreaterThan(5);
    expect(verdicts(config, 'metrics_namespace', cases())).toEqual([]);
    expect(validateVariable(config, 'metrics_namespace', null)).toBe('rejected');
  });

  it('check fails when the module forgets a reserved service name', async () => {
    const copy = await loadBroken('variables.tf', '"^(SYS|AGT|SRE)"', '"^(AGT|SRE)"');
    expect(verdicts(copy, 'metrics_namespace', cases())).toEqual(['"Sys_x.items": expected rejected, got accepted', '"SYS.ECS": expected rejected, got accepted', '"sys.ecs": expected rejected, got accepted']);
  });

  it('turns metrics, their permission and the alarms off with an empty namespace', () => {
    expect(evaluateIn(config, 'local.metrics_enabled')).toBe(true);
    expect(evaluateIn(config, 'local.metrics_enabled', { metrics_namespace: '' })).toBe(false);
    const value = /^\s*METRICS_NAMESPACE\s*=\s*(.+)$/m.exec(environmentExpression(config))![1]!;
    expect(evaluateIn(config, value)).toBe('VPCEP.ConnectionMonitor');
    expect(evaluateIn(config, value, { metrics_namespace: '' })).toBeNull();
  });

  it('takes pending_alarm_after as a positive duration, or null for no pending alarm', () => {
    const cases: Cases = [
      ['24h', 'accepted'],
      ['30m', 'accepted'],
      ['2d', 'accepted'],
      ['90s', 'accepted'],
      [null, 'accepted'],
      ['0h', 'rejected'],
      ['24', 'rejected'],
      ['1w', 'rejected'],
      ['-1h', 'rejected'],
      ['24 h', 'rejected'],
      ['', 'rejected'],
    ];
    expect(verdicts(config, 'pending_alarm_after', cases)).toEqual([]);
    expect(verdicts(config, 'ces_endpoint', [[null, 'accepted'], ['https://ces.example.com', 'accepted'], ['http://ces.example.com', 'rejected'], ['https://ces.example.com/v1', 'rejected']])).toEqual([]);
  });

  it('turns pending_alarm_after into the alarm threshold in seconds', () => {
    const seconds = (after: string | null) => evaluateIn(config, 'local.pending_alarm_seconds', { pending_alarm_after: after });
    expect([seconds('24h'), seconds('30m'), seconds('2d'), seconds('90s'), seconds(null)]).toEqual([86_400, 1_800, 172_800, 90, null]);
    const rules = (vars: Record<string, unknown>) => evaluateIn(config, 'local.pending_alarm_rules', vars);
    expect([rules({}), rules({ pending_alarm_after: null }), rules({ metrics_namespace: '' })]).toEqual([1, 0, 0]);
  });
});

describe('the attribution and door-watch switches', () => {
  it('grant the whitelist read unless posture_check_interval is off (any case), and pass the interval through', () => {
    expect(evaluateIn(config, 'local.posture_checks_enabled')).toBe(true);
    expect(evaluateIn(config, 'local.posture_checks_enabled', { posture_check_interval: '6h' })).toBe(true);
    expect(evaluateIn(config, 'local.posture_checks_enabled', { posture_check_interval: 'off' })).toBe(false);
    expect(evaluateIn(config, 'local.posture_checks_enabled', { posture_check_interval: 'OFF' })).toBe(false);
    const value = /^\s*POSTURE_CHECK_INTERVAL\s*=\s*(.+)$/m.exec(environmentExpression(config))![1]!;
    expect(evaluateIn(config, value)).toBeNull();
    expect(evaluateIn(config, value, { posture_check_interval: 'off' })).toBe('off');
  });

  it('grant cts:trace:list with cts_attribution, and say CTS_ATTRIBUTION=off only when it is false', () => {
    expect(evaluateIn(config, 'local.cts_attribution_enabled')).toBe(true);
    expect(evaluateIn(config, 'local.cts_attribution_enabled', { cts_attribution: false })).toBe(false);
    const value = /^\s*CTS_ATTRIBUTION\s*=\s*(.+)$/m.exec(environmentExpression(config))![1]!;
    expect(evaluateIn(config, value)).toBeNull();
    expect(evaluateIn(config, value, { cts_attribution: false })).toBe('off');
  });

  it('take max_in_flight as a whole number from 1 to 64, or null', () => {
    const cases: Cases = [[null, 'accepted'], [1, 'accepted'], [16, 'accepted'], [64, 'accepted'], [0, 'rejected'], [65, 'rejected'], [2.5, 'rejected']];
    expect(verdicts(config, 'max_in_flight', cases)).toEqual([]);
  });
});
