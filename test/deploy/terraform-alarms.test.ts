/**
 * The Cloud Eye alarm rules (alarms.tf) and every resource argument of the module, held to what the
 * provider documents (terraform-schema.ts names the pages). Each check is also run on a broken
 * copy of the module to prove it notices.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBroken, loadModule, MODULE_DIR, resourceBlock, type TerraformConfig } from './terraform-checks';
import { RUN_METRICS, SERVICE_METRICS } from '../../lib/monitor/metrics';
import { alarmResources, checkAlarmRules, checkArguments, valueOf, type MetricNames } from './terraform-schema';

const SERVICE_A = '4c1a0d8e-8f0e-4d6b-9d0b-2b1f3c4d5e6f';
const SERVICE_B = '9f7b0d8e-8f0e-4d6b-9d0b-2b1f3c4d5e01';

/** The names the function sends, and the dimension each carries: the alarms may use no other. */
const METRICS: MetricNames = {
  service_id: Object.keys(SERVICE_METRICS),
  project_id: Object.keys(RUN_METRICS),
};

let config: TerraformConfig;

beforeAll(async () => {
  config = await loadModule(MODULE_DIR);
});

async function brokenAlarms(from: string | RegExp, to: string): Promise<string[]> {
  return checkAlarmRules(await loadBroken('alarms.tf', from, to), METRICS);
}

const rule = (name: string) => resourceBlock(config, 'huaweicloud_ces_alarmrule', name)!;
const conditions = (name: string) =>
  (rule(name).condition as Record<string, unknown>[]).map((c) => `${String(c.metric_name)} ${String(c.comparison_operator)} ${String(valueOf(config, c.value))}`);

describe('resource arguments', () => {
  it('uses only arguments and blocks the provider documents', () => {
    expect(checkArguments(config)).toEqual([]);
  });

  it('check fails on an undocumented or deprecated argument', async () => {
    const deprecated = await loadBroken('alarms.tf', 'alarm_enabled        = true', 'alarm_enabled = true\n  alarm_level = 2');
    expect(checkArguments(deprecated)).toContain('huaweicloud_ces_alarmrule.pending: alarm_level is not a documented argument');
    const misspelt = await loadBroken('main.tf', 'type         = "TIMER"', 'type         = "TIMER"\n  enabled      = true');
    expect(checkArguments(misspelt)).toContain('huaweicloud_fgs_function_trigger.timer: enabled is not a documented argument');
    const nested = await loadBroken('alarms.tf', 'notification_list = [', 'notifications = [');
    expect(checkArguments(nested)).toContain('huaweicloud_ces_alarmrule.pending.alarm_actions: notifications is not a documented argument');
  });
});

describe('Cloud Eye alarm rules', () => {
  it('follow the documented schema, exist only with metrics on, and notify the module topic', () => {
    expect(checkAlarmRules(config, METRICS)).toEqual([]);
  });

  it('alarm on a long pending request, any failed connection, and the monitor failing', () => {
    expect(conditions('pending')).toEqual(['pending_oldest_seconds > 86400']);
    expect(conditions('failed')).toEqual(['connections_failed > 0']);
    expect(conditions('monitor')).toEqual(['services_unreadable > 0', 'alerts_undelivered > 0']);
    expect(valueOf(config, (rule('pending').condition as Record<string, unknown>[])[0]!.value, { pending_alarm_after: '30m' })).toBe(1800);
    expect(valueOf(config, rule('pending').count, { pending_alarm_after: null })).toBe(0);
    expect(valueOf(config, rule('failed').count)).toBe(1);
  });

  it('watch the listed services one by one, or every service when none is listed', () => {
    for (const name of ['pending', 'failed']) {
      expect(valueOf(config, rule(name).alarm_type, { service_ids: [] })).toBe('ALL_INSTANCE');
      expect(alarmResources(config, rule(name), { service_ids: [] })).toEqual([[{ name: 'service_id', value: null }]]);
      expect(valueOf(config, rule(name).alarm_type, { service_ids: [SERVICE_A, SERVICE_B] })).toBe('MULTI_INSTANCE');
      expect(alarmResources(config, rule(name), { service_ids: [SERVICE_A, SERVICE_B] })).toEqual([
        [{ name: 'service_id', value: SERVICE_A }],
        [{ name: 'service_id', value: SERVICE_B }],
      ]);
    }
    expect(alarmResources(config, rule('monitor'))).toEqual([[{ name: 'project_id', value: '${local.project_id}' }]]);
  });

  it('have names Cloud Eye accepts, even for the longest module name', () => {
    const longest = `a${'b'.repeat(48)}c`;
    for (const name of ['pending', 'failed', 'monitor']) {
      const alarmName = String(rule(name).alarm_name).replace('${var.name}', longest);
      expect(alarmName).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    }
  });

  it('check fails on undocumented values, wrong metrics or dimensions, and missing switches', async () => {
    expect(await brokenAlarms('period              = 300', 'period              = 600')).toContain(
      'alarm rule pending: condition period = 600 is not one of 0, 1, 300, 1200, 3600, 14400, 86400',
    );
    expect(await brokenAlarms('filter              = "max"', 'filter              = "maximum"')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^alarm rule pending: condition filter = "maximum"/)]),
    );
    expect(await brokenAlarms('"connections_failed"', '"connection_failed"')).toContain('alarm rule failed: metric connection_failed is not one the function sends');
    expect(await brokenAlarms('name  = "project_id"', 'name  = "service_id"')).toContain(
      'alarm rule monitor: resource dimension service_id is not the dimension of its metrics',
    );
    expect(await brokenAlarms('count = local.metrics_enabled ? 1 : 0', 'count = 1')).toContain('alarm rule failed: exists with metrics off (metrics_namespace = "")');
    expect(await brokenAlarms('local.alarm_all_services ? [""] : var.service_ids', 'var.service_ids')).toContain('alarm rule pending: has no resources when service_ids = []');
    expect(await brokenAlarms('resources.value == "" ? null : resources.value', '"x"')).toContain('alarm rule pending: ALL_INSTANCE resource names a value (x)');
    expect(await brokenAlarms(/(ok_actions \{\n\s*type\s*= "notification"\n\s*notification_list = )\[[^\]]*\]/, '$1[]')).toContain(
      'alarm rule pending: ok_actions names another notification_list than alarm_actions',
    );
    expect(await brokenAlarms('namespace = var.metrics_namespace', 'namespace = "SYS.ECS"')).toContain('alarm rule pending: does not watch var.metrics_namespace');
  });
});
